import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import Box from '@mui/material/Box';
import CircularProgress from '@mui/material/CircularProgress';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import ChevronRightIcon from '@mui/icons-material/ChevronRight';
import ComputerIcon from '@mui/icons-material/Computer';
import ErrorOutlineIcon from '@mui/icons-material/ErrorOutlineOutlined';
import ExpandMoreIcon from '@mui/icons-material/ExpandMore';
import FolderIcon from '@mui/icons-material/Folder';
import StorageIcon from '@mui/icons-material/Storage';
import type { PointVolume } from '../../../shared/domain/files';
import { describeError } from '../../api/api-error';
import { formatBytes } from '../../lib/format';
import { compareFileEntries } from './file-order';
import { queryEngine } from './use-engine-query';

interface TreeNode {
  path: string;
  label: string;
  detail?: string;
  kind: 'vm' | 'volume' | 'folder';
  level: number;
  /** why the node cannot be opened (a volume that was not indexed) */
  disabledReason?: string;
}

type Children =
  { status: 'loading' } | { status: 'error'; error: string } | { status: 'ready'; paths: string[] };

/** "ext4 · web-root · /" — file system, label, and where the guest mounts it. */
export function volumeDetail(volume: PointVolume): string {
  const parts = [volume.filesystem ?? 'unknown file system'];
  if (volume.label) parts.push(`“${volume.label}”`);
  if (volume.driveLetter) parts.push(volume.driveLetter);
  else if (volume.mountPoint) parts.push(volume.mountPoint);
  parts.push(formatBytes(volume.sizeBytes));
  return parts.join(' · ');
}

function parentOf(path: string): string {
  const cut = path.replace(/\/+$/, '').lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = path; p !== '/'; p = parentOf(p)) out.unshift(parentOf(p));
  return out;
}

/**
 * FIG. 12's left pane: VM → volumes → folders, folders read lazily from the catalog. A flat
 * WAI-ARIA tree: arrows move, Right/Left open and close, Enter shows the folder on the right.
 */
