import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Skeleton from '@mui/material/Skeleton';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/Delete';
import EditIcon from '@mui/icons-material/Edit';
import NetworkCheckIcon from '@mui/icons-material/NetworkCheck';
import RefreshIcon from '@mui/icons-material/Refresh';
import type { Hypervisor } from '../../../shared/domain/hypervisor';
import { describeError } from '../../api/api-error';
import { formatCount, formatLatency } from '../../lib/format';
import { MONO_FONT_STACK } from '../../theme/theme';
import { PageHeader } from '../../shell/PageHeader';
import { useStore } from '../../store';
import { RemoveHypervisorDialog } from './RemoveHypervisorDialog';

export function HypervisorsPage() {
  const hypervisors = useStore((s) => s.hypervisors);
  const status = useStore((s) => s.hypervisorsStatus);
  const error = useStore((s) => s.hypervisorsError);
  const loadHypervisors = useStore((s) => s.loadHypervisors);
  const refreshVms = useStore((s) => s.refreshVms);
  const openDialog = useStore((s) => s.openHypervisorDialog);
  const [removing, setRemoving] = useState<Hypervisor | null>(null);

  return (
    <>
      <PageHeader
        title="Hypervisors"
        subtitle="The hosts and VM managers Hyperkeep asks for virtual machines. Credentials are stored encrypted and never shown again."
        actions={
          <>
            <Button
              startIcon={<RefreshIcon />}
              onClick={() => {
                void loadHypervisors();
                void refreshVms();
              }}
              disabled={status === 'loading'}
            >
              Refresh
            </Button>
            <Button
              variant="contained"
              startIcon={<AddIcon />}
              onClick={() => openDialog({ mode: 'add' })}
            >
              Add hypervisor
            </Button>
          </>
        }
      />
      {error !== null && (
        <Alert
          severity="error"
          sx={{ mb: 2 }}
          action={
            <Button color="inherit" onClick={() => void loadHypervisors()}>
              Retry
            </Button>
          }
        >
          Could not load the hypervisors: {describeError(error)}
        </Alert>
      )}
      <Paper variant="outlined">
        {status === 'loading' && <LinearProgress aria-label="Loading hypervisors" />}
        <TableContainer>
          <Table aria-label="Hypervisors">
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                <TableCell>Type</TableCell>
                <TableCell>URI</TableCell>
                <TableCell>Hostname</TableCell>
                <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                  Virtual machines
                </TableCell>
                <TableCell align="right">Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {hypervisors.map((hypervisor) => (
                <HypervisorRow
                  key={hypervisor.id}
                  hypervisor={hypervisor}
                  onEdit={() => openDialog({ mode: 'edit', hypervisorId: hypervisor.id })}
                  onRemove={() => setRemoving(hypervisor)}
                />
              ))}
              {hypervisors.length === 0 && status !== 'loading' && (
                <TableRow>
                  <TableCell colSpan={6}>
                    <Typography color="text.secondary" sx={{ py: 3, textAlign: 'center' }}>
                      {error === null
                        ? 'No hypervisor registered yet. Use “Add hypervisor” to connect a libvirt host; its virtual machines then appear in the inventory.'
                        : 'The list is not available while the engine cannot be reached.'}
                    </Typography>
                  </TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
      </Paper>
      {removing !== null && (
        <RemoveHypervisorDialog hypervisor={removing} onClose={() => setRemoving(null)} />
      )}
    </>
  );
}

function HypervisorRow(props: { hypervisor: Hypervisor; onEdit(): void; onRemove(): void }) {
  const { hypervisor } = props;
  const testHypervisor = useStore((s) => s.testHypervisor);
  const notify = useStore((s) => s.notify);
  const [testing, setTesting] = useState(false);

  async function test() {
    setTesting(true);
    try {
      const result = await testHypervisor({ id: hypervisor.id });
      if (result.ok && result.host !== undefined) {
        notify(
          'success',
          `${hypervisor.name}: connected to ${result.host.hostname} (${result.host.hypervisorVersion}) in ${formatLatency(result.latencyMs)}.`,
        );
      } else {
        notify('error', `${hypervisor.name}: ${result.error?.message ?? 'no answer'}`);
      }
    } catch (err) {
      notify('error', `${hypervisor.name}: ${describeError(err)}`);
    } finally {
      setTesting(false);
    }
  }

  return (
    <TableRow hover>
      {/* A name breaks nowhere ("lab-host-\n1" reads as two things); the URI gives way instead. */}
      <TableCell sx={{ fontWeight: 600, whiteSpace: 'nowrap' }}>{hypervisor.name}</TableCell>
      <TableCell>{hypervisor.type === 'libvirt' ? 'libvirt' : 'vSphere'}</TableCell>
      <TableCell sx={{ fontFamily: MONO_FONT_STACK, fontSize: 13, wordBreak: 'break-all' }}>
        {hypervisor.uri}
      </TableCell>
      <TableCell>{hypervisor.hostname ?? '—'}</TableCell>
      <TableCell align="right">
        <VmCountCell hypervisorId={hypervisor.id} />
      </TableCell>
      <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
        <Tooltip title="Test the connection with the stored credentials">
          <span>
            <IconButton
              aria-label={`Test ${hypervisor.name}`}
              onClick={() => void test()}
              disabled={testing}
            >
              <NetworkCheckIcon />
            </IconButton>
          </span>
        </Tooltip>
        <Tooltip title="Edit">
          <IconButton aria-label={`Edit ${hypervisor.name}`} onClick={props.onEdit}>
            <EditIcon />
          </IconButton>
        </Tooltip>
        <Tooltip title="Remove">
          <IconButton aria-label={`Remove ${hypervisor.name}`} onClick={props.onRemove}>
            <DeleteIcon />
          </IconButton>
        </Tooltip>
      </TableCell>
    </TableRow>
  );
}

/** VM count from the last inventory refresh; "unreachable" with the reason when it failed. */
function VmCountCell({ hypervisorId }: { hypervisorId: string }) {
  const vmsStatus = useStore((s) => s.vmsStatus);
  const count = useStore((s) => s.vms.filter((vm) => vm.hypervisorId === hypervisorId).length);
  const failure = useStore((s) => s.vmErrors.find((e) => e.hypervisorId === hypervisorId));
  if (failure !== undefined) {
    return (
      <Tooltip title={failure.error.message}>
        <Chip size="small" color="error" variant="outlined" label="Unreachable" />
      </Tooltip>
    );
  }
  if (vmsStatus === 'idle' || (vmsStatus === 'loading' && count === 0)) {
    return <Skeleton width={48} sx={{ display: 'inline-block' }} />;
  }
  if (vmsStatus === 'error') return <>—</>;
  return <>{formatCount(count, 'VM')}</>;
}
