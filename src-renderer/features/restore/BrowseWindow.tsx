import { useEffect, useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import ArrowUpwardIcon from '@mui/icons-material/ArrowUpward';
import CompareArrowsIcon from '@mui/icons-material/CompareArrows';
import DownloadIcon from '@mui/icons-material/Download';
import HistoryIcon from '@mui/icons-material/History';
import SettingsBackupRestoreIcon from '@mui/icons-material/SettingsBackupRestore';
import { DataGrid, type GridRowSelectionModel } from '@mui/x-data-grid';
import type { FileEntry } from '../../../shared/domain/files';
import type { RestorePoint } from '../../../shared/domain/jobs';
import { describeError } from '../../api/api-error';
import { formatCount } from '../../lib/format';
import { useStore } from '../../store';
import { CompareDialog } from './CompareDialog';
import { fileColumns, NamedRowCheckbox, type FileRow } from './file-columns';
import { folderLocation, selectionSummary, sortedByEntry } from './file-order';
import { FileRestoreDialog } from './FileRestoreDialog';
import { FileSearchBar, SEARCH_SCOPES, type FileSearch } from './FileSearchBar';
import { FolderTree } from './FolderTree';
import { PointSwitcher } from './PointSwitcher';
import { useEngineQuery } from './use-engine-query';
import { VersionsPanel } from './VersionsPanel';

function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** GET /api/download/files of `hyperkeep serve`: the selection as one tar or zip, streamed. */
export function downloadUrl(
  vmUuid: string,
  pointId: string,
  paths: string[],
  format: 'tar' | 'zip',
): string {
  const query = new URLSearchParams({ vm: vmUuid, point: pointId });
  for (const path of paths) query.append('path', path);
  query.set('format', format);
  return new URL(`api/download/files?${query.toString()}`, window.location.href).href;
}

/**
 * FIG. 12, the browse window: VM → volumes → folders on the left, the folder's files on the
 * right with checkboxes, search in this or every point, a file's versions, and a comparison with
 * another point. The selection survives moving between folders.
 */
export function BrowseWindow(props: {
  vmUuid: string;
  point: RestorePoint;
  points: RestorePoint[];
  /** A file restore was started and its dialog closed: the page shows the job (focus it). */
  onRestoreStarted?(): void;
}) {
  const { vmUuid, point, points, onRestoreStarted } = props;
  const setPoint = useStore((s) => s.setRestorePoint);
  const serveMode = useStore((s) => s.appInfo?.mode === 'serve');
  const [folder, setFolder] = useState('/');
  const [selected, setSelected] = useState<Map<string, FileEntry>>(() => new Map());
  const [search, setSearch] = useState<FileSearch | null>(null);
  const [versionsOf, setVersionsOf] = useState<string | null>(null);
  const [comparing, setComparing] = useState(false);
  const [restoring, setRestoring] = useState(false);
  const [shownPointId, setShownPointId] = useState(point.id);
  // Counts the restores started here. Its effect runs once the dialog has gone and given the
  // focus back to "Restore…", which is disabled by then (the selection is cleared): review P1.
  const [started, setStarted] = useState(0);
  useEffect(() => {
    if (started > 0) onRestoreStarted?.();
  }, [started, onRestoreStarted]);

  // Another point: what was selected may not exist there.
  if (shownPointId !== point.id) {
    setShownPointId(point.id);
    setSelected(new Map());
  }

  const volumes = useEngineQuery('points.volumes', { vm: vmUuid, pointId: point.id });
  const listing = useEngineQuery(
    'files.list',
    search === null ? { vm: vmUuid, pointId: point.id, path: folder } : null,
  );
  const hits = useEngineQuery(
    'files.search',
    search === null
      ? null
      : search.scope === 'all'
        ? { vm: vmUuid, pattern: search.pattern, allPoints: true }
        : search.scope === 'upToPoint'
          ? { vm: vmUuid, pattern: search.pattern, allPoints: true, before: point.time }
          : { vm: vmUuid, pattern: search.pattern, pointId: point.id },
  );
  const acrossPoints = search !== null && search.scope !== 'point';
  const rows: FileRow[] = useMemo(() => {
    if (search !== null)
      return (hits.data?.hits ?? []).map((hit) => ({
        id: acrossPoints ? `${hit.pointId}:${hit.entry.path}` : hit.entry.path,
        entry: hit.entry,
        pointId: hit.pointId,
        pointTime: hit.pointTime,
      }));
    // Search hits keep the engine's order (per point); a folder lists folders first, by name.
    return sortedByEntry((listing.data?.entries ?? []).map((entry) => ({ id: entry.path, entry })));
  }, [search, hits.data, listing.data, acrossPoints]);
  const columns = useMemo(
    () => fileColumns({ withPath: search !== null, withPoint: acrossPoints }),
    [search, acrossPoints],
  );
  const selectionModel = useMemo<GridRowSelectionModel>(
    () => ({ type: 'include', ids: new Set(selected.keys()) }),
    [selected],
  );
  const selectedPaths = [...selected.keys()];
  const single = selected.size === 1 ? [...selected.values()][0] : undefined;
  const loading = search === null ? listing.loading : hits.loading;
  const error = search === null ? listing.error : hits.error;

  function onSelectionChange(model: GridRowSelectionModel) {
    // Kept in the order of the clicks: the restore dialog previews the first item chosen.
    const next = new Map(selected);
    for (const row of rows) {
      const inModel = model.ids.has(row.id);
      const chosen = model.type === 'include' ? inModel : !inModel;
      if (!chosen) next.delete(row.id);
      else if (!next.has(row.id)) next.set(row.id, row.entry);
    }
    setSelected(next);
  }

  function open(row: FileRow) {
    if (row.pointId !== undefined && row.pointId !== point.id) {
      setPoint(row.pointId);
      setFolder(row.entry.type === 'dir' ? row.entry.path : parentOf(row.entry.path));
      setSearch(null);
    } else if (row.entry.type === 'dir') {
      setFolder(row.entry.path);
      setSearch(null);
    } else if (row.entry.type === 'file') {
      setVersionsOf(row.entry.path);
    }
  }

  return (
    <Stack spacing={1.5}>
      <Stack direction="row" sx={{ gap: 1.5, alignItems: 'center', flexWrap: 'wrap' }}>
        <PointSwitcher points={points} pointId={point.id} onChange={setPoint} />
        <Button
          startIcon={<CompareArrowsIcon />}
          onClick={() => setComparing(true)}
          disabled={points.length < 2}
        >
          Compare with…
        </Button>
        <FileSearchBar active={search} onSearch={setSearch} />
      </Stack>
      <Stack direction="row" sx={{ gap: 1, alignItems: 'center', minWidth: 0 }}>
        <Button
          size="small"
          startIcon={<ArrowUpwardIcon />}
          onClick={() => setFolder(parentOf(folder))}
          disabled={folder === '/' || search !== null}
        >
          Up
        </Button>
        <Typography variant="body2" color="text.secondary" noWrap aria-live="polite">
          {search !== null
            ? `Search results for “${search.pattern}” ${SEARCH_SCOPES.find((s) => s.value === search.scope)?.results ?? ''}`
            : folderLocation(point.vmName, folder)}
        </Typography>
      </Stack>
      <Stack direction="row" sx={{ gap: 1.5, height: 520, minHeight: 0 }}>
        <Paper variant="outlined" sx={{ width: 300, flexShrink: 0, minHeight: 0 }}>
          <FolderTree
            vmUuid={vmUuid}
            vmName={point.vmName}
            pointId={point.id}
            volumes={volumes.data}
            selectedPath={folder}
            onSelect={(path) => {
              setFolder(path);
              setSearch(null);
            }}
          />
        </Paper>
        <Paper
          variant="outlined"
          sx={{ flex: 1, minWidth: 0, display: 'flex', flexDirection: 'column' }}
        >
          {error !== null && (
            <Alert
              severity="error"
              sx={{ m: 1 }}
              action={
                search === null && folder !== '/' ? (
                  <Button color="inherit" onClick={() => setFolder('/')}>
                    Go to the top
                  </Button>
                ) : undefined
              }
            >
              {describeError(error)}
            </Alert>
          )}
          {volumes.error !== null && (
            <Alert severity="warning" sx={{ m: 1 }}>
              Could not read the volumes of this point: {describeError(volumes.error)}
            </Alert>
          )}
          {hits.data?.truncated === true && (
            <Alert severity="info" sx={{ m: 1 }}>
              Only the first {formatCount(hits.data.hits.length, 'match', 'matches')} are listed:
              narrow the pattern.
            </Alert>
          )}
          <DataGrid
            aria-label={search !== null ? 'Search results' : 'Files'}
            rows={rows}
            columns={columns}
            loading={loading}
            checkboxSelection={!acrossPoints}
            disableRowSelectionOnClick
            keepNonExistentRowsSelected
            rowSelectionModel={selectionModel}
            onRowSelectionModelChange={onSelectionChange}
            isRowSelectable={({ row }) => row.pointId === undefined || row.pointId === point.id}
            onRowDoubleClick={({ row }) => open(row)}
            onCellKeyDown={({ row }, event) => {
              if (event.key === 'Enter') {
                event.preventDefault();
                open(row);
              }
            }}
            slots={{ rowCheckbox: NamedRowCheckbox }}
            density="compact"
            hideFooterSelectedRowCount
            initialState={{ pagination: { paginationModel: { pageSize: 100 } } }}
            pageSizeOptions={[100, 500]}
            localeText={{
              noRowsLabel: search !== null ? 'No file name matches' : 'This folder is empty',
            }}
            sx={{ border: 0, flex: 1, minHeight: 0 }}
          />
        </Paper>
        {versionsOf !== null && (
          <VersionsPanel
            vmUuid={vmUuid}
            path={versionsOf}
            currentPointId={point.id}
            onOpenPoint={(id) => {
              setPoint(id);
              setFolder(parentOf(versionsOf));
              setSearch(null);
            }}
            onClose={() => setVersionsOf(null)}
          />
        )}
      </Stack>
      <Stack direction="row" sx={{ gap: 1.5, alignItems: 'center', flexWrap: 'wrap' }}>
        <Typography variant="body2" sx={{ flex: '1 1 auto' }} aria-live="polite">
          {selected.size === 0
            ? 'Tick files and folders to restore them; double-click a folder to open it.'
            : selectionSummary(selected.values())}
        </Typography>
        {selected.size > 0 && (
          <Button onClick={() => setSelected(new Map())}>Clear selection</Button>
        )}
        <Button
          startIcon={<HistoryIcon />}
          disabled={single === undefined || single.type === 'dir'}
          onClick={() => single !== undefined && setVersionsOf(single.path)}
        >
          Versions
        </Button>
        {serveMode &&
          (selected.size === 0 ? (
            <Button startIcon={<DownloadIcon />} disabled>
              Download
            </Button>
          ) : (
            (['tar', 'zip'] as const).map((format) => (
              <Button
                key={format}
                startIcon={<DownloadIcon />}
                href={downloadUrl(vmUuid, point.id, selectedPaths, format)}
                // The engine names the archive; `download` keeps the console page open.
                {...{ download: '' }}
              >
                Download as {format}
              </Button>
            ))
          ))}
        <Button
          variant="contained"
          startIcon={<SettingsBackupRestoreIcon />}
          disabled={selected.size === 0}
          onClick={() => setRestoring(true)}
        >
          Restore…
        </Button>
      </Stack>
      {comparing && (
        <CompareDialog
          vmUuid={vmUuid}
          points={points}
          current={point}
          path={folder}
          onClose={() => setComparing(false)}
        />
      )}
      {restoring && (
        <FileRestoreDialog
          vmUuid={vmUuid}
          vmName={point.vmName}
          point={point}
          paths={selectedPaths}
          firstIsFolder={[...selected.values()][0]?.type === 'dir'}
          onClose={() => setRestoring(false)}
          onStarted={() => {
            setSelected(new Map());
            setStarted((n) => n + 1);
          }}
        />
      )}
    </Stack>
  );
}
