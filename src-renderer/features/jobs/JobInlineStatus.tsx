import { useEffect, useRef } from 'react';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import type { Job } from '../../../shared/domain/jobs';
import { useStore } from '../../store';
import { isActive } from '../../store/jobs-slice';
import { JobOutcomeInline } from './JobOutcomeView';
import { JobProgressBar } from './JobProgressBar';
import { JobStatusChip } from './JobStatusChip';
import {
  backupSummaryFacts,
  bytesProgress,
  durationSeconds,
  failureSummary,
  formatClock,
  formatRate,
  unknownTotalNote,
  warningsPreview,
  jobTitle,
  measured,
} from './job-text';

/**
 * A job started from another page (Verify, Back up now, Restore disk), followed live where it
 * was started, with the way to its full details on the Jobs page.
 */
export function JobInlineStatus(props: {
  jobId: string;
  onDismiss?(): void;
  /** Takes the keyboard focus when shown: the button that started the job is disabled now. */
  autoFocus?: boolean;
}) {
  const { jobId, onDismiss, autoFocus = false } = props;
  const job = useStore((s) => s.jobsById[jobId]);
  const showJob = useStore((s) => s.showJob);
  const ref = useRef<HTMLDivElement>(null);
  const shown = job !== undefined;
  useEffect(() => {
    if (autoFocus && shown) ref.current?.focus();
  }, [autoFocus, shown, jobId]);
  if (job === undefined) return null;
  const running = isActive(job);
  const failure = failureSummary(job);
  const warnings = warningsPreview(job.warnings);
  const totalNote = unknownTotalNote(job);
  // Ended jobs only: their duration ends at finishedAt, whatever "now" is.
  const endedAt = Date.parse(job.finishedAt ?? job.createdAt);
  const facts = running ? [] : backupSummaryFacts(job, endedAt);
  const summary: [string, string][] =
    facts.length > 0 ? [['Duration', formatClock(durationSeconds(job, endedAt))], ...facts] : [];
  return (
    <Alert
      ref={ref}
      tabIndex={autoFocus ? -1 : undefined}
      severity={alertSeverity(job)}
      variant="outlined"
      role="status"
      aria-label={`Job ${jobTitle(job)}`}
      onClose={running ? undefined : onDismiss}
      sx={{ '& .MuiAlert-message': { flexGrow: 1, minWidth: 0 } }}
    >
      <AlertTitle>
        <Stack direction="row" sx={{ alignItems: 'center', gap: 1, flexWrap: 'wrap' }}>
          <Box component="span" sx={{ flex: '1 1 auto', minWidth: 0 }}>
            {jobTitle(job)}
          </Box>
          <JobStatusChip status={job.status} />
        </Stack>
      </AlertTitle>
      <JobProgressBar
        status={job.status}
        bytesDone={job.bytesDone}
        bytesTotal={job.bytesTotal}
        label={`Progress of ${jobTitle(job)}`}
      />
      <Typography variant="body2" sx={{ mt: 0.5 }}>
        {job.phase}
        {measured(job) && ` · ${bytesProgress(job.bytesDone, job.bytesTotal)}`}
        {totalNote !== undefined && ` · ${totalNote}`}
        {running && ` · ${formatRate(job.rate)} · ${formatClock(job.etaSeconds)} left`}
      </Typography>
      {summary.length > 0 && (
        <Typography variant="body2" sx={{ mt: 0.5 }}>
          {summary.map(([label, value]) => `${label}: ${value}`).join(' · ')}
        </Typography>
      )}
      <JobOutcomeInline job={job} />
      {failure !== undefined && (
        <Typography variant="body2" sx={{ mt: 0.5, fontWeight: 600 }}>
          {failure}
        </Typography>
      )}
      {warnings.lines.length > 0 && (
        <Box component="ul" aria-label="Warnings" sx={{ mt: 0.5, mb: 0, pl: 2.5 }}>
          {warnings.lines.map((line, i) => (
            <Typography component="li" variant="body2" key={i}>
              {line}
            </Typography>
          ))}
          {warnings.more !== undefined && (
            <Typography component="li" variant="body2" color="text.secondary">
              {warnings.more}
            </Typography>
          )}
        </Box>
      )}
      <Button size="small" sx={{ mt: 1, ml: -0.5 }} onClick={() => showJob(job.id)}>
        Open in Jobs
      </Button>
    </Alert>
  );
}

function alertSeverity(job: Job): 'info' | 'success' | 'warning' | 'error' {
  switch (job.status) {
    case 'succeeded':
      return job.warnings.length > 0 ? 'warning' : 'success';
    case 'failed':
      return 'error';
    case 'partial':
    case 'cancelled':
      return 'warning';
    default:
      return 'info';
  }
}
