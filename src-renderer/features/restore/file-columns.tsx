import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import DescriptionOutlinedIcon from '@mui/icons-material/DescriptionOutlined';
import FolderIcon from '@mui/icons-material/Folder';
import InsertLinkIcon from '@mui/icons-material/InsertLink';
import type { GridColDef } from '@mui/x-data-grid';
import type { FileEntry } from '../../../shared/domain/files';
import { formatBytes } from '../../lib/format';
import { formatPointTime } from './browse-time';

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

function formatModified(iso: string | undefined): string {
  return iso === undefined ? '' : formatPointTime(iso);
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
      width: 120,
      valueGetter: (_value, row) => row.entry.owner ?? '',
      renderCell: ({ row }) =>
        row.entry.aclSummary !== undefined ? (
          <Tooltip title={row.entry.aclSummary}>
            <span>{row.entry.owner ?? ''}</span>
          </Tooltip>
        ) : (
          (row.entry.owner ?? '')
        ),
    },
  );
  return columns;
}
