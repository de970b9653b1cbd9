import { Fragment, useId, useState } from 'react';
import Checkbox from '@mui/material/Checkbox';
import Chip from '@mui/material/Chip';
import Divider from '@mui/material/Divider';
import IconButton from '@mui/material/IconButton';
import ListItemIcon from '@mui/material/ListItemIcon';
import ListItemText from '@mui/material/ListItemText';
import Menu from '@mui/material/Menu';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TableCell from '@mui/material/TableCell';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlined';
import FactCheckOutlinedIcon from '@mui/icons-material/FactCheckOutlined';
import FolderOpenIcon from '@mui/icons-material/FolderOpen';
import LockIcon from '@mui/icons-material/Lock';
import LockOpenOutlinedIcon from '@mui/icons-material/LockOpenOutlined';
import LockOutlinedIcon from '@mui/icons-material/LockOutlined';
import MoreVertIcon from '@mui/icons-material/MoreVert';
import SettingsBackupRestoreIcon from '@mui/icons-material/SettingsBackupRestore';
import WarningAmberIcon from '@mui/icons-material/WarningAmber';
import type { RestorePoint } from '../../../shared/domain/jobs';
import { formatBytes } from '../../lib/format';
import { formatLocalTime } from '../jobs/job-text';

/** Short local date and time with seconds (two points can be a minute apart); ISO in the tooltip. */
function formatPointTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** "Protected since <local time>: <reason>", the chip's tooltip and accessible name. */
export function protectionText(protection: NonNullable<RestorePoint['protection']>): string {
  const since = `Protected since ${formatLocalTime(protection.since)}`;
  return protection.reason === '' ? since : `${since}: ${protection.reason}`;
}

const FULL_HELP = 'Every used block was read. The point restores on its own.';
const INCREMENTAL_HELP =
  'Only the blocks changed since the previous point were read, but the point is complete: it restores on its own and shares unchanged data with other points, so removing an older point never breaks it.';
/** On one line in the narrow drawer: "application-consistent" alone widened the table. */
function shortConsistency(consistency: string): string {
  return consistency.replace(/^application-/, 'app-').replace(/^filesystem-/, 'FS-');
}

/**
 * What a point added to the repository, said plainly: "— shared" was cryptic (review P7), and
 * "0 B stored" read as an empty point. "(all shared)" is in the tooltip: beside the size it
 * pushed the drawer's table 8 px past its width.
 */
export function newDataText(storedBytes: number): string {
  return `${formatBytes(storedBytes)} new`;
}

function newDataHelp(storedBytes: number): string {
  return storedBytes > 0
    ? 'Space this point added to the repository, after deduplication and compression; the rest is shared with other points'
    : 'This point added nothing to the repository: all its blocks are shared with other points, and it still restores on its own';
}

/** Why a protected point cannot be ticked or deleted: the engine refuses it. */
const PROTECTED_NOT_DELETABLE = 'Protected: lift the protection before deleting it';

/**
 * One restore point in the VM's table: when, what, how big, whether it is protected, and its
 * actions: browse and restore a disk at hand, the rarer protect (or lift the protection) and
 * delete in a menu. A point with a fallback note takes a second row under the first.
 */
