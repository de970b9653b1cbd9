import { forwardRef } from 'react';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import DescriptionOutlinedIcon from '@mui/icons-material/DescriptionOutlined';
import FolderIcon from '@mui/icons-material/Folder';
import InsertLinkIcon from '@mui/icons-material/InsertLink';
import {
  GridRowCheckbox,
  type GridColDef,
  type GridComparatorFn,
  type GridRowCheckboxProps,
  type GridSortDirection,
} from '@mui/x-data-grid';
import type { FileEntry } from '../../../shared/domain/files';
import { formatBytes } from '../../lib/format';
import { formatPointTime } from './browse-time';
import { compareFileNames, ownerDetails, ownerText } from './file-order';
import { baseName } from './restore-paths';

/** A row of the browse list: a folder entry, or a search hit (which may be of another point). */
export interface FileRow {
  id: string;
  entry: FileEntry;
  pointId?: string;
  pointTime?: string;
}

/** "Folder", "Symbolic link", "TXT file", "File": the Type column of FIG. 12. */
export function fileTypeLabel(entry: FileEntry): string {
  switch (entry.type) {
    case 'dir':
      return 'Folder';
    case 'symlink':
      return 'Symbolic link';
    case 'other':
      return 'Special file';
    case 'file': {
      const dot = entry.name.lastIndexOf('.');
      return dot > 0 && dot < entry.name.length - 1 && entry.name.length - dot <= 8
        ? `${entry.name.slice(dot + 1).toUpperCase()} file`
        : 'File';
    }
  }
}

/**
 * The grid's row checkbox, named after its file ("Select notes.txt"): the grid's own name,
 * "Select row" on every row, says nothing to a screen reader (review P1). Row ids are paths.
 */
export const NamedRowCheckbox = forwardRef<HTMLButtonElement, GridRowCheckboxProps>(
  function NamedRowCheckbox(props, ref) {
    const name = baseName(String(props.rowId));
    const label = `${props.checked === true ? 'Unselect' : 'Select'} ${name}`;
    return (
      <GridRowCheckbox
        {...props}
        ref={ref}
        slotProps={{
          ...props.slotProps,
          htmlInput: { ...props.slotProps?.htmlInput, 'aria-label': label },
        }}
      />
    );
  },
);

function formatModified(iso: string | undefined): string {
  return iso === undefined ? '' : formatPointTime(iso);
}

/** Sorting by name keeps folders on top in both directions, as file managers do. */
function nameComparator(direction: GridSortDirection): GridComparatorFn<string> {
  const sign = direction === 'desc' ? -1 : 1;
  return (a, b, paramsA, paramsB) => {
    // The grid types its api as any here: the rows are this grid's FileRows.
    const rowA = paramsA.api.getRow(paramsA.id) as FileRow | null;
    const rowB = paramsB.api.getRow(paramsB.id) as FileRow | null;
    const folderFirst = (rowA?.entry.type === 'dir' ? 0 : 1) - (rowB?.entry.type === 'dir' ? 0 : 1);
    return folderFirst || sign * compareFileNames(a, b);
  };
}

/** Name, size, type, modified, owner; search hits add the folder and, across points, the point. */
export function fileColumns(options: {
  withPath: boolean;
  withPoint: boolean;
}): GridColDef<FileRow>[] {
  const columns: GridColDef<FileRow>[] = [
    {
      field: 'name',
      headerName: 'Name',
      flex: 2,
      minWidth: 200,
      valueGetter: (_value, row) => row.entry.name,
      getSortComparator: nameComparator,
      renderCell: ({ row }) => {
        const Icon =
          row.entry.type === 'dir'
            ? FolderIcon
            : row.entry.type === 'symlink'
              ? InsertLinkIcon
              : DescriptionOutlinedIcon;
        return (
          <Stack direction="row" sx={{ alignItems: 'center', gap: 1, height: '100%', minWidth: 0 }}>
            <Icon
              fontSize="small"
              color={row.entry.type === 'dir' ? 'warning' : 'action'}
              aria-hidden
            />
            <span style={{ overflow: 'hidden', textOverflow: 'ellipsis' }}>
              {row.entry.name}
              {row.entry.linkTarget !== undefined && ` → ${row.entry.linkTarget}`}
            </span>
          </Stack>
        );
      },
    },
  ];
  if (options.withPath) {
    columns.push({
      field: 'folder',
      headerName: 'In folder',
      flex: 2,
      minWidth: 180,
      valueGetter: (_value, row) => row.entry.path.slice(0, row.entry.path.lastIndexOf('/')) || '/',
    });
  }
  if (options.withPoint) {
    columns.push({
      field: 'point',
      headerName: 'Restore point',
      width: 170,
      valueGetter: (_value, row) => row.pointTime ?? '',
      valueFormatter: (value: string) => formatModified(value),
    });
  }
  columns.push(
    {
      field: 'size',
      headerName: 'Size',
      type: 'number',
      width: 100,
      // A right-aligned header puts its menu button on the left, where it reads as a separate
      // unlabeled column; sorting by a click on "Size" still works.
      disableColumnMenu: true,
      valueGetter: (_value, row) => (row.entry.type === 'dir' ? null : row.entry.size),
      valueFormatter: (value: number | null) => (value === null ? '' : formatBytes(value)),
    },
    {
      field: 'type',
      headerName: 'Type',
      width: 120,
      valueGetter: (_value, row) => fileTypeLabel(row.entry),
    },
    {
      field: 'mtime',
      headerName: 'Modified',
      width: 170,
      valueGetter: (_value, row) => row.entry.mtime ?? '',
      valueFormatter: (value: string) => formatModified(value),
    },
    {
      field: 'owner',
      headerName: 'Owner',
      width: 140,
      valueGetter: (_value, row) => ownerText(row.entry),
      renderCell: ({ row }) => {
        const details = ownerDetails(row.entry);
        return details === '' ? (
          ownerText(row.entry)
        ) : (
          <Tooltip title={details}>
            <span>{ownerText(row.entry)}</span>
          </Tooltip>
        );
      },
    },
  );
  return columns;
}
