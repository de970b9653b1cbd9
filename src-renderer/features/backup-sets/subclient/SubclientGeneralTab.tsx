import Alert from '@mui/material/Alert';
import Checkbox from '@mui/material/Checkbox';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import InputAdornment from '@mui/material/InputAdornment';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { SubclientSettings } from '../../../../shared/domain/backup-set';
import { NumberField } from '../form/NumberField';
import type { SubclientForm } from './use-subclient-form';

/**
 * FIG. 15's copy types. Only disk level is offered: the engine copies whole disks and catalogs
 * every file at backup time, so its backups already restore single files and whole volumes. The
 * other two stay visible, disabled, so nobody looks for them in vain.
 */
const COPY_LEVELS: { value: SubclientSettings['copyLevel']; label: string; enabled: boolean }[] = [
  { value: 'file', label: 'File level', enabled: false },
  { value: 'volume', label: 'Volume level', enabled: false },
  { value: 'disk', label: 'Disk level', enabled: true },
];

const COPY_TYPE_HELP =
  'Copies the virtual disks and the VM configuration. File level and volume level are not needed: every file is cataloged at backup time, so a disk-level backup also restores single files and whole volumes.';

const PROXY_HELP = 'This engine reads the disks itself';

const RETRY_HELP =
  'A scheduled backup backs up the VMs that failed again, in the same job. A backup started by hand is not retried on its own: its job offers “Retry failed VMs”.';

/** The engine keeps the wait in seconds; whole minutes are what an administrator thinks in. */
const SECONDS_PER_MINUTE = 60;

/**
 * FIG. 15 General: name, copy type, data readers, per-host limit, restartability, automatic
 * retry, proxy.
 */
export function SubclientGeneralTab({
  form,
  isDefault,
}: {
  form: SubclientForm;
  isDefault: boolean;
}) {
  const { values, errors, change, patchSettings } = form;
  const { settings } = values;
  const f = errors.fields;
  return (
    <Stack spacing={2.5}>
      {isDefault && (
        <Alert severity="info">
          Note: This is a default subclient. It takes every VM that no other subclient’s rules claim
          (when “automatically add new VMs” is on for the backup set).
        </Alert>
      )}
      <TextField
        label="Name"
        value={values.name}
        onChange={(e) => change('name', e.target.value)}
        disabled={isDefault}
        required
        autoFocus={!isDefault}
        error={f['name'] !== undefined}
        helperText={f['name'] ?? 'e.g. web-servers; unique within the backup set'}
        fullWidth
      />
      <TextField
        label="Description"
        value={settings.description}
        onChange={(e) => patchSettings('description', e.target.value)}
        error={f['settings.description'] !== undefined}
        helperText={f['settings.description']}
        multiline
        minRows={2}
        fullWidth
      />
      <FormControl error={f['settings.copyLevel'] !== undefined}>
        <FormLabel id="subclient-copy-type">Copy type</FormLabel>
        <RadioGroup
          row
          aria-labelledby="subclient-copy-type"
          value={settings.copyLevel}
          onChange={(e) =>
            patchSettings('copyLevel', e.target.value as SubclientSettings['copyLevel'])
          }
        >
          {COPY_LEVELS.map((level) => (
            <FormControlLabel
              key={level.value}
              value={level.value}
              control={<Radio />}
              label={level.label}
              disabled={!level.enabled}
            />
          ))}
        </RadioGroup>
        <FormHelperText>{f['settings.copyLevel'] ?? COPY_TYPE_HELP}</FormHelperText>
      </FormControl>
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
        <NumberField
          label="Number of data readers"
          value={settings.dataReaders}
          onChange={(value) => patchSettings('dataReaders', value)}
          min={1}
          max={32}
          error={f['settings.dataReaders'] !== undefined}
          helperText={f['settings.dataReaders'] ?? 'Disks read in parallel (1–32)'}
          sx={{ flex: 1 }}
        />
        <NumberField
          label="Backups at once per host"
          value={settings.maxBackupsPerHost}
          onChange={(value) => patchSettings('maxBackupsPerHost', value)}
          min={1}
          max={32}
          error={f['settings.maxBackupsPerHost'] !== undefined}
          helperText={
            f['settings.maxBackupsPerHost'] ??
            'VMs backed up at once on one hypervisor host, over all jobs (1–32)'
          }
          sx={{ flex: 1 }}
        />
        <TextField
          label="Proxy"
          value={settings.proxy}
          error={f['settings.proxy'] !== undefined}
          helperText={f['settings.proxy'] ?? PROXY_HELP}
          slotProps={{ input: { readOnly: true } }}
          sx={{ flex: 1 }}
        />
      </Stack>
      <NumberField
        label="Read limit per VM"
        value={settings.readLimitMiBps}
        onChange={(value) => patchSettings('readLimitMiBps', value)}
        min={0}
        max={100000}
        error={f['settings.readLimitMiBps'] !== undefined}
        helperText={
          f['settings.readLimitMiBps'] ??
          "Most each VM's disks are read at, together; 0 = no limit. Keeps a backup in business hours from taking the datastore's bandwidth from running VMs."
        }
        slotProps={{
          input: { endAdornment: <InputAdornment position="end">MiB/s</InputAdornment> },
        }}
        sx={{ maxWidth: 360 }}
      />
      <FormControl>
        <FormControlLabel
          control={
            <Checkbox
              checked={settings.keepSnapshotsOnFailure}
              onChange={(e) => patchSettings('keepSnapshotsOnFailure', e.target.checked)}
            />
          }
          label="Keep snapshots between failed attempts (disk-level restartability)"
        />
        <FormHelperText sx={{ mt: -0.5 }}>
          A failed backup keeps its snapshot and checkpoint, and the next attempt resumes from it.
        </FormHelperText>
      </FormControl>
      <FormControl component="fieldset">
        <FormLabel component="legend">Automatic retry (scheduled backups)</FormLabel>
        <FormHelperText sx={{ mx: 0, mb: 1.5 }}>{RETRY_HELP}</FormHelperText>
        <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
          <NumberField
            label="Retry failed VMs (times)"
            value={settings.retry.attempts}
            onChange={(attempts) => patchSettings('retry', { ...settings.retry, attempts })}
            min={0}
            max={10}
            error={f['settings.retry.attempts'] !== undefined}
            helperText={
              f['settings.retry.attempts'] ??
              'Attempts after the first that failed (0–10; 0 = never)'
            }
            sx={{ flex: 1 }}
          />
          <NumberField
            label="Wait between attempts (minutes)"
            value={settings.retry.waitSeconds / SECONDS_PER_MINUTE}
            onChange={(minutes) =>
              patchSettings('retry', {
                ...settings.retry,
                waitSeconds: minutes * SECONDS_PER_MINUTE,
              })
            }
            min={0}
            max={1440}
            error={f['settings.retry.waitSeconds'] !== undefined}
            helperText={
              f['settings.retry.waitSeconds'] ??
              'From the end of one attempt to the start of the next (0–1440, a day)'
            }
            sx={{ flex: 1 }}
          />
        </Stack>
      </FormControl>
    </Stack>
  );
}
