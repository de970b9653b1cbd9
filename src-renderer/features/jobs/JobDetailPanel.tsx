import { useEffect, useRef, useState, type ReactNode } from 'react';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import ArticleIcon from '@mui/icons-material/Article';
import ReplayIcon from '@mui/icons-material/Replay';
import StopCircleIcon from '@mui/icons-material/StopCircle';
import type { Job, JobTask } from '../../../shared/domain/jobs';
import { describeError } from '../../api/api-error';
import { useStore } from '../../store';
import { canRetryFailedVms, isActive } from '../../store/jobs-slice';
import { CancelJobDialog } from './CancelJobDialog';
import { JobLogDialog } from './JobLogDialog';
import { PruneOutcomeDetails } from './JobOutcomeView';
import { JobProgressBar } from './JobProgressBar';
import { JobStatusChip } from './JobStatusChip';
import {
  KIND_LABELS,
  backupSummaryFacts,
  bytesProgress,
  durationSeconds,
  failureSummary,
  formatClock,
  formatLocalTime,
  formatRate,
  resultRows,
  taskMessage,
  taskStatusLabel,
  unknownTotalNote,
  jobTitle,
  measured,
} from './job-text';
import { isPruneOutcome, withoutPruneLists } from './job-outcome';
import { useNow } from './use-now';

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box sx={{ minWidth: 120 }}>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography variant="body2" component="div" sx={{ fontVariantNumeric: 'tabular-nums' }}>
        {children}
      </Typography>
    </Box>
  );
}

