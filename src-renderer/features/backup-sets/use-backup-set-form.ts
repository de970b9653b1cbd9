import { useState } from 'react';
import { BackupSetInput, BackupSetUpdate, type BackupSet } from '../../../shared/domain/backup-set';
import type { SubclientContent } from '../../../shared/domain/rules';
import { useStore } from '../../store';
import type { BackupSetTab } from '../../store/backup-sets-slice';
import {
  NO_ERRORS,
  errorsUnder,
  fieldErrorsFrom,
  fieldErrorsFromZod,
  type FieldErrors,
} from './field-errors';
import { normalizeContent } from './rules/rule-text';

export interface GeneralValues {
  name: string;
  hypervisorIds: string[];
  proxy: string;
  autoDiscovery: boolean;
  autoAddUnmatched: boolean;
}

function generalOf(set: BackupSet | undefined): GeneralValues {
  return {
    name: set?.name ?? '',
    hypervisorIds: set?.hypervisorIds ?? [],
    proxy: set?.proxy ?? 'local',
    autoDiscovery: set?.autoDiscovery ?? true,
    autoAddUnmatched: set?.autoAddUnmatched ?? true,
  };
}

function sameGeneral(a: GeneralValues, b: GeneralValues): boolean {
  return (
    a.name.trim() === b.name.trim() &&
    a.proxy === b.proxy &&
    a.autoDiscovery === b.autoDiscovery &&
    a.autoAddUnmatched === b.autoAddUnmatched &&
    a.hypervisorIds.length === b.hypervisorIds.length &&
    a.hypervisorIds.every((id) => b.hypervisorIds.includes(id))
  );
}

/**
 * State and Save of the Backup set properties dialog: the General values and the rule lists
 * edited on the Auto-discovery rules tab (kept per subclient until saved). Subclients,
 * assignments and credentials are saved by their own dialogs and buttons.
 */
export function useBackupSetForm(existing: BackupSet | undefined, initialTab?: BackupSetTab) {
  const createBackupSet = useStore((s) => s.createBackupSet);
  const updateBackupSet = useStore((s) => s.updateBackupSet);
  const updateSubclient = useStore((s) => s.updateSubclient);
  const openDialog = useStore((s) => s.openBackupSetDialog);
  const notify = useStore((s) => s.notify);
  const [general, setGeneral] = useState<GeneralValues>(() => generalOf(existing));
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  /** Unsaved rule lists, by subclient id */
  const [ruleDrafts, setRuleDrafts] = useState<Record<string, SubclientContent>>({});
  /** Errors of a refused rule save, by subclient id, relative to the content ('rules.0.pattern') */
  const [ruleErrors, setRuleErrors] = useState<Record<string, Record<string, string>>>({});
  const [saving, setSaving] = useState(false);
  const [tab, setTab] = useState<BackupSetTab>(initialTab ?? 'general');
  /** Subclient shown on the Auto-discovery rules tab */
  const [rulesSubclientId, setRulesSubclientId] = useState<string | null>(null);

  // A new set compares with the defaults it opened with: untouched, it closes without a prompt.
  const generalDirty = !sameGeneral(general, generalOf(existing));
  const dirty = generalDirty || Object.keys(ruleDrafts).length > 0;

  function change<K extends keyof GeneralValues>(key: K, value: GeneralValues[K]) {
    setGeneral((g) => ({ ...g, [key]: value }));
    setErrors(({ general: generalError, fields: { [key]: _edited, ...fields } }) => ({
      general: generalError,
      fields,
    }));
  }

  function changeRules(subclientId: string, content: SubclientContent) {
    setRuleDrafts((d) => ({ ...d, [subclientId]: content }));
    setRuleErrors((e) => ({ ...e, [subclientId]: {} }));
  }

  function discardRules(subclientId: string) {
    setRuleDrafts(({ [subclientId]: _dropped, ...rest }) => rest);
    setRuleErrors(({ [subclientId]: _dropped, ...rest }) => rest);
  }

  async function saveGeneral(): Promise<boolean> {
    const values = { ...general, proxy: general.proxy.trim() || 'local' };
    const parsed =
      existing === undefined
        ? BackupSetInput.safeParse(values)
        : BackupSetUpdate.safeParse({ id: existing.id, ...values });
    if (!parsed.success) {
      setErrors(fieldErrorsFromZod(parsed.error));
      setTab('general');
      return false;
    }
    try {
      if (existing === undefined) {
        const created = await createBackupSet(parsed.data as BackupSetInput);
        // Subclients, rules and discovery need the set to exist: carry on with it open.
        openDialog({ mode: 'edit', backupSetId: created.id, tab: 'subclients' });
      } else {
        await updateBackupSet(parsed.data as BackupSetUpdate);
      }
      return true;
    } catch (err) {
      setErrors(fieldErrorsFrom(err));
      setTab('general');
      return false;
    }
  }

  async function saveRules(set: BackupSet): Promise<boolean> {
    let ok = true;
    for (const [subclientId, content] of Object.entries(ruleDrafts)) {
      if (!set.subclients.some((s) => s.id === subclientId)) {
        discardRules(subclientId);
        continue;
      }
      try {
        await updateSubclient({ id: subclientId, content: normalizeContent(content) });
        discardRules(subclientId);
      } catch (err) {
        ok = false;
        const found = fieldErrorsFrom(err);
        const fields = errorsUnder(found.fields, 'content.');
        setRuleErrors((e) => ({
          ...e,
          [subclientId]: Object.keys(fields).length > 0 ? fields : { rules: found.general ?? '' },
        }));
        setRulesSubclientId(subclientId);
        setTab('rules');
      }
    }
    return ok;
  }

  async function save() {
    setSaving(true);
    setErrors(NO_ERRORS);
    try {
      if ((existing === undefined || generalDirty) && !(await saveGeneral())) return;
      if (existing === undefined) return;
      if (!(await saveRules(existing))) return;
      notify('success', `Backup set ${general.name.trim()} saved.`);
    } finally {
      setSaving(false);
    }
  }

  return {
    general,
    change,
    errors,
    ruleDrafts,
    ruleErrors,
    changeRules,
    discardRules,
    saving,
    dirty,
    tab,
    setTab,
    rulesSubclientId,
    setRulesSubclientId,
    save,
  };
}

export type BackupSetForm = ReturnType<typeof useBackupSetForm>;
