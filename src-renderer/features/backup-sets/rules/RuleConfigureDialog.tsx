import { useMemo, useState, type FormEvent } from 'react';
import Autocomplete from '@mui/material/Autocomplete';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormGroup from '@mui/material/FormGroup';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { Rule, type SubclientContent } from '../../../../shared/domain/rules';
import { PowerState } from '../../../../shared/domain/vm';
import { MONO_FONT_STACK } from '../../../theme/theme';
import { POWER_STATE_LABELS } from '../../vms/vm-text';
import { fieldErrorsFromZod } from '../field-errors';
import { RulePreviewPanel } from './RulePreviewPanel';
import { RULE_TYPE_LABELS, normalizeRule } from './rule-text';
import { useRulePreview } from './use-rule-preview';

const REGEX_HELP =
  'JavaScript regular expression, e.g. ^web-\\d+$ ; matches anywhere unless anchored';

export interface RuleConfigureDialogProps {
  rule: Rule;
  /** 'Rule 2' or 'Exclusion 1': says which row is being configured. */
  label: string;
  backupSetId: string | null;
  /** The set's hypervisors' names and hostnames, for host affinity. */
  hostOptions: readonly string[];
  /** An error the engine reported for this rule's pattern when saving. */
  patternError?: string;
  onCancel(): void;
  onSave(rule: Rule): void;
}

/** FIG. 4 "Configure": the values of one rule, with a live look at what it selects. */
export function RuleConfigureDialog(props: RuleConfigureDialogProps) {
  const [draft, setDraft] = useState<Rule>(props.rule);
  const [required, setRequired] = useState<Record<string, string>>({});
  const [savedError, setSavedError] = useState(props.patternError);
  const single = useMemo<SubclientContent>(
    () => ({ match: 'any', rules: [normalizeRule(draft)], exclusions: [] }),
    [draft],
  );
  const preview = useRulePreview(props.backupSetId, single);
  const livePatternError =
    preview.phase === 'invalid' ? preview.fieldErrors['rules.0.pattern'] : undefined;
  const patternError = required['pattern'] ?? livePatternError ?? savedError;
  const titleId = 'rule-configure-title';

  function change(update: Partial<Rule>) {
    setDraft((d) => ({ ...d, ...update }) as Rule);
    setRequired({});
    setSavedError(undefined);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    // Stop the form's submit from reaching the subclient form this dialog is rendered in.
    event.stopPropagation();
    const parsed = Rule.safeParse(normalizeRule(draft));
    if (!parsed.success) {
      setRequired(fieldErrorsFromZod(parsed.error).fields);
      return;
    }
    props.onSave(draft);
  }

  const patternField = (label: string, help: string, optional = false) => (
    <TextField
      label={label}
      value={'pattern' in draft ? (draft.pattern ?? '') : ''}
      onChange={(e) => change({ pattern: e.target.value })}
      error={patternError !== undefined}
      helperText={patternError ?? help}
      required={!optional}
      autoFocus
      fullWidth
      slotProps={{
        htmlInput: {
          spellCheck: false,
          autoCapitalize: 'off',
          style: { fontFamily: MONO_FONT_STACK },
        },
      }}
    />
  );

  return (
    <Dialog open onClose={props.onCancel} maxWidth="sm" fullWidth aria-labelledby={titleId}>
      <Box component="form" noValidate onSubmit={submit}>
        <DialogTitle id={titleId}>
          Configure {props.label.toLowerCase()}: {RULE_TYPE_LABELS[draft.type]}
        </DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {draft.type === 'name' && patternField('Pattern', REGEX_HELP)}
            {draft.type === 'storage' &&
              patternField(
                'Pattern',
                'Regular expression on a disk’s source path or pool, e.g. ^/srv/fast/ or ssd-pool',
              )}
            {draft.type === 'guest-os' &&
              patternField('Pattern', 'Regular expression on the guest OS, e.g. windows|win2k')}
            {draft.type === 'description' &&
              patternField('Pattern', 'Regular expression on the VM’s title and description')}
            {draft.type === 'host' && (
              <Autocomplete
                freeSolo
                options={[...props.hostOptions]}
                inputValue={draft.value}
                onInputChange={(_event, value) => change({ value })}
                renderInput={(params) => (
                  <TextField
                    {...params}
                    label="Host"
                    required
                    autoFocus
                    error={required['value'] !== undefined}
                    helperText={
                      required['value'] ??
                      'A registered hypervisor’s name, or the hostname of the host the VM runs on'
                    }
                  />
                )}
              />
            )}
            {draft.type === 'power-state' && (
              <TextField
                select
                label="Power state"
                value={draft.value}
                onChange={(e) => change({ value: PowerState.parse(e.target.value) })}
                autoFocus
                fullWidth
              >
                {PowerState.options.map((state) => (
                  <MenuItem key={state} value={state}>
                    {POWER_STATE_LABELS[state]}
                  </MenuItem>
                ))}
              </TextField>
            )}
            {draft.type === 'tag' && (
              <>
                <TextField
                  label="Tag key"
                  value={draft.key}
                  onChange={(e) => change({ key: e.target.value })}
                  error={required['key'] !== undefined}
                  helperText={
                    required['key'] ??
                    'libvirt <metadata> element or vSphere custom attribute, e.g. tags or owner'
                  }
                  required
                  autoFocus
                  fullWidth
                />
                {patternField(
                  'Pattern',
                  'Regular expression on the tag’s value; leave empty to match any VM that has the tag',
                  true,
                )}
              </>
            )}
            <FormGroup row sx={{ columnGap: 3 }}>
              <FormControlLabel
                control={
                  <Checkbox
                    checked={draft.negate}
                    onChange={(e) => change({ negate: e.target.checked })}
                  />
                }
                label="Negate (select the VMs that do not match)"
              />
              {draft.type === 'name' && (
                <FormControlLabel
                  control={
                    <Checkbox
                      checked={draft.caseSensitive}
                      onChange={(e) => change({ caseSensitive: e.target.checked })}
                    />
                  }
                  label="Case sensitive"
                />
              )}
            </FormGroup>
            <RulePreviewPanel state={preview} title="This rule selects" dense />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={props.onCancel}>Cancel</Button>
          <Button type="submit" variant="contained">
            OK
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
