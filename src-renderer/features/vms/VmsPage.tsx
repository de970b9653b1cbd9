import { useMemo } from 'react';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import AddIcon from '@mui/icons-material/Add';
import CancelIcon from '@mui/icons-material/Cancel';
import RefreshIcon from '@mui/icons-material/Refresh';
import { DataGrid } from '@mui/x-data-grid';
import { describeError } from '../../api/api-error';
import { formatCount } from '../../lib/format';
import { PageHeader } from '../../shell/PageHeader';
import { useStore } from '../../store';
import { vmRowId } from '../../store/vms-slice';
import { filterByBackup, type VmBackupFilter } from './backup-status';
import { lastBackupColumn } from './last-backup-column';
import { useNow, useVmBackupStatuses } from './use-backup-status';
import { VM_COLUMNS } from './vm-columns';
import { filterVms, vmErrorsTitle } from './vm-text';
import { VmDetailsDrawer } from './VmDetailsDrawer';
import { FilterField } from '../../shell/FilterField';

export function VmsPage() {
  const vms = useStore((s) => s.vms);
  const vmErrors = useStore((s) => s.vmErrors);
  const status = useStore((s) => s.vmsStatus);
  const error = useStore((s) => s.vmsError);
  const refreshedAt = useStore((s) => s.vmsRefreshedAt);
  const filter = useStore((s) => s.vmFilter);
  const setFilter = useStore((s) => s.setVmFilter);
  const refreshVms = useStore((s) => s.refreshVms);
  const selectVm = useStore((s) => s.selectVm);
  const hypervisorCount = useStore((s) => s.hypervisors.length);
  const hypervisorsStatus = useStore((s) => s.hypervisorsStatus);
  const openDialog = useStore((s) => s.openHypervisorDialog);
  const backupFilter = useStore((s) => s.vmBackupFilter);
  const setBackupFilter = useStore((s) => s.setVmBackupFilter);
  const summaries = useStore((s) => s.pointSummaries);
  const backupStatuses = useVmBackupStatuses();
  const now = useNow();
  const columns = useMemo(() => {
    // After the power state: the two things an administrator checks first.
    const at = VM_COLUMNS.findIndex((c) => c.field === 'powerState') + 1;
    return [
      ...VM_COLUMNS.slice(0, at),
      lastBackupColumn(backupStatuses, now),
      ...VM_COLUMNS.slice(at),
    ];
  }, [backupStatuses, now]);
  const rows = useMemo(
    () => filterByBackup(filterVms(vms, filter), backupFilter, summaries),
    [vms, filter, backupFilter, summaries],
  );
  const filtered = filter.trim() !== '' || backupFilter !== 'all';
  const noHypervisors = hypervisorsStatus === 'ready' && hypervisorCount === 0;

  return (
    <>
      <PageHeader
        title="Virtual machines"
        subtitle="Discovered live from every registered hypervisor. Click a machine for its disks, network interfaces and metadata."
        actions={
          <Button
            startIcon={<RefreshIcon />}
            onClick={() => void refreshVms()}
            disabled={status === 'loading'}
          >
            Refresh
          </Button>
        }
      />
      {error !== null && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {refreshedAt === null || vms.length === 0
            ? 'Could not list the virtual machines: '
            : `Could not refresh the virtual machines (the list below is from ${new Date(refreshedAt).toLocaleTimeString()}): `}
          {describeError(error)}
        </Alert>
      )}
      {vmErrors.length > 0 && (
        <Alert severity="warning" sx={{ mb: 2 }}>
          <AlertTitle>{vmErrorsTitle(vmErrors)}</AlertTitle>
          {vmErrors.map((e) => (
            <div key={e.hypervisorId}>
              <strong>{e.hypervisorName}:</strong> {e.error.message}
            </div>
          ))}
        </Alert>
      )}
      {noHypervisors ? (
        <EmptyInventory onAdd={() => openDialog({ mode: 'add' })} />
      ) : (
        <Paper variant="outlined" sx={{ p: 2 }}>
          <Stack direction="row" spacing={2} sx={{ mb: 2, alignItems: 'center' }}>
            <FilterField
              label="Filter virtual machines"
              placeholder="name, host, state, OS, disk…"
              value={filter}
              onChange={setFilter}
              width={360}
            />
            {backupFilter !== 'all' && (
              <Chip
                label={
                  backupFilter === 'protected' ? 'With a restore point' : 'Without a restore point'
                }
                onDelete={() => setBackupFilter('all')}
                deleteIcon={<CancelIcon titleAccess="Show every virtual machine" />}
                color="primary"
                variant="outlined"
              />
            )}
            <Typography variant="body2" color="text.secondary">
              {!filtered
                ? formatCount(vms.length, 'virtual machine')
                : `${rows.length} of ${formatCount(vms.length, 'virtual machine')}`}
            </Typography>
          </Stack>
          <DataGrid
            aria-label="Virtual machines"
            rows={rows}
            columns={columns}
            getRowId={vmRowId}
            loading={status === 'loading' || status === 'idle'}
            onRowClick={({ row }) => selectVm(vmRowId(row))}
            onCellKeyDown={({ row }, event) => {
              if (event.key === 'Enter') selectVm(vmRowId(row));
            }}
            disableRowSelectionOnClick
            disableColumnMenu={false}
            rowHeight={56}
            autoHeight
            initialState={{
              sorting: { sortModel: [{ field: 'name', sort: 'asc' }] },
              pagination: { paginationModel: { pageSize: 25 } },
            }}
            pageSizeOptions={[25, 50, 100]}
            slotProps={{
              loadingOverlay: { variant: 'linear-progress', noRowsVariant: 'skeleton' },
            }}
            localeText={{
              noRowsLabel: noRowsLabel(error !== null, vms.length, filter, backupFilter),
            }}
            sx={{ border: 0, '& .MuiDataGrid-row': { cursor: 'pointer' } }}
          />
        </Paper>
      )}
      <VmDetailsDrawer />
    </>
  );
}

function noRowsLabel(
  failed: boolean,
  total: number,
  filter: string,
  backupFilter: VmBackupFilter,
): string {
  if (failed && total === 0) return 'Not available while the engine cannot be reached';
  if (total > 0 && filter.trim() === '' && backupFilter !== 'all')
    return backupFilter === 'protected'
      ? 'No virtual machine has a restore point yet'
      : 'Every virtual machine has a restore point';
  if (total > 0) return `No virtual machine matches “${filter.trim()}”`;
  return 'No virtual machines on the registered hypervisors';
}

function EmptyInventory({ onAdd }: { onAdd(): void }) {
  return (
    <Paper variant="outlined" sx={{ p: 5, textAlign: 'center' }}>
      <Typography variant="h6" component="h2" gutterBottom>
        No hypervisor registered yet
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 3, maxWidth: 520, mx: 'auto' }}>
        Hyperkeep discovers virtual machines by asking your hypervisors. Add a libvirt host (local
        or remote) and its machines appear here, with their disks and configuration.
      </Typography>
      <Button variant="contained" startIcon={<AddIcon />} onClick={onAdd}>
        Add hypervisor
      </Button>
    </Paper>
  );
}
