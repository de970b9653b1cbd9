import Button from '@mui/material/Button';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { Job } from '../../../shared/domain/jobs';
import {
  KIND_FILTER_LABELS,
  NO_JOB_FILTERS,
  STATUS_FILTER_HINTS,
  STATUS_FILTER_LABELS,
  isFiltered,
  matchesStatus,
  type JobFilters,
  type JobKindFilter,
  type JobStatusFilter,
} from './job-filters';
import { FilterField } from '../../shell/FilterField';

interface JobFilterBarProps {
  filters: JobFilters;
  onChange(filters: JobFilters): void;
  /** Every job loaded, for the counts beside each status. */
  jobs: readonly Pick<Job, 'status'>[];
}

const STATUS_FILTERS = Object.keys(STATUS_FILTER_LABELS) as JobStatusFilter[];
const KIND_FILTERS = Object.keys(KIND_FILTER_LABELS) as JobKindFilter[];

/**
 * Status, kind and text filters above the job grid. Plain form fields in the tab order: a
 * select opens with Enter, Space or the arrow keys, the text filters as it is typed.
 */
export function JobFilterBar({ filters, onChange, jobs }: JobFilterBarProps) {
  const statusCount = (status: JobStatusFilter) =>
    jobs.filter((job) => matchesStatus(job, status)).length;
  return (
    <Stack
      direction="row"
      role="search"
      aria-label="Filter jobs"
      sx={{ gap: 1.5, flexWrap: 'wrap', alignItems: 'center' }}
    >
      <TextField
        select
        label="Status"
        size="small"
        value={filters.status}
        onChange={(e) => onChange({ ...filters, status: e.target.value as JobStatusFilter })}
        sx={{ width: 170 }}
        slotProps={{
          select: {
            renderValue: (value) => STATUS_FILTER_LABELS[value as JobStatusFilter],
          },
        }}
      >
        {STATUS_FILTERS.map((status) => (
          <MenuItem key={status} value={status}>
            <ListItemText
              primary={`${STATUS_FILTER_LABELS[status]} (${statusCount(status)})`}
              secondary={STATUS_FILTER_HINTS[status]}
            />
          </MenuItem>
        ))}
      </TextField>
      <TextField
        select
        label="Kind"
        size="small"
        value={filters.kind}
        onChange={(e) => onChange({ ...filters, kind: e.target.value as JobKindFilter })}
        sx={{ width: 220 }}
      >
        {KIND_FILTERS.map((kind) => (
          <MenuItem key={kind} value={kind}>
            {KIND_FILTER_LABELS[kind]}
          </MenuItem>
        ))}
      </TextField>
      <FilterField
        label="Filter by job or VM name"
        placeholder="web-01, lab-set, verify…"
        value={filters.text}
        onChange={(text) => onChange({ ...filters, text })}
        width={300}
      />
      {isFiltered(filters) && (
        <Button size="small" onClick={() => onChange(NO_JOB_FILTERS)}>
          Clear filters
        </Button>
      )}
    </Stack>
  );
}
