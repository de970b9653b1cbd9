import Autocomplete from '@mui/material/Autocomplete';
import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import CircularProgress from '@mui/material/CircularProgress';
import FormControlLabel from '@mui/material/FormControlLabel';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { SubclientSettings } from '../../../../shared/domain/backup-set';
import { MONO_FONT_STACK } from '../../../theme/theme';
import { useSchedulePreview, type SchedulePreview } from './use-schedule-preview';
import type { SubclientForm } from './use-subclient-form';

const CRON_HELP = 'minute hour day-of-month month day-of-week, e.g. 0 1 * * 0 (Sundays at 01:00)';

function timeZones(): string[] {
  try {
    const zones = Intl.supportedValuesOf('timeZone');
    return zones.includes('UTC') ? zones : ['UTC', ...zones];
  } catch {
    return ['UTC'];
  }
}

const TIME_ZONES = timeZones();

function formatRun(iso: string, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, {
      dateStyle: 'full',
      timeStyle: 'short',
      timeZone,
    }).format(new Date(iso));
  } catch {
    return iso;
  }
}

/** FIG. 15 schedule: full and incremental cron expressions, with their next runs, live. */
export function ScheduleTab({ form }: { form: SubclientForm }) {
  const { schedule } = form.values.settings;
  const f = form.errors.fields;
  const full = useSchedulePreview(schedule.full, schedule.timezone);
  const incremental = useSchedulePreview(schedule.incremental, schedule.timezone);
  const set = (update: Partial<SubclientSettings['schedule']>) =>
    form.patchSettings('schedule', { ...schedule, ...update });
  const zoneError =
    f['settings.schedule.timezone'] ??
    [full, incremental].find(
      (p): p is Extract<SchedulePreview, { phase: 'invalid' }> =>
        p.phase === 'invalid' && p.field === 'timezone',
    )?.message;

  return (
    <Stack spacing={2.5}>
      <FormControlLabel
        control={
          <Checkbox
            checked={schedule.enabled}
            onChange={(e) => set({ enabled: e.target.checked })}
          />
        }
        label="Run backups on this schedule"
      />
      <TimeZoneField
        value={schedule.timezone}
        onChange={(timezone) => set({ timezone })}
        error={zoneError}
      />
      <CronField
        label="Full backup schedule"
        value={schedule.full}
        onChange={(full) => set({ full })}
        savedError={f['settings.schedule.full']}
        preview={full}
        timezone={schedule.timezone}
      />
      <CronField
        label="Incremental backup schedule"
        value={schedule.incremental}
        onChange={(incrementalExpression) => set({ incremental: incrementalExpression })}
        savedError={f['settings.schedule.incremental']}
        preview={incremental}
        timezone={schedule.timezone}
      />
    </Stack>
  );
}

/** The IANA zone a schedule's times are in (shared by the subclient and repository schedules). */
export function TimeZoneField(props: {
  value: string;
  onChange(timezone: string): void;
  error: string | undefined;
}) {
  return (
    <Autocomplete
      options={TIME_ZONES}
      value={props.value}
      disableClearable
      onChange={(_event, timezone) => props.onChange(timezone)}
      renderInput={(params) => (
        <TextField
          {...params}
          label="Time zone"
          error={props.error !== undefined}
          helperText={
            props.error ?? 'The schedule’s times are in this zone (daylight saving included)'
          }
        />
      )}
      sx={{ maxWidth: 420 }}
    />
  );
}

export function CronField(props: {
  label: string;
  value: string;
  onChange(value: string): void;
  savedError: string | undefined;
  preview: SchedulePreview;
  timezone: string;
}) {
  const { preview } = props;
  const liveError =
    preview.phase === 'invalid' && preview.field === 'expression' ? preview.message : undefined;
  const error = liveError ?? props.savedError;
  return (
    <Box
      sx={{
        display: 'grid',
        gap: 2,
        gridTemplateColumns: { xs: '1fr', md: 'minmax(0, 1fr) minmax(0, 1fr)' },
      }}
    >
      <TextField
        label={props.label}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        error={error !== undefined}
        helperText={error ?? CRON_HELP}
        slotProps={{ htmlInput: { spellCheck: false, style: { fontFamily: MONO_FONT_STACK } } }}
      />
      <Paper
        variant="outlined"
        component="section"
        sx={{ px: 2, py: 1 }}
        aria-label={`Next runs: ${props.label}`}
      >
        <Typography variant="caption" color="text.secondary" component="h4">
          Next runs
        </Typography>
        {preview.phase === 'loading' && (
          <CircularProgress size={16} sx={{ display: 'block', my: 1 }} />
        )}
        {preview.phase === 'invalid' && (
          <Typography variant="body2" color="text.secondary">
            —
          </Typography>
        )}
        {preview.phase === 'ready' && (
          <Box component="ol" sx={{ m: 0, pl: 2.5 }}>
            {preview.runs.map((run) => (
              <Typography component="li" variant="body2" key={run}>
                {formatRun(run, props.timezone)}
              </Typography>
            ))}
          </Box>
        )}
      </Paper>
    </Box>
  );
}