export function FolderTree(props: {
  vmUuid: string;
  vmName: string;
  pointId: string;
  volumes: PointVolume[] | undefined;
  selectedPath: string;
  onSelect(path: string): void;
}) {
  const { vmUuid, vmName, pointId, volumes, selectedPath, onSelect } = props;
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set(['/']));
  const [children, setChildren] = useState<Record<string, Children>>({});
  const [focused, setFocused] = useState(selectedPath);
  const nodes = useRef(new Map<string, HTMLElement>());
  const volumeByPath = useMemo(
    () => new Map<string, PointVolume>((volumes ?? []).map((v) => [`/${v.name}`, v])),
    [volumes],
  );

  async function loadChildren(path: string) {
    setChildren((c) => ({ ...c, [path]: { status: 'loading' } }));
    try {
      const listing = await queryEngine('files.list', { vm: vmUuid, pointId, path });
      // The same order as the file list next to it: natural, case-insensitive.
      const paths = listing.entries
        .filter((e) => e.type === 'dir')
        .sort(compareFileEntries)
        .map((e) => e.path);
      setChildren((c) => ({ ...c, [path]: { status: 'ready', paths } }));
    } catch (err) {
      setChildren((c) => ({ ...c, [path]: { status: 'error', error: describeError(err) } }));
    }
  }

  function expand(path: string) {
    setExpanded((s) => new Set(s).add(path));
    if (path !== '/' && children[path] === undefined) void loadChildren(path);
  }

  // A folder opened from the list (double-click) shows in the tree too: open its ancestors.
  useEffect(() => {
    const missing = ancestorsOf(selectedPath).filter((p) => !expanded.has(p));
    if (missing.length > 0) missing.forEach(expand);
    setFocused(selectedPath);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the selection moves
  }, [selectedPath]);

  const visible = useMemo(() => {
    const out: TreeNode[] = [];
    const walk = (path: string, level: number) => {
      const kids =
        path === '/'
          ? (volumes ?? []).map((v) => `/${v.name}`)
          : children[path]?.status === 'ready'
            ? (children[path] as { paths: string[] }).paths
            : [];
      for (const kid of kids) {
        const volume = volumeByPath.get(kid);
        out.push(
          volume !== undefined
            ? {
                path: kid,
                label: volume.name,
                detail: volumeDetail(volume),
                kind: 'volume',
                level,
                disabledReason: volume.indexed
                  ? undefined
                  : (volume.error ?? 'This volume was not indexed: browse is not available'),
              }
            : { path: kid, label: kid.slice(kid.lastIndexOf('/') + 1), kind: 'folder', level },
        );
        if (expanded.has(kid)) walk(kid, level + 1);
      }
    };
    out.push({ path: '/', label: vmName, kind: 'vm', level: 1 });
    if (expanded.has('/')) walk('/', 2);
    return out;
  }, [volumes, children, expanded, volumeByPath, vmName]);

  function move(path: string) {
    setFocused(path);
    nodes.current.get(path)?.focus();
  }

  function onKeyDown(event: KeyboardEvent) {
    const index = visible.findIndex((n) => n.path === focused);
    const node = visible[index];
    if (node === undefined) return;
    const open = expanded.has(node.path);
    switch (event.key) {
      case 'ArrowDown':
        if (visible[index + 1]) move(visible[index + 1]!.path);
        break;
      case 'ArrowUp':
        if (index > 0) move(visible[index - 1]!.path);
        break;
      case 'Home':
        move(visible[0]!.path);
        break;
      case 'End':
        move(visible.at(-1)!.path);
        break;
      case 'ArrowRight':
        if (node.disabledReason !== undefined) break;
        if (!open) expand(node.path);
        else if (visible[index + 1]?.level === node.level + 1) move(visible[index + 1]!.path);
        break;
      case 'ArrowLeft':
        if (open && node.path !== '/')
          setExpanded((s) => {
            const next = new Set(s);
            next.delete(node.path);
            return next;
          });
        else if (node.path !== '/') move(parentOf(node.path));
        break;
      case 'Enter':
      case ' ':
        if (node.disabledReason === undefined) onSelect(node.path);
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  return (
    <Box
      role="tree"
      aria-label={`Folders of ${vmName}`}
      onKeyDown={onKeyDown}
      sx={{ py: 0.5, overflow: 'auto', height: '100%' }}
    >
      {visible.map((node) => {
        const open = expanded.has(node.path);
        const state = children[node.path];
        const selected = node.path === selectedPath;
        const Icon =
          node.kind === 'vm' ? ComputerIcon : node.kind === 'volume' ? StorageIcon : FolderIcon;
        return (
          <Box
            key={node.path}
            role="treeitem"
            aria-level={node.level}
            aria-expanded={node.disabledReason === undefined ? open : undefined}
            aria-selected={selected}
            aria-disabled={node.disabledReason !== undefined || undefined}
            aria-label={node.detail ? `${node.label} (${node.detail})` : node.label}
            tabIndex={node.path === focused ? 0 : -1}
            ref={(el: HTMLElement | null) => {
              if (el) nodes.current.set(node.path, el);
              else nodes.current.delete(node.path);
            }}
            onClick={() => {
              setFocused(node.path);
              if (node.disabledReason === undefined) onSelect(node.path);
            }}
            sx={{
              display: 'flex',
              alignItems: 'center',
              gap: 0.5,
              pl: (node.level - 1) * 2 + 0.5,
              pr: 1,
              py: 0.25,
              cursor: 'pointer',
              borderRadius: 1,
              whiteSpace: 'nowrap',
              bgcolor: selected ? 'action.selected' : undefined,
              '&:hover': { bgcolor: 'action.hover' },
              '&:focus-visible': { outline: 2, outlineColor: 'primary.main', outlineOffset: -2 },
            }}
          >
            <Box
              component="span"
              aria-hidden
              onClick={(e) => {
                e.stopPropagation();
                if (node.disabledReason !== undefined) return;
                if (open && node.path !== '/')
                  setExpanded((s) => {
                    const next = new Set(s);
                    next.delete(node.path);
                    return next;
                  });
                else expand(node.path);
              }}
              sx={{ display: 'inline-flex', width: 20 }}
            >
              {state?.status === 'loading' ? (
                <CircularProgress size={14} />
              ) : node.disabledReason !== undefined ? null : open ? (
                <ExpandMoreIcon fontSize="small" />
              ) : (
                <ChevronRightIcon fontSize="small" />
              )}
            </Box>
            <Icon
              fontSize="small"
              color={node.kind === 'folder' ? 'warning' : 'action'}
              aria-hidden
            />
            <Typography variant="body2" component="span" sx={{ fontWeight: selected ? 600 : 400 }}>
              {node.label}
            </Typography>
            {node.detail !== undefined && (
              <Typography variant="caption" color="text.secondary" component="span" noWrap>
                {node.detail}
              </Typography>
            )}
            {(node.disabledReason ?? (state?.status === 'error' ? state.error : undefined)) !==
              undefined && (
              <Tooltip title={node.disabledReason ?? (state as { error: string }).error}>
                <ErrorOutlineIcon fontSize="small" color="error" aria-hidden />
              </Tooltip>
            )}
          </Box>
        );
      })}
    </Box>
  );
}
