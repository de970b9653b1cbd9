import { useEffect, useId, useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import type { VerifySchedule } from '../../../shared/domain/verify-schedule';
import { describeError, invoke, toApiError } from '../../api/client';
import { useStore } from '../../store';
import { CronField, TimeZoneField } from '../backup-sets/subclient/ScheduleTab';
import { useSchedulePreview } from '../backup-sets/subclient/use-schedule-preview';
import { formatLocalTime } from '../jobs/job-text';

/**
 * When a repository checks itself unattended (PBS's verify jobs): a cron schedule, metadata only
 * or every chunk re-read. A failed scheduled verify is a failed job, so notifications tell it.
 */
export function VerifyScheduleDialog(props: { repository: string; onClose(): void }) {
  const { repository, onClose } = props;
  const notify = useStore((s) => s.notify);
  const titleId = useId();
  const [schedule, setSchedule] = useState<VerifySchedule | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const preview = useSchedulePreview(schedule?.cron ?? '', schedule?.timezone ?? 'UTC', 3);

  useEffect(() => {
    invoke('repo.verifySchedule', { name: repository }).then(
      ({ enabled, cron, timezone, readData }) => setSchedule({ enabled, cron, timezone, readData }),
      (err: unknown) => setProblem(describeError(err)),
    );
  }, [repository]);

  const change = (update: Partial<VerifySchedule>) => {
    setSchedule((s) => (s === null ? s : { ...s, ...update }));
    setFieldErrors({});
  };

  async function save(event: FormEvent) {
    event.preventDefault();
    if (schedule === null || busy) return;
    setBusy(true);
    setProblem(null);
    try {
      const saved = await invoke('repo.setVerifySchedule', { name: repository, schedule });
      notify(
        'success',
        saved.enabled && saved.nextRuns[0]
          ? `${repository} verifies itself on schedule; next: ${formatLocalTime(saved.nextRuns[0])}`
          : `Scheduled verification of ${repository} is off`,
      );
      onClose();
    } catch (err) {
      const apiError = toApiError(err);
      const field = apiError.details?.['field'];
      if (field === 'cron' || field === 'timezone') setFieldErrors({ [field]: apiError.message });
      else setProblem(describeError(apiError));
      setBusy(false);
    }
  }

  const zoneError =
    fieldErrors['timezone'] ??
    (preview.phase === 'invalid' && preview.field === 'timezone' ? preview.message : undefined);
  return (
    <Dialog
      open
      onClose={() => !busy && onClose()}
      aria-labelledby={titleId}
      maxWidth="md"
      fullWidth
    >
      <form onSubmit={(e) => void save(e)} noValidate>
        <DialogTitle id={titleId}>Verification schedule of {repository}</DialogTitle>
        <DialogContent>
          <DialogContentText sx={{ mb: 2 }}>
            The engine verifies the repository by itself at these times, as the Verify button does:
            every restore point’s structure and chunk references, and with “Read all data” every
            chunk re-read and re-hashed. A damaged repository fails the job and names the restore
            points affected.
          </DialogContentText>
          {problem !== null && (
            <Alert severity="error" sx={{ mb: 2 }}>
              {problem}
            </Alert>
          )}
          {schedule === null ? (
            problem === null && <Skeleton height={160} />
          ) : (
            <Stack spacing={2.5}>
              <FormControlLabel
                control={
                  <Checkbox
                    checked={schedule.enabled}
                    onChange={(e) => change({ enabled: e.target.checked })}
                  />
                }
                label="Verify this repository on a schedule"
              />
              <TimeZoneField
                value={schedule.timezone}
                onChange={(timezone) => change({ timezone })}
                error={zoneError}
              />
              <CronField
                label="Verification schedule"
                value={schedule.cron}
                onChange={(cron) => change({ cron })}
                savedError={fieldErrors['cron']}
                preview={preview}
                timezone={schedule.timezone}
              />
              <FormControlLabel
                control={
                  <Checkbox
                    checked={schedule.readData}
                    onChange={(e) => change({ readData: e.target.checked })}
                  />
                }
                label="Read all data (re-read and re-hash every chunk: reads the whole repository)"
              />
            </Stack>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={busy || schedule === null}>
            Save
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
