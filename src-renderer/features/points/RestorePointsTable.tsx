import { useEffect, useRef, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import LinearProgress from '@mui/material/LinearProgress';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlined';
import type { RestorePoint } from '../../../shared/domain/jobs';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { describeError } from '../../api/api-error';
import { useStore } from '../../store';
import { isActive } from '../../store/jobs-slice';
import { DeletePointsDialog } from './DeletePointsDialog';
import { LiftProtectionDialog, ProtectPointDialog } from './PointProtectionDialogs';
import { RestoreDiskDialog } from './RestoreDiskDialog';
import { RestorePointRow } from './RestorePointRow';

/**
 * The restore points of one VM with what can be done to each: browse its files, restore a disk,
 * protect it from retention (or lift the protection), delete it (one, or the points ticked). The jobs these start are followed by the caller:
 * `onJobStarted` says which, and whether it takes the keyboard focus.
 */
export function RestorePointsTable(props: {
  /** Only its UUID and name: the Storage page also shows the points of VMs no hypervisor lists. */
  vm: Pick<VirtualMachine, 'uuid' | 'name'>;
  onJobStarted(jobId: string | null, takeFocus: boolean): void;
}) {
  const { vm, onJobStarted } = props;
  const entry = useStore((s) => s.pointsByVm[vm.uuid]);
  const loadPoints = useStore((s) => s.loadPoints);
  const openRestore = useStore((s) => s.openRestore);
  const deletePoints = useStore((s) => s.deletePoints);
  // A deletion started here still running: a second one of the same points would be refused.
  const deletionRunning = useStore((s) => {
    const id = s.lastJobForVm[vm.uuid];
    const job = id === undefined ? undefined : s.jobsById[id];
    return job !== undefined && job.kind === 'prune' && isActive(job);
  });
  const [restoring, setRestoring] = useState<RestorePoint | null>(null);
  const [deleting, setDeleting] = useState<RestorePoint[] | null>(null);
  const [protecting, setProtecting] = useState<RestorePoint | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  // The deletion job, handed on once its dialog has closed: the dialog gives the focus back to
  // the button that opened it as it goes, and the job's status must take it after that.
  const startedDeletion = useRef<string | null>(null);

  useEffect(() => {
    void loadPoints(vm.uuid);
  }, [vm.uuid, loadPoints]);

  const points = entry?.points ?? [];
  // The engine refuses to delete a protected point: it cannot be ticked.
  const deletable = points.filter((p) => p.protection === undefined);
  // Points deleted or protected meanwhile (here or elsewhere) drop out of the selection.
  const chosen = deletable.filter((p) => selected.has(p.id));
  const toggle = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  async function confirmDeletion(targets: readonly RestorePoint[]) {
    const repository = targets[0]?.repository ?? 'default';
    const job = await deletePoints(
      vm.uuid,
      repository,
      targets.map((p) => p.id),
    );
    startedDeletion.current = job.id;
    setSelected(new Set());
  }

  function closeDeletion() {
    setDeleting(null);
    if (startedDeletion.current !== null) onJobStarted(startedDeletion.current, true);
    startedDeletion.current = null;
  }

  return (
    <>
      <Stack
        direction="row"
        sx={{ alignItems: 'center', justifyContent: 'space-between', gap: 1, mt: 2, mb: 0.5 }}
      >
        <Typography variant="subtitle2" component="h4">
          Restore points
        </Typography>
        {points.length > 1 && (
          <Button
            size="small"
            color="error"
            startIcon={<DeleteOutlineIcon />}
            disabled={chosen.length === 0 || deletionRunning}
            onClick={() => setDeleting(chosen)}
          >
            Delete selected ({chosen.length})…
          </Button>
        )}
      </Stack>
      {entry?.status === 'loading' && <LinearProgress aria-label="Loading restore points" />}
      {entry?.error != null && (
        <Alert severity="error" sx={{ mb: 1 }}>
          Could not list the restore points: {describeError(entry.error)}
        </Alert>
      )}
      {points.length === 0 ? (
        entry?.status === 'ready' && (
          <Typography color="text.secondary" variant="body2">
            No restore point yet. “Back up now” makes the first one (a full backup).
          </Typography>
        )
      ) : (
        // Narrow columns fit the drawer; should a locale's date still not fit, only the table
        // scrolls sideways, never the drawer with the actions cut off.
        <Box sx={{ overflowX: 'auto' }}>
          <Table size="small" aria-label={`Restore points of ${vm.name}`}>
            <TableHead>
              <TableRow>
                <TableCell padding="checkbox">
                  <Checkbox
                    size="small"
                    checked={deletable.length > 0 && chosen.length === deletable.length}
                    indeterminate={chosen.length > 0 && chosen.length < deletable.length}
                    disabled={deletable.length === 0}
                    onChange={(e) =>
                      setSelected(new Set(e.target.checked ? deletable.map((p) => p.id) : []))
                    }
                    slotProps={{ input: { 'aria-label': 'Select every restore point' } }}
                  />
                </TableCell>
                <TableCell>Time</TableCell>
                <TableCell>Type</TableCell>
                <TableCell align="right">Size</TableCell>
                <TableCell align="right">
                  <Box component="span" sx={visuallyHidden}>
                    Actions
                  </Box>
                </TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {points.map((point) => (
                <RestorePointRow
                  key={point.id}
                  point={point}
                  selected={selected.has(point.id) && point.protection === undefined}
                  onSelect={(on) => toggle(point.id, on)}
                  onRestore={() => setRestoring(point)}
                  onBrowse={() => openRestore({ vmUuid: vm.uuid, vmName: vm.name }, point.id)}
                  onProtection={() => setProtecting(point)}
                  onDelete={deletionRunning ? undefined : () => setDeleting([point])}
                />
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
      {restoring !== null && (
        <RestoreDiskDialog
          vmUuid={vm.uuid}
          point={restoring}
          onClose={() => setRestoring(null)}
          onStarted={() => onJobStarted(null, false)}
        />
      )}
      {protecting !== null &&
        (protecting.protection === undefined ? (
          <ProtectPointDialog point={protecting} onClose={() => setProtecting(null)} />
        ) : (
          <LiftProtectionDialog point={protecting} onClose={() => setProtecting(null)} />
        ))}
      {deleting !== null && (
        <DeletePointsDialog
          vmName={vm.name}
          points={deleting}
          remaining={points.length - deleting.length}
          onConfirm={() => confirmDeletion(deleting)}
          onClose={closeDeletion}
        />
      )}
    </>
  );
}

// Pixels as strings: in `sx` a bare 1 means 100 %, and a header 640 px wide pushed the drawer
// sideways, cutting off the actions.
const visuallyHidden = {
  position: 'absolute',
  width: '1px',
  height: '1px',
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
} as const;
