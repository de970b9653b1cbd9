import { useEffect } from 'react';
import Checkbox from '@mui/material/Checkbox';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { SubclientSettings } from '../../../../shared/domain/backup-set';
import { useStore } from '../../../store';
import { NumberField } from '../form/NumberField';
import { recoveryTestHostChoices } from './recovery-test-host';
import { CronField } from './ScheduleTab';
import { useSchedulePreview } from './use-schedule-preview';
import type { SubclientForm } from './use-subclient-form';

/** The range SubclientSettings.recoveryTest.bootSeconds accepts. */
const MIN_BOOT_SECONDS = 5;
const MAX_BOOT_SECONDS = 3600;

/**
 * Scheduled recovery tests of the subclient's VMs: when and where the newest points are brought
 * up, in the time zone of the backup schedule above.
 */
export function RecoveryTestSection({ form }: { form: SubclientForm }) {
  const { recoveryTest, schedule } = form.values.settings;
  const f = form.errors.fields;
  const set = (update: Partial<SubclientSettings['recoveryTest']>) =>
    form.patchSettings('recoveryTest', { ...recoveryTest, ...update });

  return (
    <Stack spacing={2.5} component="section" aria-label="Recovery test">
      <Typography variant="subtitle2" component="h3">
        Recovery test
      </Typography>
      <div>
        <FormControlLabel
          control={
            <Checkbox
              checked={recoveryTest.enabled}
              onChange={(e) => set({ enabled: e.target.checked })}
            />
          }
          label="Test the newest restore point of each VM on a schedule (recovery test)"
        />
        <Typography variant="body2" color="text.secondary">
          Each VM’s newest point is restored as an isolated copy without network cards, started,
          checked and removed again.
        </Typography>
      </div>
      {recoveryTest.enabled && (
        <RecoveryTestFields
          form={form}
          timezone={schedule.timezone}
          cronError={f['settings.recoveryTest.cron']}
          hostError={f['settings.recoveryTest.hypervisor']}
          bootError={f['settings.recoveryTest.bootSeconds']}
          set={set}
        />
      )}
    </Stack>
  );
}

/** Shown only while enabled, so a disabled test asks the engine for no preview. */
function RecoveryTestFields(props: {
  form: SubclientForm;
  timezone: string;
  cronError: string | undefined;
  hostError: string | undefined;
  bootError: string | undefined;
  set(update: Partial<SubclientSettings['recoveryTest']>): void;
}) {
  const { recoveryTest } = props.form.values.settings;
  const preview = useSchedulePreview(recoveryTest.cron, props.timezone);
  return (
    <>
      <CronField
        label="Recovery test schedule"
        value={recoveryTest.cron}
        onChange={(cron) => props.set({ cron })}
        savedError={props.cronError}
        preview={preview}
        timezone={props.timezone}
      />
      <RecoveryTestHostSelect
        value={recoveryTest.hypervisor}
        onChange={(hypervisor) => props.set({ hypervisor })}
        error={props.hostError}
      />
      <BootWait
        value={recoveryTest.bootSeconds}
        onChange={(bootSeconds) => props.set({ bootSeconds })}
        error={props.bootError}
      />
    </>
  );
}

/** "Wait up to [N] seconds for each VM to come up", read as the sentence it is. */
function BootWait(props: {
  value: number;
  onChange(seconds: number): void;
  error: string | undefined;
}) {
  return (
    <FormControl error={props.error !== undefined}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', minHeight: 56 }}>
        <Typography>Wait up to</Typography>
        <NumberField
          size="small"
          value={props.value}
          onChange={props.onChange}
          min={MIN_BOOT_SECONDS}
          max={MAX_BOOT_SECONDS}
          error={props.error !== undefined}
          slotProps={{ htmlInput: { 'aria-label': 'Seconds to wait for each VM to come up' } }}
          sx={{ width: 100 }}
        />
        <Typography>seconds for each VM to come up</Typography>
      </Stack>
      <FormHelperText>
        {props.error === undefined
          ? 'A guest agent’s answer ends the wait early (5–3600 seconds)'
          : // The schema's own range message ("expected number to be >=5") reads like code.
            `Enter a whole number of seconds from ${MIN_BOOT_SECONDS} to ${MAX_BOOT_SECONDS}`}
      </FormHelperText>
    </FormControl>
  );
}

function RecoveryTestHostSelect(props: {
  value: string;
  onChange(hypervisor: string): void;
  error: string | undefined;
}) {
  const hypervisors = useStore((s) => s.hypervisors);
  const status = useStore((s) => s.hypervisorsStatus);
  const loadHypervisors = useStore((s) => s.loadHypervisors);
  useEffect(() => {
    if (status === 'idle') void loadHypervisors();
  }, [status, loadHypervisors]);
  const { selected, choices } = recoveryTestHostChoices(
    props.value,
    hypervisors,
    status === 'ready',
  );
  return (
    <TextField
      select
      label="Test on host"
      value={selected}
      onChange={(e) => props.onChange(e.target.value)}
      error={props.error !== undefined}
      helperText={props.error ?? 'Recovery tests run on libvirt hosts only'}
      sx={{ maxWidth: 420 }}
      slotProps={{
        // '' is a choice ("Each VM's own host"): shown, with the label above it, not as empty.
        inputLabel: { shrink: true },
        select: {
          displayEmpty: true,
          renderValue: (value) => choices.find((c) => c.value === value)?.label ?? '',
        },
      }}
    >
      {choices.map((choice) => (
        <MenuItem
          key={choice.value}
          value={choice.value}
          disabled={choice.disabledReason !== undefined}
        >
          <ListItemText primary={choice.label} secondary={choice.disabledReason} />
        </MenuItem>
      ))}
    </TextField>
  );
}
