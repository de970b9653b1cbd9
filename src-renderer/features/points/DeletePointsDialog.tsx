import Box from '@mui/material/Box';
import DialogContentText from '@mui/material/DialogContentText';
import Typography from '@mui/material/Typography';
import type { RestorePoint } from '../../../shared/domain/jobs';
import { ConfirmDialog } from '../../shell/ConfirmDialog';
import { formatLocalTime } from '../jobs/job-text';

/** Beyond this many, the list of points to delete ends with "and N more". */
const LISTED_POINTS = 8;

function pointsText(n: number): string {
  return n === 1 ? 'restore point' : `${n} restore points`;
}

/**
 * Asks before deleting restore points of one VM: which points (local time, full or
 * incremental), that nothing brings them back, what stays restorable and what space comes back.
 * `remaining` is how many points of the VM are not chosen.
 */
export function DeletePointsDialog(props: {
  vmName: string;
  points: readonly RestorePoint[];
  remaining: number;
  onConfirm(): Promise<void>;
  onClose(): void;
}) {
  const { vmName, points, remaining } = props;
  const repositories = [...new Set(points.map((p) => p.repository))];
  const single = points.length === 1 ? points[0] : undefined;
  const what = pointsText(points.length);
  const from = repositories.length === 1 ? `repository ${repositories[0]}` : 'their repositories';
  const text =
    single === undefined
      ? `These ${points.length} restore points of ${vmName} will be deleted from ${from}. This cannot be undone.`
      : `The restore point of ${formatLocalTime(single.time)} of ${vmName} (${single.type}) will be deleted from ${from}. This cannot be undone.`;
  return (
    <ConfirmDialog
      title={`Delete ${what} of ${vmName}?`}
      text={text}
      details={
        <>
          {single === undefined && <PointList points={points} />}
          <DialogContentText sx={{ mt: 1.5 }}>
            {remaining === 0
              ? `${single === undefined ? 'These are' : 'It is'} the last restore point${single === undefined ? 's' : ''} of ${vmName}: the VM has no backup left until it is backed up again.`
              : `The other ${pointsText(remaining)} of ${vmName} stay${remaining === 1 ? 's' : ''} restorable: every point is complete on its own (a synthetic full), so deleting one never breaks another, incremental or not.`}
          </DialogContentText>
          <DialogContentText sx={{ mt: 1.5 }}>
            Space is freed only for the data no other restore point uses; what the remaining points
            share with the deleted ones stays.
          </DialogContentText>
        </>
      }
      confirmLabel={`Delete ${what}`}
      busyLabel="Deleting…"
      // The engine deletes from one repository per job: a VM backed up to two is done in turns.
      blockedReason={
        repositories.length > 1
          ? `The chosen points are in ${repositories.length} repositories (${repositories.join(', ')}): delete the points of one repository at a time.`
          : undefined
      }
      onConfirm={props.onConfirm}
      onClose={props.onClose}
    />
  );
}

function PointList({ points }: { points: readonly RestorePoint[] }) {
  const shown = points.slice(0, LISTED_POINTS);
  const more = points.length - shown.length;
  return (
    <Box component="ul" aria-label="Restore points to delete" sx={{ mt: 1, mb: 0, pl: 2.5 }}>
      {shown.map((point) => (
        <Typography component="li" variant="body2" key={point.id}>
          {formatLocalTime(point.time)} — {point.type}
        </Typography>
      ))}
      {more > 0 && (
        <Typography component="li" variant="body2" color="text.secondary">
          and {more} more
        </Typography>
      )}
    </Box>
  );
}
