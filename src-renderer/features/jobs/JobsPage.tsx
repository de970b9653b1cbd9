import { useEffect, useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import FileDownloadIcon from '@mui/icons-material/FileDownload';
import RefreshIcon from '@mui/icons-material/Refresh';
import { DataGrid, type GridRowSelectionModel } from '@mui/x-data-grid';
import { describeError } from '../../api/api-error';
import { formatCount } from '../../lib/format';
import { PageHeader } from '../../shell/PageHeader';
import { useStore } from '../../store';
import { isActive, sortJobs } from '../../store/jobs-slice';
import { JobDetailPanel } from './JobDetailPanel';
import { JobFilterBar } from './JobFilterBar';
import { downloadText } from './download-text';
import { NO_JOB_FILTERS, filterJobs, isFiltered, jobCountText, shortDayText } from './job-filters';
import { jobColumns } from './job-columns';
import { jobsCsv, jobsCsvFileName } from './jobs-csv';
import { useJobsOfDay } from './use-jobs-of-day';
import { useNow } from './use-now';

/** The job controller (patent FIG. 10/12): every backup, restore, verify and prune, live. */
export function JobsPage() {
  const jobsById = useStore((s) => s.jobsById);
  const status = useStore((s) => s.jobsStatus);
  const error = useStore((s) => s.jobsError);
  const loadJobs = useStore((s) => s.loadJobs);
  const selectedId = useStore((s) => s.selectedJobId);
  const selectJob = useStore((s) => s.selectJob);
  const loadBackupJobsOfDay = useStore((s) => s.loadBackupJobsOfDay);
  const requestedFilters = useStore((s) => s.requestedJobFilters);
  const requestedFiltersTaken = useStore((s) => s.requestedJobFiltersTaken);
  const jobs = useMemo(() => sortJobs(Object.values(jobsById)), [jobsById]);
  // Kept while the page is open, across the live updates that replace the job list. Those another
  // page asked for (a day's bar on the dashboard) are taken from the first render: no flash of
  // every job.
  const [filters, setFilters] = useState(() => requestedFilters ?? NO_JOB_FILTERS);
  // Asked for while the page is already shown: taken at once too (React's "adjust state while
  // rendering"), then cleared in the store so a later visit starts without them.
  const [takenFilters, setTakenFilters] = useState(requestedFilters);
  if (requestedFilters !== null && requestedFilters !== takenFilters) {
    setTakenFilters(requestedFilters);
    setFilters(requestedFilters);
  }
  const filtered = isFiltered(filters);
  const dayJobs = useJobsOfDay(filters.day);
  const rows = useMemo(() => filterJobs(jobs, filters), [jobs, filters]);
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

  useEffect(() => {
    if (requestedFilters !== null) requestedFiltersTaken();
  }, [requestedFilters, requestedFiltersTaken]);

  const refresh = () => {
    void loadJobs();
    if (dayJobs !== null) void loadBackupJobsOfDay(dayJobs.day);
  };

  // The jobs the grid shows, after the filters: a report of what the administrator looked for.
  const exportCsv = () => {
    downloadText(jobsCsv(rows), jobsCsvFileName(new Date()), 'text/csv;charset=utf-8');
  };

  const exportButton = (
    <Button startIcon={<FileDownloadIcon />} onClick={exportCsv} disabled={rows.length === 0}>
      Export CSV
    </Button>
  );
  // Says the count: the grid pages, the file holds every job that passes the filters.
  const exportTooltip =
    rows.length === 0
      ? 'No job shown to export'
      : `Exports the ${formatCount(rows.length, 'job')} shown as a CSV file`;

  return (
    <>
      <PageHeader
        title="Jobs"
        subtitle="Every backup, restore, verify and prune, updated live as the engine works. Select a job for its tasks, warnings and log."
        actions={
          <>
            <Button
              startIcon={<RefreshIcon />}
              onClick={refresh}
              disabled={status === 'loading' || dayJobs?.status === 'loading'}
            >
              Refresh
            </Button>
            {/* describeChild: the tooltip describes the button, its name stays "Export CSV". A
                disabled button gets no hover: a span takes it then. */}
            <Tooltip describeChild title={exportTooltip}>
              {rows.length === 0 ? <span>{exportButton}</span> : exportButton}
            </Tooltip>
          </>
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
      {dayJobs?.status === 'error' && dayJobs.error !== null && (
        <Alert
          severity="error"
          sx={{ mb: 2 }}
          action={
            <Button color="inherit" onClick={() => void loadBackupJobsOfDay(dayJobs.day)}>
              Retry
            </Button>
          }
        >
          Could not load the backup jobs of {shortDayText(dayJobs.day)}:{' '}
          {describeError(dayJobs.error)}
        </Alert>
      )}
      <Paper variant="outlined" sx={{ p: 2, mb: 2 }}>
        <JobFilterBar filters={filters} onChange={setFilters} jobs={jobs} />
        <Stack direction="row" spacing={1} sx={{ my: 1.5, alignItems: 'center' }}>
          <Typography variant="body2" color="text.secondary" role="status" aria-live="polite">
            {jobCountText(rows.length, jobs.length, filtered)}
          </Typography>
          {runningCount > 0 && <Chip size="small" color="info" label={`${runningCount} running`} />}
          {dayJobs?.status === 'ready' && dayJobs.incomplete && (
            <Typography variant="body2" color="warning.main">
              Too many backup jobs since {shortDayText(dayJobs.day)} to read them all: some of that
              day’s may be missing.
            </Typography>
          )}
        </Stack>
        <DataGrid
          aria-label="Jobs"
          rows={rows}
          columns={columns}
          loading={(status === 'loading' && jobs.length === 0) || dayJobs?.status === 'loading'}
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
          // A title too long for one line wraps: the row grows rather than cut it.
          getRowHeight={() => 'auto'}
          getEstimatedRowHeight={() => 52}
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
                : filtered && jobs.length > 0
                  ? 'No job matches the filters. Clear them to see every job.'
                  : 'No jobs yet. Back up a VM (Virtual machines → a VM → Back up now) or verify a repository (Storage).',
          }}
          sx={{
            height: 420,
            border: 0,
            '& .MuiDataGrid-row': { cursor: 'pointer' },
            // Rows of wrapped titles are taller: the other cells stay centred in them.
            '& .MuiDataGrid-cell': { display: 'flex', alignItems: 'center', minHeight: 52 },
            '& .MuiDataGrid-cell--textRight': { justifyContent: 'flex-end' },
          }}
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
