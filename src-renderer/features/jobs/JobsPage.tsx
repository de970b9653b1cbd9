import { useEffect, useMemo } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import RefreshIcon from '@mui/icons-material/Refresh';
import { DataGrid, type GridRowSelectionModel } from '@mui/x-data-grid';
import { describeError } from '../../api/api-error';
import { formatCount } from '../../lib/format';
import { PageHeader } from '../../shell/PageHeader';
import { useStore } from '../../store';
import { isActive, sortJobs } from '../../store/jobs-slice';
import { JobDetailPanel } from './JobDetailPanel';
import { jobColumns } from './job-columns';
import { useNow } from './use-now';

/** The job controller (patent FIG. 10/12): every backup, restore, verify and prune, live. */
export function JobsPage() {
  const jobsById = useStore((s) => s.jobsById);
  const status = useStore((s) => s.jobsStatus);
  const error = useStore((s) => s.jobsError);
  const loadJobs = useStore((s) => s.loadJobs);
  const selectedId = useStore((s) => s.selectedJobId);
  const selectJob = useStore((s) => s.selectJob);
  const jobs = useMemo(() => sortJobs(Object.values(jobsById)), [jobsById]);
  const runningCount = jobs.filter(isActive).length;
  const now = useNow(runningCount > 0);
  const columns = useMemo(() => jobColumns(now), [now]);
  const selected = selectedId === null ? undefined : jobsById[selectedId];
  const selection = useMemo<GridRowSelectionModel>(
    () => ({ type: 'include', ids: new Set(selectedId === null ? [] : [selectedId]) }),
    [selectedId],
  );

  useEffect(() => {
    void loadJobs();
  }, [loadJobs]);

  return (
    <>
      <PageHeader
        title="Jobs"
        subtitle="Every backup, restore, verify and prune, updated live as the engine works. Select a job for its tasks, warnings and log."
        actions={
          <Button
            startIcon={<RefreshIcon />}
            onClick={() => void loadJobs()}
            disabled={status === 'loading'}
          >
            Refresh
          </Button>
        }
      />
      {error !== null && (
        <Alert
          severity="error"
          sx={{ mb: 2 }}
          action={
            <Button color="inherit" onClick={() => void loadJobs()}>
              Retry
            </Button>
          }
        >
          Could not load the jobs: {describeError(error)}
        </Alert>
      )}
      <Paper variant="outlined" sx={{ p: 2, mb: 2 }}>
        <Stack direction="row" spacing={1} sx={{ mb: 1.5, alignItems: 'center' }}>
          <Typography variant="body2" color="text.secondary">
            {formatCount(jobs.length, 'job')}
          </Typography>
          {runningCount > 0 && <Chip size="small" color="info" label={`${runningCount} running`} />}
        </Stack>
        <DataGrid
          aria-label="Jobs"
          rows={jobs}
          columns={columns}
          loading={status === 'loading' && jobs.length === 0}
          rowSelectionModel={selection}
          disableMultipleRowSelection
          hideFooterSelectedRowCount
          onRowSelectionModelChange={(model) => {
            const [first] = model.ids;
            selectJob(first === undefined ? null : String(first));
          }}
          onCellKeyDown={({ id }, event) => {
            if (event.key === 'Enter') selectJob(String(id));
          }}
          rowHeight={52}
          initialState={{
            pagination: { paginationModel: { pageSize: 25 } },
            // Every title starts with its kind ("Backup of …", "Verify …"): the column would only
            // repeat it and take the room the title needs. "Manage columns" still shows it.
            columns: { columnVisibilityModel: { kind: false } },
          }}
          pageSizeOptions={[25, 50, 100]}
          slotProps={{
            loadingOverlay: { variant: 'linear-progress', noRowsVariant: 'skeleton' },
          }}
          localeText={{
            noRowsLabel:
              error !== null
                ? 'Not available while the engine cannot be reached'
                : 'No jobs yet. Back up a VM (Virtual machines → a VM → Back up now) or verify a repository (Storage).',
          }}
          sx={{ height: 420, border: 0, '& .MuiDataGrid-row': { cursor: 'pointer' } }}
        />
      </Paper>
      {selected !== undefined ? (
        <JobDetailPanel key={selected.id} job={selected} />
      ) : (
        <Typography color="text.secondary" sx={{ textAlign: 'center', py: 2 }}>
          {jobs.length > 0 ? 'Select a job to see its tasks, warnings, result and log.' : ''}
        </Typography>
      )}
    </>
  );
}