/** One job in full: live progress per task, why it failed, what it produced, its log. */
export function JobDetailPanel({ job }: { job: Job }) {
  const running = isActive(job);
  const now = useNow(running);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [showLog, setShowLog] = useState(false);
  const failure = failureSummary(job);
  const pruneOutcome = isPruneOutcome(job);
  // A prune's point lists are its own table below; the rest (space freed…) stays as rows.
  const results = resultRows(pruneOutcome ? withoutPruneLists(job.result) : job.result);
  const summary = backupSummaryFacts(job, now);
  const heading = useRef<HTMLHeadingElement>(null);
  const focusRequested = useStore((s) => s.focusJobDetails);
  const focusDone = useStore((s) => s.jobDetailsFocused);
  const retryFailedVms = useStore((s) => s.retryFailedVms);
  const showJob = useStore((s) => s.showJob);
  const [retrying, setRetrying] = useState(false);
  const [retryError, setRetryError] = useState<string | null>(null);

  /** The new job ("Retry of …") opens in this panel, as "Back up now" opens its job. */
  async function retry() {
    setRetrying(true);
    setRetryError(null);
    try {
      showJob((await retryFailedVms(job.id)).id);
    } catch (err) {
      setRetryError(`Could not retry the failed VMs: ${describeError(err)}`);
    } finally {
      setRetrying(false);
    }
  }

  // Opened from "Open in Jobs": start the keyboard here, one Tab before "View log".
  useEffect(() => {
    if (!focusRequested) return;
    heading.current?.focus();
    focusDone();
  }, [focusRequested, focusDone]);

  return (
    <Paper
      variant="outlined"
      component="section"
      aria-label={`Job details: ${jobTitle(job)}`}
      sx={{ p: 2.5 }}
    >
      <Stack direction="row" sx={{ alignItems: 'center', gap: 1.5, flexWrap: 'wrap' }}>
        <Typography
          ref={heading}
          tabIndex={-1}
          variant="h6"
          component="h2"
          sx={{ flex: '1 1 320px', minWidth: 0 }}
        >
          {jobTitle(job)}
        </Typography>
        <JobStatusChip status={job.status} />
        <Button startIcon={<ArticleIcon />} onClick={() => setShowLog(true)}>
          View log
        </Button>
        {canRetryFailedVms(job) && (
          <Button
            variant="outlined"
            startIcon={<ReplayIcon />}
            onClick={() => void retry()}
            disabled={retrying}
          >
            Retry failed VMs
          </Button>
        )}
        {running && (
          <Button
            color="error"
            variant="outlined"
            startIcon={<StopCircleIcon />}
            onClick={() => setConfirmCancel(true)}
          >
            Cancel
          </Button>
        )}
      </Stack>
      {retryError !== null && (
        <Alert severity="error" sx={{ mt: 2 }} onClose={() => setRetryError(null)}>
          {retryError}
        </Alert>
      )}

      <Box sx={{ mt: 2 }}>
        <JobProgressBar
          status={job.status}
          bytesDone={job.bytesDone}
          bytesTotal={job.bytesTotal}
          label={`Overall progress of ${jobTitle(job)}`}
        />
      </Box>
      <Stack direction="row" sx={{ mt: 1.5, gap: 3, flexWrap: 'wrap' }}>
        <Fact label="Kind">{KIND_LABELS[job.kind]}</Fact>
        {/* An ended job's phase is its status again ("succeeded"): the chip above says it. */}
        {running && <Fact label="Phase">{job.phase}</Fact>}
        {measured(job) && (
          <Fact label="Data">
            {bytesProgress(job.bytesDone, job.bytesTotal)}
            {unknownTotalNote(job) !== undefined && ` · ${unknownTotalNote(job)}`}
          </Fact>
        )}
        {running && <Fact label="Rate">{formatRate(job.rate)}</Fact>}
        {running && <Fact label="Time left">{formatClock(job.etaSeconds)}</Fact>}
        <Fact label="Started">{formatLocalTime(job.startedAt ?? job.createdAt)}</Fact>
        <Fact label={running ? 'Running for' : 'Duration'}>
          {formatClock(durationSeconds(job, now))}
        </Fact>
        {summary.map(([label, value]) => (
          <Fact key={label} label={label}>
            {value}
          </Fact>
        ))}
        {job.finishedAt !== undefined && (
          <Fact label="Finished">{formatLocalTime(job.finishedAt)}</Fact>
        )}
      </Stack>

      {failure !== undefined && (
        <Alert
          severity={
            job.status === 'cancelled' ? 'info' : job.status === 'partial' ? 'warning' : 'error'
          }
          sx={{ mt: 2 }}
        >
          <AlertTitle>{failureTitle(job)}</AlertTitle>
          {failure}
        </Alert>
      )}
      {job.warnings.length > 0 && (
        <Alert severity="warning" sx={{ mt: 2 }}>
          <AlertTitle>
            {job.warnings.length === 1 ? 'Warning' : `${job.warnings.length} warnings`}
          </AlertTitle>
          <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
            {job.warnings.map((warning, index) => (
              <li key={index}>{warning}</li>
            ))}
          </Box>
        </Alert>
      )}

      <Typography variant="subtitle1" component="h3" sx={{ mt: 3, mb: 1, fontWeight: 600 }}>
        {job.kind === 'backup' ? 'Virtual machines' : job.kind === 'restore' ? 'Disks' : 'Tasks'}
      </Typography>
      {job.tasks.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          {running
            ? 'Preparing…'
            : pruneOutcome
              ? 'This job has no tasks: the restore points below say what it did.'
              : 'This job ended before any task started.'}
        </Typography>
      ) : (
        <TasksTable tasks={job.tasks} />
      )}
      <PruneOutcomeDetails job={job} />

      {results.length > 0 && (
        <>
          <Typography variant="subtitle1" component="h3" sx={{ mt: 3, mb: 1, fontWeight: 600 }}>
            Result
          </Typography>
          <Table size="small" aria-label="Result">
            <TableBody>
              {results.map(([label, value]) => (
                <TableRow key={label}>
                  <TableCell
                    component="th"
                    scope="row"
                    sx={{ width: 220, color: 'text.secondary' }}
                  >
                    {label}
                  </TableCell>
                  <TableCell sx={{ wordBreak: 'break-word' }}>{value}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </>
      )}
      <Typography variant="caption" color="text.secondary" component="p" sx={{ mt: 2 }}>
        Job {job.id}
      </Typography>

      {confirmCancel && <CancelJobDialog job={job} onClose={() => setConfirmCancel(false)} />}
      {showLog && <JobLogDialog job={job} onClose={() => setShowLog(false)} />}
    </Paper>
  );
}

function failureTitle(job: Job): string {
  switch (job.status) {
    case 'cancelled':
      return 'Cancelled';
    case 'partial':
      return 'Some tasks failed';
    case 'failed':
      return 'The job failed';
    default:
      return 'A task failed';
  }
}

function TasksTable({ tasks }: { tasks: JobTask[] }) {
  return (
    <Table size="small" aria-label="Tasks">
      <TableHead>
        <TableRow>
          <TableCell>Name</TableCell>
          <TableCell>Status</TableCell>
          <TableCell sx={{ width: 200 }}>Progress</TableCell>
          <TableCell align="right">Data</TableCell>
          <TableCell align="right">Rate</TableCell>
          <TableCell align="right">ETA</TableCell>
          <TableCell>Phase / message</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {tasks.map((task) => {
          const running = isActive(task);
          return (
            <TableRow key={task.key}>
              <TableCell sx={{ fontWeight: 600 }}>{task.label}</TableCell>
              <TableCell>
                <JobStatusChip status={task.status} label={taskStatusLabel(task)} />
              </TableCell>
              <TableCell>
                <JobProgressBar
                  status={task.status}
                  bytesDone={task.bytesDone}
                  bytesTotal={task.bytesTotal}
                  label={`Progress of ${task.label}`}
                />
              </TableCell>
              <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                {bytesProgress(task.bytesDone, task.bytesTotal)}
              </TableCell>
              <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                {running ? formatRate(task.rate) : '—'}
              </TableCell>
              <TableCell align="right">{running ? formatClock(task.etaSeconds) : '—'}</TableCell>
              <TableCell sx={{ wordBreak: 'break-word' }}>{taskMessage(task)}</TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
