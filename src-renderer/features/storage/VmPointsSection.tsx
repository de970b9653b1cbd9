import { useEffect, useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import type { VmPointSummary } from '../../../shared/contract';
import { describeError } from '../../api/api-error';
import { useStore } from '../../store';
import { formatLocalTime } from '../jobs/job-text';
import { ManageVmPointsDialog } from './ManageVmPointsDialog';

const NUMBER = { whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' } as const;

/**
 * Every VM with restore points, whether or not a hypervisor still lists it: a decommissioned
 * VM has no drawer on the Virtual machines page, so this is where its points are deleted or
 * protected. The summaries follow points.changed (the store reloads them once loaded).
 */
export function VmPointsSection() {
  const summaries = useStore((s) => s.pointSummaries);
  const status = useStore((s) => s.pointSummariesStatus);
  const error = useStore((s) => s.pointSummariesError);
  const loadPointSummaries = useStore((s) => s.loadPointSummaries);
  const vms = useStore((s) => s.vms);
  const vmsStatus = useStore((s) => s.vmsStatus);
  const unreachable = useStore((s) => s.vmErrors.length);
  const [managing, setManaging] = useState<VmPointSummary | null>(null);

  useEffect(() => {
    void loadPointSummaries();
  }, [loadPointSummaries]);

  const inventory = useMemo(() => new Set(vms.map((vm) => vm.uuid)), [vms]);
  const rows = useMemo(
    () => [...summaries].sort((a, b) => a.vmName.localeCompare(b.vmName)),
    [summaries],
  );
  // Before the first VM list, a VM is not yet known to be gone: no chip rather than a wrong one.
  const inventoryKnown = vmsStatus === 'ready' || (vmsStatus === 'loading' && vms.length > 0);
  // A summary deleted down to no point drops out of the list: the dialog keeps its VM meanwhile.
  const current =
    managing === null ? null : (rows.find((r) => r.vmUuid === managing.vmUuid) ?? managing);

  return (
    <Paper
      variant="outlined"
      component="section"
      aria-labelledby="vm-points-heading"
      sx={{ mt: 3 }}
    >
      <Typography id="vm-points-heading" variant="h6" component="h2" sx={{ px: 2, pt: 2 }}>
        Restore points by VM
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ px: 2, pb: 1 }}>
        Every VM with restore points, including VMs no hypervisor lists any more (decommissioned or
        deleted), whose points can be deleted or protected only here.
      </Typography>
      {status === 'loading' && <LinearProgress aria-label="Loading restore points by VM" />}
      {error !== null && (
        <Alert
          severity="error"
          sx={{ mx: 2, mb: 1 }}
          action={
            <Button color="inherit" onClick={() => void loadPointSummaries()}>
              Retry
            </Button>
          }
        >
          Could not count the restore points: {describeError(error)}
        </Alert>
      )}
      <TableContainer>
        <Table size="small" aria-label="Restore points by VM">
          <TableHead>
            <TableRow>
              <TableCell>VM</TableCell>
              <TableCell>Inventory</TableCell>
              <TableCell align="right">Points</TableCell>
              <TableCell>Newest point</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((summary) => (
              <TableRow key={summary.vmUuid} hover>
                <TableCell sx={{ fontWeight: 600 }}>{summary.vmName}</TableCell>
                <TableCell>
                  {inventoryKnown &&
                    (inventory.has(summary.vmUuid) ? (
                      <Typography variant="body2" color="text.secondary">
                        In the inventory
                      </Typography>
                    ) : (
                      <Tooltip
                        title={
                          unreachable > 0
                            ? `No hypervisor that answered lists this VM; ${unreachable} could not be asked and may still have it.`
                            : 'No registered hypervisor lists this VM any more: its points are kept until deleted here or by retention.'
                        }
                      >
                        <Chip
                          size="small"
                          color="warning"
                          variant="outlined"
                          label="Not in the inventory"
                          tabIndex={0}
                        />
                      </Tooltip>
                    ))}
                </TableCell>
                <TableCell align="right" sx={NUMBER}>
                  {summary.points}
                </TableCell>
                <TableCell sx={NUMBER}>
                  <Tooltip title={summary.newestTime}>
                    <span>{formatLocalTime(summary.newestTime)}</span>
                  </Tooltip>
                </TableCell>
                <TableCell align="right">
                  <Button
                    size="small"
                    onClick={() => setManaging(summary)}
                    aria-label={`Manage points of ${summary.vmName}…`}
                  >
                    Manage points…
                  </Button>
                </TableCell>
              </TableRow>
            ))}
            {rows.length === 0 && status === 'ready' && (
              <TableRow>
                <TableCell colSpan={5}>
                  <Typography color="text.secondary" sx={{ py: 2, textAlign: 'center' }}>
                    No restore point in any repository yet.
                  </Typography>
                </TableCell>
              </TableRow>
            )}
          </TableBody>
        </Table>
      </TableContainer>
      {current !== null && (
        <ManageVmPointsDialog
          vm={{ uuid: current.vmUuid, name: current.vmName }}
          onClose={() => setManaging(null)}
        />
      )}
    </Paper>
  );
}
