import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Divider from '@mui/material/Divider';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import FormGroup from '@mui/material/FormGroup';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { SubclientSettings } from '../../../../shared/domain/backup-set';
import { MONO_FONT_STACK } from '../../../theme/theme';
import { ChipListField } from '../form/ChipListField';
import { BackupWindowSection } from './BackupWindowSection';
import { NumberField } from '../form/NumberField';
import type { RepositoryChoice } from './repository-choice';
import { RetentionPreviewLine } from './RetentionPreviewLine';
import type { SubclientForm } from './use-subclient-form';

/** First error under a list field ('settings.filters.excludeVms.3' → its message). */
function listError(fields: Record<string, string>, prefix: string): string | undefined {
  const key = Object.keys(fields).find((f) => f === prefix || f.startsWith(`${prefix}.`));
  return key === undefined ? undefined : fields[key];
}

export function FiltersTab(props: {
  form: SubclientForm;
  vmNames: readonly string[];
  isDefault: boolean;
}) {
  const { form } = props;
  const { filters } = form.values.settings;
  const f = form.errors.fields;
  const set = (update: Partial<SubclientSettings['filters']>) =>
    form.patchSettings('filters', { ...filters, ...update });
  return (
    <Stack spacing={3}>
      <ChipListField
        label="Exclude VMs"
        values={filters.excludeVms}
        onChange={(excludeVms) => set({ excludeVms })}
        options={props.vmNames}
        placeholder="test-*, scratch-vm"
        error={listError(f, 'settings.filters.excludeVms')}
        helperText={
          props.isDefault
            ? 'VM names or globs (* and ?) that stay unprotected when no other subclient claims them; a VM assigned by hand stays'
            : 'VM names or globs (* and ?) this subclient never takes, even when its rules match them; a VM assigned by hand stays'
        }
      />
      <ChipListField
        label="Exclude disks"
        values={filters.excludeDisks}
        onChange={(excludeDisks) => set({ excludeDisks })}
        placeholder="vdb, *.iso, /srv/scratch/*"
        error={listError(f, 'settings.filters.excludeDisks')}
        helperText="Disk targets (vdb) or globs on the target or the disk’s source path"
      />
    </Stack>
  );
}

/**
 * The repository the subclient's backups go to, chosen among the registered ones (`choice` is
 * undefined while they are read). A saved name that no longer names one stays shown, flagged.
 */
export function StorageTab(props: {
  form: SubclientForm;
  choice: RepositoryChoice | undefined;
  loadError: boolean;
  onReload(): void;
}) {
  const { form, choice } = props;
  const current = form.values.settings.storage.repository;
  const saveError = form.errors.fields['settings.storage.repository'];
  const problem = saveError ?? choice?.problem;
  const options = choice?.options ?? (current === '' ? [] : [{ name: current, registered: true }]);
  let helperText =
    problem ?? 'The repository (storage target) this subclient’s backups are written to';
  if (choice === undefined) {
    helperText = props.loadError
      ? 'Could not read the registered repositories.'
      : 'Reading the registered repositories…';
  }
  return (
    <Stack spacing={2} sx={{ alignItems: 'flex-start' }}>
      <TextField
        select
        label="Target repository"
        value={current}
        onChange={(e) => form.patchSettings('storage', { repository: e.target.value })}
        error={problem !== undefined}
        helperText={helperText}
        disabled={choice?.none === true && current === ''}
        fullWidth
      >
        {options.map((option) => (
          <MenuItem key={option.name} value={option.name}>
            {option.registered ? option.name : `${option.name} (not registered)`}
          </MenuItem>
        ))}
      </TextField>
      {(choice?.none === true || props.loadError) && (
        // A repository created meanwhile (another window, the CLI) shows up without closing this.
        <Button size="small" onClick={props.onReload}>
          Refresh list
        </Button>
      )}
    </Stack>
  );
}

