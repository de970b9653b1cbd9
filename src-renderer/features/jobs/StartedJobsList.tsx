import { useState } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import CloseIcon from '@mui/icons-material/Close';
import type { Job } from '../../../shared/domain/jobs';
import { useStore } from '../../store';
import { isActive } from '../../store/jobs-slice';
import { JobInlineStatus } from './JobInlineStatus';
import { JobStatusChip } from './JobStatusChip';
import { formatLocalTime, jobTitle } from './job-text';

/** Older finished jobs shown as one line each; the rest are a click away on the Jobs page. */
const MAX_EARLIER_LINES = 3;

/**
 * The jobs a page started, newest first. Running jobs and the newest finished one are shown in
 * full; older finished ones shrink to one line each, so three restores in a row do not push the
 * page itself below the fold (review P12).
 */
export function StartedJobsList(props: {
  jobIds: readonly string[];
  label: string;
  onDismiss(jobId: string): void;
  /** A job added while the list is shown takes the keyboard focus (not those there at first). */
  focusAdded?: boolean;
}) {
  const { jobIds, label, onDismiss, focusAdded = false } = props;
  const [initialIds] = useState(() => new Set(jobIds));
  const jobsById = useStore((s) => s.jobsById);
  const navigate = useStore((s) => s.navigate);
  const known = jobIds.flatMap((id) => {
    const job = jobsById[id];
    return job === undefined ? [] : [job];
  });
  const newestFinished = known.find((job) => !isActive(job));
  const full = known.filter((job) => isActive(job) || job === newestFinished);
  const earlier = known.filter((job) => !full.includes(job));
  if (known.length === 0) return null;
  const hidden = earlier.length - MAX_EARLIER_LINES;
  return (
    <Stack spacing={1} sx={{ mb: 2 }} aria-label={label}>
      {full.map((job) => (
        <JobInlineStatus
          key={job.id}
          jobId={job.id}
          onDismiss={() => onDismiss(job.id)}
          autoFocus={focusAdded && job.id === jobIds[0] && !initialIds.has(job.id)}
        />
      ))}
      {earlier.length > 0 && (
        <Box
          component="ul"
          aria-label="Earlier jobs"
          sx={{ listStyle: 'none', m: 0, p: 0, display: 'grid', gap: 0.5 }}
        >
          {earlier.slice(0, MAX_EARLIER_LINES).map((job) => (
            <EarlierJobLine key={job.id} job={job} onDismiss={() => onDismiss(job.id)} />
          ))}
          {hidden > 0 && (
            <Box component="li">
              <Button size="small" onClick={() => navigate('jobs')}>
                {hidden === 1 ? '1 more finished job' : `${hidden} more finished jobs`} on the Jobs
                page
              </Button>
            </Box>
          )}
        </Box>
      )}
    </Stack>
  );
}

/** A finished job in one line: how it ended, when, and the way to its details. */
function EarlierJobLine({ job, onDismiss }: { job: Job; onDismiss(): void }) {
  const showJob = useStore((s) => s.showJob);
  const title = jobTitle(job);
  return (
    <Paper
      component="li"
      variant="outlined"
      aria-label={`Finished job ${title}`}
      sx={{ display: 'flex', alignItems: 'center', gap: 1, px: 1.5, py: 0.25, minWidth: 0 }}
    >
      <JobStatusChip status={job.status} />
      <Typography variant="body2" noWrap sx={{ flex: '1 1 auto', minWidth: 0 }} title={title}>
        {title}
      </Typography>
      <Typography variant="caption" color="text.secondary" sx={{ whiteSpace: 'nowrap' }}>
        ended {formatLocalTime(job.finishedAt ?? job.createdAt)}
      </Typography>
      <Button size="small" onClick={() => showJob(job.id)}>
        Open in Jobs
      </Button>
      <Tooltip title="Dismiss">
        <IconButton size="small" aria-label={`Dismiss ${title}`} onClick={onDismiss}>
          <CloseIcon fontSize="small" />
        </IconButton>
      </Tooltip>
    </Paper>
  );
}
