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
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import CompareArrowsIcon from '@mui/icons-material/CompareArrows';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlined';
import type { RestorePoint } from '../../../shared/domain/jobs';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { describeError } from '../../api/api-error';
import { useStore } from '../../store';
import { isActive } from '../../store/jobs-slice';
import { CompareDialog } from '../restore/CompareDialog';
import { DeletePointsDialog } from './DeletePointsDialog';
import { LiftProtectionDialog, ProtectPointDialog } from './PointProtectionDialogs';
import { RecoveryTestDialog } from './RecoveryTestDialog';
import { RestoreDiskDialog } from './RestoreDiskDialog';
import { RestorePointRow } from './RestorePointRow';

/**
 * The restore points of one VM with what can be done to each: browse its files, restore a disk,
 * test that it comes up as a VM, protect it from retention (or lift the protection), delete it
 * (one, or the points ticked). The jobs these start are followed by the caller:
 * `onJobStarted` says which, and whether it takes the keyboard focus.
 */
export function RestorePointsTable(props: {
  /** Only its UUID and name: the Storage page also shows the points of VMs no hypervisor lists. */
  vm: Pick<VirtualMachine, 'uuid' | 'name'>;
  onJobStarted(jobId: string | null, takeFocus: boolean): void;
  /** What to say without points; the default names "Back up now", which the drawer has. */
  emptyText?: string;
}) {
  const {
    vm,
    onJobStarted,
    emptyText = 'No restore point. “Back up now” makes one (a full backup).',
  } = props;
  const entry = useStore((s) => s.pointsByVm[vm.uuid]);
  const loadPoints = useStore((s) => s.loadPoints);
  const openRestore = useStore((s) => s.openRestore);
  const deletePoints = useStore((s) => s.deletePoints);
  // A deletion started here still running: a second one of the same points would be refused.
  const deletionRunning = useStore((s) => {
    const id = s.lastJobForVm[vm.uuid];
    const job = id === undefined ? undefined : s.jobsById[id];
    return job !== undefined && job.kind === 'delete' && isActive(job);
  });
  const [restoring, setRestoring] = useState<RestorePoint | null>(null);
  const [deleting, setDeleting] = useState<RestorePoint[] | null>(null);
  const [protecting, setProtecting] = useState<RestorePoint | null>(null);
  const [testing, setTesting] = useState<RestorePoint | null>(null);
  const [comparing, setComparing] = useState<[RestorePoint, RestorePoint] | null>(null);
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
          <Stack direction="row" sx={{ gap: 1 }}>
            {/* Two points ticked: what changed between them, in the Restore page's dialog. */}
            <Tooltip title="Tick two points to compare their files">
              <span>
                <Button
                  size="small"
                  startIcon={<CompareArrowsIcon />}
                  disabled={chosen.length !== 2}
                  onClick={() => setComparing([chosen[0]!, chosen[1]!])}
                >
                  Compare…
                </Button>
              </span>
            </Tooltip>
            <Button
              size="small"
              color="error"
              startIcon={<DeleteOutlineIcon />}
              disabled={chosen.length === 0 || deletionRunning}
              onClick={() => setDeleting(chosen)}
            >
              Delete selected ({chosen.length})…
            </Button>
          </Stack>
        )}
      </Stack>
      {points.length > 0 && (
        <Typography variant="caption" color="text.secondary" component="p" sx={{ mb: 0.5 }}>
          Every point restores on its own, incrementals included.
        </Typography>
      )}
      {entry?.status === 'loading' && <LinearProgress aria-label="Loading restore points" />}
      {entry?.error != null && (
        <Alert severity="error" sx={{ mb: 1 }}>
          Could not list the restore points: {describeError(entry.error)}
        </Alert>
      )}
      {points.length === 0 ? (
        entry?.status === 'ready' && (
          <Typography color="text.secondary" variant="body2">
            {emptyText}
          </Typography>
        )
      ) : (
        // Narrow columns fit the drawer; should a locale's date still not fit, only the table
        // scrolls sideways, never the drawer with the actions cut off.
        <Box sx={{ overflowX: 'auto' }}>
          <Table size="small" aria-label={`Restore points of ${vm.name}`} sx={compactCells}>
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
                  onTestRecovery={() => setTesting(point)}
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
      {testing !== null && (
        <RecoveryTestDialog
          vmUuid={vm.uuid}
          point={testing}
          onClose={() => setTesting(null)}
          // Followed where the VM's other jobs are (its status is a live region); the focus goes
          // back to the row's menu button, as after the other dialogs of the menu.
          onStarted={() => onJobStarted(null, false)}
        />
      )}
      {protecting !== null &&
        (protecting.protection === undefined ? (
          <ProtectPointDialog point={protecting} onClose={() => setProtecting(null)} />
        ) : (
          <LiftProtectionDialog point={protecting} onClose={() => setProtecting(null)} />
        ))}
      {comparing !== null && (
        <CompareDialog
          vmUuid={vm.uuid}
          points={points}
          current={comparing[0]}
          otherId={comparing[1].id}
          path="/"
          onClose={() => setComparing(null)}
        />
      )}
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

// Half the usual side padding: the rows' second lines stay unbroken in the 640 px drawer
// without a sideways scrollbar (review P7).
const compactCells = {
  '& .MuiTableCell-root:not(.MuiTableCell-paddingCheckbox)': { px: 1 },
} as const;

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
