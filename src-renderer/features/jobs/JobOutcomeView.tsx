import Box from '@mui/material/Box';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { Job } from '../../../shared/domain/jobs';
import { prunePointLine } from '../../../shared/prune-outcome';
import { jobOutcome } from './job-outcome';
import { formatLocalTime } from './job-text';

/** Inline, the first few points; the Jobs page lists them all. */
const INLINE_POINTS = 5;

/**
 * Where a verify, prune or recovery test was started: what it found, removed or proved, in a few
 * lines.
 */
export function JobOutcomeInline({ job }: { job: Job }) {
  const outcome = jobOutcome(job);
  if (outcome === undefined) return null;
  const shown = outcome.points.slice(0, INLINE_POINTS);
  const more = outcome.points.length - shown.length;
  return (
    <Box sx={{ mt: 0.5 }}>
      <Typography variant="body2">{outcome.headline}</Typography>
      {shown.length > 0 && (
        <Box component="ul" aria-label={outcome.pointsLabel} sx={{ mt: 0.5, mb: 0, pl: 2.5 }}>
          {shown.map((point) => (
            <Typography component="li" variant="body2" key={point.id}>
              {prunePointLine(point, formatLocalTime)}
            </Typography>
          ))}
          {more > 0 && (
            <Typography component="li" variant="body2" color="text.secondary">
              and {more} more
            </Typography>
          )}
        </Box>
      )}
    </Box>
  );
}

/** On the Jobs page: the prune's summary and every point it removed or would remove. */
export function PruneOutcomeDetails({ job }: { job: Job }) {
  const outcome = jobOutcome(job);
  if (outcome === undefined || (job.kind !== 'prune' && job.kind !== 'delete')) return null;
  return (
    <>
      <Typography variant="subtitle1" component="h3" sx={{ mt: 3, mb: 1, fontWeight: 600 }}>
        Restore points
      </Typography>
      <Typography variant="body2">{outcome.headline}</Typography>
      {outcome.points.length > 0 && (
        <Table size="small" aria-label={outcome.pointsLabel} sx={{ mt: 1 }}>
          <TableHead>
            <TableRow>
              <TableCell>Virtual machine</TableCell>
              <TableCell>Time</TableCell>
              <TableCell>Why</TableCell>
              <TableCell>Restore point</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {outcome.points.map((point) => (
              <TableRow key={point.id}>
                <TableCell sx={{ fontWeight: 600 }}>{point.vmName}</TableCell>
                <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatLocalTime(point.time)}</TableCell>
                <TableCell sx={{ wordBreak: 'break-word' }}>{point.reason}</TableCell>
                <TableCell sx={{ wordBreak: 'break-all', color: 'text.secondary' }}>
                  {point.id}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
