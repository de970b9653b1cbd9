import { useState } from 'react';
import {
  SubclientInput,
  SubclientSettings,
  SubclientUpdate,
  type Subclient,
} from '../../../../shared/domain/backup-set';
import type { SubclientContent } from '../../../../shared/domain/rules';
import { useStore } from '../../../store';
import { NO_ERRORS, fieldErrorsFrom, fieldErrorsFromZod, type FieldErrors } from '../field-errors';
import { emptyContent, normalizeContent } from '../rules/rule-text';
import { formChanged } from '../unsaved-changes';

/** The tabs of FIG. 15, in order. */
export const SUBCLIENT_TABS = [
  'general',
  'content',
  'filters',
  'storage',
  'encryption',
  'prepost',
  'schedule',
  'retention',
  'activity',
] as const;
export type SubclientTab = (typeof SUBCLIENT_TABS)[number];

/** Which fields each tab holds, so a refused Save opens the tab with the problem. */
export const TAB_FIELDS: Record<SubclientTab, readonly string[]> = {
  general: [
    'name',
    'settings.description',
    'settings.copyLevel',
    'settings.dataReaders',
    'settings.maxBackupsPerHost',
    'settings.readLimitMiBps',
    'settings.keepSnapshotsOnFailure',
    'settings.retry',
    'settings.proxy',
  ],
  content: ['content', 'manualVms'],
  filters: ['settings.filters'],
  storage: ['settings.storage'],
  // Read-only: the repository's encryption, shown on this tab, is decided on the Storage page.
  encryption: [],
  prepost: ['settings.prePost'],
  // The recovery test's own schedule sits below the backup schedule, on the same tab.
  schedule: ['settings.schedule', 'settings.recoveryTest'],
  retention: ['settings.retention'],
  // Also the backup window (settings.activity.window.start/end), below the activity checkboxes.
  activity: ['settings.activity'],
};

export function tabOfField(field: string): SubclientTab | undefined {
  return SUBCLIENT_TABS.find((tab) =>
    TAB_FIELDS[tab].some((prefix) => field === prefix || field.startsWith(`${prefix}.`)),
  );
}

export interface SubclientFormValues {
  name: string;
  content: SubclientContent;
  settings: SubclientSettings;
  /** UUIDs of the VMs assigned to this subclient by hand */
  manualVms: string[];
}

function difference(a: readonly string[], b: readonly string[]): string[] {
  const other = new Set(b);
  return a.filter((x) => !other.has(x));
}

/** State and Save of the Subclient properties dialog, apart from its layout. */
export function useSubclientForm(props: {
  backupSetId: string;
  existing: Subclient | undefined;
  /** VMs manually assigned to the subclient when the dialog opened */
  initialManualVms: readonly string[];
  /** Repository a NEW subclient starts with (see initialRepository) */
  initialRepository?: string;
  onSaved(): void;
}) {
  const { backupSetId, existing } = props;
  const createSubclient = useStore((s) => s.createSubclient);
  const updateSubclient = useStore((s) => s.updateSubclient);
  const assignVms = useStore((s) => s.assignVms);
  const notify = useStore((s) => s.notify);
  // What the dialog opened with: closing it without Save loses only what differs from this.
  const [initial] = useState<SubclientFormValues>(() => ({
    name: existing?.name ?? '',
    content: existing?.content ?? emptyContent(),
    settings:
      existing?.settings ??
      SubclientSettings.parse(
        props.initialRepository === undefined
          ? {}
          : { storage: { repository: props.initialRepository } },
      ),
    manualVms: [...props.initialManualVms],
  }));
  const [values, setValues] = useState<SubclientFormValues>(initial);
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [saving, setSaving] = useState(false);
  const [tab, setTab] = useState<SubclientTab>('general');

  /** An edited field's error is about the old value. */
  function clearErrors(prefix: string) {
    setErrors((e) => ({
      general: e.general,
      fields: Object.fromEntries(
        Object.entries(e.fields).filter(([f]) => f !== prefix && !f.startsWith(`${prefix}.`)),
      ),
    }));
  }

  function change<K extends keyof SubclientFormValues>(key: K, value: SubclientFormValues[K]) {
    setValues((v) => ({ ...v, [key]: value }));
    clearErrors(key);
  }

  function patchSettings<K extends keyof SubclientSettings>(key: K, value: SubclientSettings[K]) {
    setValues((v) => ({ ...v, settings: { ...v.settings, [key]: value } }));
    clearErrors(`settings.${key}`);
  }

  function fail(found: FieldErrors) {
    setErrors(found);
    const first = Object.keys(found.fields)[0];
    const errorTab = first === undefined ? undefined : tabOfField(first);
    if (errorTab !== undefined) setTab(errorTab);
  }

  async function save() {
    const content = normalizeContent(values.content);
    const isDefault = existing?.isDefault === true;
    const parsed =
      existing === undefined
        ? SubclientInput.safeParse({
            backupSetId,
            name: values.name,
            content,
            settings: values.settings,
            manualVms: values.manualVms,
          })
        : SubclientUpdate.safeParse({
            id: existing.id,
            // The default subclient keeps its name and takes what no rule claims.
            ...(isDefault ? {} : { name: values.name, content }),
            settings: values.settings,
          });
    if (!parsed.success) {
      fail(fieldErrorsFromZod(parsed.error));
      return;
    }
    setSaving(true);
    setErrors(NO_ERRORS);
    try {
      if (existing === undefined) {
        await createSubclient(parsed.data as SubclientInput);
      } else {
        const saved = await updateSubclient(parsed.data as SubclientUpdate);
        const added = difference(values.manualVms, props.initialManualVms);
        const removed = difference(props.initialManualVms, values.manualVms);
        if (added.length > 0) await assignVms(backupSetId, added, saved.id);
        if (removed.length > 0) await assignVms(backupSetId, removed, null);
        notify('success', `Subclient ${saved.name} saved.`);
      }
      props.onSaved();
    } catch (err) {
      fail(fieldErrorsFrom(err));
    } finally {
      setSaving(false);
    }
  }

  const dirty = formChanged(
    {
      ...values,
      content: normalizeContent(values.content),
      manualVms: [...values.manualVms].sort(),
    },
    {
      ...initial,
      content: normalizeContent(initial.content),
      manualVms: [...initial.manualVms].sort(),
    },
  );

  return { values, change, patchSettings, errors, saving, dirty, tab, setTab, save };
}

export type SubclientForm = ReturnType<typeof useSubclientForm>;
