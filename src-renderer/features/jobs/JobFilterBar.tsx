import { useRef } from 'react';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import CancelIcon from '@mui/icons-material/Cancel';
import type { Job } from '../../../shared/domain/jobs';
import {
  KIND_FILTER_LABELS,
  NO_JOB_FILTERS,
  STATUS_FILTER_HINTS,
  STATUS_FILTER_LABELS,
  dayFilterText,
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
 * Status, kind and text filters above the job grid, and the day one from the dashboard as a
 * chip. Plain form fields in the tab order: a select opens with Enter, Space or the arrow keys,
 * the text filters as it is typed.
 */
export function JobFilterBar({ filters, onChange, jobs }: JobFilterBarProps) {
  const barRef = useRef<HTMLDivElement>(null);
  const statusCount = (status: JobStatusFilter) =>
    jobs.filter((job) => matchesStatus(job, status)).length;
  const clearDay = () => {
    onChange({ ...filters, day: null });
    // The chip's button goes away with it: the keyboard stays in the filters, not the page's top.
    barRef.current?.focus();
  };
  return (
    <Stack
      ref={barRef}
      tabIndex={-1}
      direction="row"
      role="search"
      aria-label="Filter jobs"
      sx={{ gap: 1.5, flexWrap: 'wrap', alignItems: 'center', outline: 'none' }}
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
      {filters.day !== null && <DayFilterChip day={filters.day} onClear={clearDay} />}
      {isFiltered(filters) && (
        <Button size="small" onClick={() => onChange(NO_JOB_FILTERS)}>
          Clear filters
        </Button>
      )}
    </Stack>
  );
}

/**
 * "Day: Nov 20" with its own clear button. Not MUI's deletable chip: that one is a button
 * which only the Delete key clears, and its cross cannot be reached by Tab.
 */
function DayFilterChip(props: { day: number; onClear(): void }) {
  return (
    <Chip
      color="primary"
      variant="outlined"
      label={
        <>
          {dayFilterText(props.day)}
          <IconButton
            size="small"
            aria-label="Clear day filter"
            onClick={props.onClear}
            sx={{ p: 0.25, ml: 0.5, color: 'inherit' }}
          >
            <CancelIcon fontSize="small" />
          </IconButton>
        </>
      }
      sx={{ pr: 0.5, '& .MuiChip-label': { display: 'flex', alignItems: 'center', pr: 0 } }}
    />
  );
}