export function RestorePointRow(props: {
  point: RestorePoint;
  selected: boolean;
  onSelect(on: boolean): void;
  onRestore(): void;
  onBrowse(): void;
  /** Opens the recovery test dialog (restore, boot and remove an isolated copy). */
  onTestRecovery(): void;
  /** Opens the dialog that protects the point, or the one that lifts its protection. */
  onProtection(): void;
  /** Undefined while a deletion of this VM's points runs. */
  onDelete: (() => void) | undefined;
}) {
  const { point, selected, onSelect, onRestore, onBrowse, onTestRecovery, onProtection, onDelete } =
    props;
  const time = formatLocalTime(point.time);
  const protection = point.protection;
  const hasFallback = point.fallbackReason !== undefined && point.fallbackReason !== '';
  const cellSx = hasFallback ? { borderBottom: 0 } : undefined;
  return (
    <Fragment>
      <TableRow hover selected={selected}>
        <TableCell padding="checkbox" sx={cellSx}>
          {protection === undefined ? (
            <Checkbox
              size="small"
              checked={selected}
              onChange={(e) => onSelect(e.target.checked)}
              slotProps={{ input: { 'aria-label': `Select the point of ${time}` } }}
            />
          ) : (
            <Tooltip title={PROTECTED_NOT_DELETABLE}>
              <span>
                <Checkbox
                  size="small"
                  checked={false}
                  disabled
                  slotProps={{ input: { 'aria-label': `Select the point of ${time}` } }}
                />
              </span>
            </Tooltip>
          )}
        </TableCell>
        <TableCell sx={{ ...cellSx, whiteSpace: 'nowrap' }}>
          <Tooltip title={point.time}>
            <span>{formatPointTime(point.time)}</span>
          </Tooltip>
          {protection !== undefined && (
            // Focusable, so the reason is reachable from the keyboard too; its name is the text.
            <Tooltip title={protectionText(protection)}>
              <Chip
                size="small"
                color="secondary"
                variant="outlined"
                icon={<LockIcon />}
                label="Protected"
                role="img"
                tabIndex={0}
                sx={{ display: 'flex', width: 'fit-content', mt: 0.5 }}
              />
            </Tooltip>
          )}
        </TableCell>
        <TableCell sx={cellSx}>
          {/* Two lines at most (review P7): the chip, then the consistency unbroken. That every
              point restores on its own is said once, above the table, and in the chip's tooltip. */}
          <Tooltip title={point.type === 'full' ? FULL_HELP : INCREMENTAL_HELP}>
            <Chip
              size="small"
              variant={point.type === 'full' ? 'filled' : 'outlined'}
              color={point.type === 'full' ? 'primary' : 'default'}
              label={point.type === 'full' ? 'Full' : 'Incremental'}
            />
          </Tooltip>
          <Typography
            variant="caption"
            color="text.secondary"
            component="div"
            title={point.consistency}
            sx={{ whiteSpace: 'nowrap' }}
          >
            {shortConsistency(point.consistency)}
          </Typography>
        </TableCell>
        <TableCell align="right" sx={{ ...cellSx, whiteSpace: 'nowrap' }}>
          <Tooltip title="Size of the VM's disks in this point">
            <span>{formatBytes(point.logicalBytes)}</span>
          </Tooltip>
          <Tooltip title={newDataHelp(point.storedBytes)}>
            <Typography variant="caption" color="text.secondary" component="div">
              {newDataText(point.storedBytes)}
            </Typography>
          </Tooltip>
        </TableCell>
        <TableCell align="right" sx={{ ...cellSx, px: 0.5, whiteSpace: 'nowrap' }}>
          <Tooltip title="Browse and restore files…">
            <IconButton
              size="small"
              onClick={onBrowse}
              aria-label={`Browse the files of the point of ${time}`}
            >
              <FolderOpenIcon fontSize="small" />
            </IconButton>
          </Tooltip>
          <Tooltip title="Restore disk…">
            <span>
              <IconButton
                size="small"
                onClick={onRestore}
                disabled={point.disks.length === 0}
                aria-label={`Restore a disk from the point of ${time}`}
              >
                <SettingsBackupRestoreIcon fontSize="small" />
              </IconButton>
            </span>
          </Tooltip>
          <PointMoreActions
            time={time}
            isProtected={protection !== undefined}
            hasDisks={point.disks.length > 0}
            onTestRecovery={onTestRecovery}
            onProtection={onProtection}
            onDelete={onDelete}
          />
        </TableCell>
      </TableRow>
      {hasFallback && (
        <TableRow selected={selected}>
          <TableCell colSpan={5} sx={{ pt: 0 }}>
            <Stack direction="row" sx={{ gap: 0.75, alignItems: 'flex-start' }}>
              <WarningAmberIcon fontSize="small" color="warning" aria-hidden />
              <Typography variant="caption" color="text.secondary">
                {point.type === 'full' ? 'Full instead of incremental: ' : ''}
                {point.fallbackReason}
              </Typography>
            </Stack>
          </TableCell>
        </TableRow>
      )}
    </Fragment>
  );
}

/**
 * Protect (or lift the protection), test recovery and delete, in a menu: a fourth icon button pushed the table
 * past the 640 px drawer, which then scrolled sideways. Operable from the keyboard (arrows, Enter,
 * Escape); the dialogs an item opens give the focus back to this button.
 */
function PointMoreActions(props: {
  time: string;
  isProtected: boolean;
  hasDisks: boolean;
  onTestRecovery(): void;
  onProtection(): void;
  onDelete: (() => void) | undefined;
}) {
  const { time, isProtected, hasDisks, onTestRecovery, onProtection, onDelete } = props;
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const menuId = useId();
  const close = () => setAnchor(null);
  const deleteBlocked = isProtected
    ? 'Protected: lift the protection first'
    : onDelete === undefined
      ? 'A deletion is running'
      : undefined;
  return (
    <>
      <Tooltip title="More actions">
        <IconButton
          size="small"
          aria-label={`More actions for the point of ${time}`}
          aria-haspopup="menu"
          aria-controls={anchor === null ? undefined : menuId}
          aria-expanded={anchor === null ? undefined : true}
          onClick={(event) => setAnchor(event.currentTarget)}
        >
          <MoreVertIcon fontSize="small" />
        </IconButton>
      </Tooltip>
      <Menu id={menuId} anchorEl={anchor} open={anchor !== null} onClose={close}>
        <MenuItem
          onClick={() => {
            close();
            onProtection();
          }}
        >
          <ListItemIcon>
            {isProtected ? (
              <LockOpenOutlinedIcon fontSize="small" />
            ) : (
              <LockOutlinedIcon fontSize="small" />
            )}
          </ListItemIcon>
          <ListItemText
            primary={isProtected ? 'Lift protection…' : 'Protect restore point…'}
            secondary={
              isProtected
                ? 'Retention decides again when it goes'
                : 'Kept whatever the retention says'
            }
          />
        </MenuItem>
        <MenuItem
          disabled={!hasDisks}
          onClick={() => {
            close();
            onTestRecovery();
          }}
        >
          <ListItemIcon>
            <FactCheckOutlinedIcon fontSize="small" />
          </ListItemIcon>
          <ListItemText
            primary="Test recovery…"
            secondary={hasDisks ? 'Boot an isolated copy, then remove it' : 'No disk in this point'}
          />
        </MenuItem>
        {/* The one action that destroys something, set apart at the end. */}
        <Divider />
        <MenuItem
          disabled={deleteBlocked !== undefined}
          onClick={() => {
            close();
            onDelete?.();
          }}
        >
          <ListItemIcon>
            <DeleteOutlineIcon fontSize="small" color="error" />
          </ListItemIcon>
          <ListItemText primary="Delete restore point…" secondary={deleteBlocked} />
        </MenuItem>
      </Menu>
    </>
  );
}