export function PrePostTab({ form }: { form: SubclientForm }) {
  const { prePost } = form.values.settings;
  const f = form.errors.fields;
  const set = (update: Partial<SubclientSettings['prePost']>) =>
    form.patchSettings('prePost', { ...prePost, ...update });
  const mono = { htmlInput: { spellCheck: false, style: { fontFamily: MONO_FONT_STACK } } };
  return (
    <Stack spacing={2.5}>
      <TextField
        label="Pre-backup command"
        value={prePost.preCommand}
        onChange={(e) => set({ preCommand: e.target.value })}
        error={f['settings.prePost.preCommand'] !== undefined}
        helperText={
          f['settings.prePost.preCommand'] ??
          'Runs with /bin/sh on this engine’s host before the snapshot; a non-zero exit stops the backup'
        }
        fullWidth
        slotProps={mono}
      />
      <TextField
        label="Post-backup command"
        value={prePost.postCommand}
        onChange={(e) => set({ postCommand: e.target.value })}
        error={f['settings.prePost.postCommand'] !== undefined}
        helperText={
          f['settings.prePost.postCommand'] ??
          'Runs with /bin/sh on this engine’s host after the copy'
        }
        fullWidth
        slotProps={mono}
      />
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ alignItems: 'flex-start' }}>
        <NumberField
          label="Timeout (seconds)"
          value={prePost.timeoutSeconds}
          onChange={(timeoutSeconds) => set({ timeoutSeconds })}
          min={1}
          max={86400}
          error={f['settings.prePost.timeoutSeconds'] !== undefined}
          helperText={f['settings.prePost.timeoutSeconds'] ?? 'A command running longer is stopped'}
          sx={{ width: 220 }}
        />
        <FormControlLabel
          control={
            <Checkbox
              checked={prePost.postOnFailure}
              onChange={(e) => set({ postOnFailure: e.target.checked })}
            />
          }
          label="Run the post-backup command even when the backup failed"
          sx={{ pt: 1 }}
        />
      </Stack>
    </Stack>
  );
}

const RETENTION_FIELDS: { key: keyof SubclientSettings['retention']; label: string }[] = [
  { key: 'keepLast', label: 'Keep last' },
  { key: 'keepDaily', label: 'Keep daily' },
  { key: 'keepWeekly', label: 'Keep weekly' },
  { key: 'keepMonthly', label: 'Keep monthly' },
  { key: 'keepYearly', label: 'Keep yearly' },
];

export function RetentionTab({
  form,
  backupSetId,
  subclientId,
}: {
  form: SubclientForm;
  backupSetId: string;
  /** undefined for a subclient not saved yet */
  subclientId: string | undefined;
}) {
  const { retention, schedule } = form.values.settings;
  const f = form.errors.fields;
  return (
    <Stack spacing={2}>
      <Typography variant="body2" color="text.secondary">
        A restore point is kept while any rule wants it: the last N backups, and the newest backup
        of each of the last N days, weeks, months and years. 0 turns a rule off. The rules are
        applied after every backup of this subclient, to the VMs it backed up (a VM whose backup
        failed keeps its points), and by Prune in Storage.
      </Typography>
      {/* Prune cuts days in the schedule's zone: a nightly run at 00:30 Paris is one day there,
          though it falls on the day before in UTC. */}
      <Typography variant="body2" color="text.secondary">
        Days, weeks, months and years follow the time zone of this subclient’s schedule (
        {schedule.timezone}, set on the Schedule tab), even when scheduled backups are off.
      </Typography>
      <Stack direction="row" spacing={2} sx={{ flexWrap: 'wrap', rowGap: 2 }}>
        {RETENTION_FIELDS.map(({ key, label }) => (
          <NumberField
            key={key}
            label={label}
            value={retention[key]}
            onChange={(value) => form.patchSettings('retention', { ...retention, [key]: value })}
            min={0}
            max={10000}
            error={f[`settings.retention.${key}`] !== undefined}
            helperText={f[`settings.retention.${key}`]}
            sx={{ width: 150 }}
          />
        ))}
      </Stack>
      <RetentionPreviewLine
        backupSetId={backupSetId}
        subclientId={subclientId}
        retention={retention}
        timezone={schedule.timezone}
      />
    </Stack>
  );
}

export function ActivityTab({ form }: { form: SubclientForm }) {
  const { activity } = form.values.settings;
  return (
    <Stack spacing={3} divider={<Divider flexItem />}>
      <FormGroup>
        <FormControlLabel
          control={
            <Checkbox
              checked={activity.backupEnabled}
              onChange={(e) =>
                form.patchSettings('activity', { ...activity, backupEnabled: e.target.checked })
              }
            />
          }
          label="Enable backup"
        />
        <FormHelperText sx={{ mt: -0.5, mb: 1 }}>
          When off, scheduled and manual backups of this subclient do not start.
        </FormHelperText>
        <FormControlLabel
          control={
            <Checkbox
              checked={activity.restoreEnabled}
              onChange={(e) =>
                form.patchSettings('activity', { ...activity, restoreEnabled: e.target.checked })
              }
            />
          }
          label="Enable restore"
        />
        <FormHelperText sx={{ mt: -0.5 }}>
          When off, no restore of this subclient’s VMs starts (files, volumes, disks or whole VMs);
          their restore points can still be browsed and searched.
        </FormHelperText>
      </FormGroup>
      <BackupWindowSection form={form} />
    </Stack>
  );
}
