import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { backupWindowText, normalizeTimeOfDay, type BackupWindow } from './backup-window-text';
import type { SubclientForm } from './use-subclient-form';

const TIME_HELP = 'HH:MM, 24-hour clock';

/**
 * The subclient's backup window: the hours in which its scheduled backups may run, in the time
 * zone of its schedule. Plain text boxes rather than the browser's time picker, which shows
 * AM/PM in some locales while the engine, the CLI and the line below speak 24-hour "HH:MM".
 */
export function BackupWindowSection({ form }: { form: SubclientForm }) {
  const { activity, schedule } = form.values.settings;
  const { window } = activity;
  const f = form.errors.fields;
  const set = (update: Partial<BackupWindow>) =>
    form.patchSettings('activity', { ...activity, window: { ...window, ...update } });

  return (
    <Stack spacing={2} component="section" aria-label="Backup window">
      <Typography variant="subtitle2" component="h3">
        Backup window
      </Typography>
      {/* In a div: Stack's spacing would reset the label's negative margin that aligns its box. */}
      <div>
        <FormControlLabel
          control={
            <Checkbox
              checked={window.enabled}
              onChange={(e) => set({ enabled: e.target.checked })}
            />
          }
          label="Run scheduled backups only within a backup window"
        />
      </div>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'flex-start' }}>
        <TimeField
          label="Window opens"
          value={window.start}
          onChange={(start) => set({ start })}
          disabled={!window.enabled}
          error={f['settings.activity.window.start']}
        />
        <TimeField
          label="Window closes"
          value={window.end}
          onChange={(end) => set({ end })}
          disabled={!window.enabled}
          error={f['settings.activity.window.end']}
        />
      </Stack>
      <Typography variant="body2" color="text.secondary" aria-live="polite">
        {backupWindowText(window, schedule.timezone, schedule.enabled)}
      </Typography>
    </Stack>
  );
}

function TimeField(props: {
  label: string;
  value: string;
  onChange(value: string): void;
  disabled: boolean;
  error: string | undefined;
}) {
  return (
    <TextField
      label={props.label}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
      // "5:00" or "0500" becomes "05:00" on leaving, so the line below reads what is saved.
      onBlur={(e) => {
        const normalized = normalizeTimeOfDay(e.target.value);
        if (normalized !== props.value) props.onChange(normalized);
      }}
      disabled={props.disabled}
      error={props.error !== undefined}
      helperText={props.error ?? TIME_HELP}
      placeholder="HH:MM"
      sx={{ width: 200 }}
      slotProps={{ htmlInput: { inputMode: 'numeric', maxLength: 5, spellCheck: false } }}
    />
  );
}
