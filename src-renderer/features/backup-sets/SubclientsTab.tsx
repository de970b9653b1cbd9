import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import AddIcon from '@mui/icons-material/Add';
import ArrowDownwardIcon from '@mui/icons-material/ArrowDownward';
import ArrowUpwardIcon from '@mui/icons-material/ArrowUpward';
import BackupIcon from '@mui/icons-material/BackupOutlined';
import DeleteIcon from '@mui/icons-material/DeleteOutlined';
import SettingsIcon from '@mui/icons-material/SettingsOutlined';
import type { BackupSet, Subclient } from '../../../shared/domain/backup-set';
import { describeError } from '../../api/api-error';
import { formatCount } from '../../lib/format';
import { useStore } from '../../store';
import { ConfirmDialog } from '../../shell/ConfirmDialog';
import { nextRunsText } from './next-runs-text';
import { SubclientDialog } from './subclient/SubclientDialog';

const COPY_LEVEL_LABELS = { file: 'File level', volume: 'Volume level', disk: 'Disk level' };

type Editing = { mode: 'create' } | { mode: 'edit'; subclientId: string } | null;

function rulesText(subclient: Subclient): string {
  if (subclient.isDefault) return 'VMs that match no other subclient';
  const { rules, exclusions, match } = subclient.content;
  if (rules.length === 0) return 'No rules: manual assignments only';
  const text = `${formatCount(rules.length, 'rule')}, match ${match}`;
  return exclusions.length > 0 ? `${text}, ${formatCount(exclusions.length, 'exclusion')}` : text;
}

/** The subclients in evaluation order (first match wins; the default one is always last). */
export function SubclientsTab(props: { backupSet: BackupSet; hostOptions: readonly string[] }) {
  const { backupSet } = props;
  const assignments = useStore((s) => s.assignments?.assignments);
  const updateSubclient = useStore((s) => s.updateSubclient);
  const deleteSubclient = useStore((s) => s.deleteSubclient);
  const startBackup = useStore((s) => s.startBackup);
  const showJob = useStore((s) => s.showJob);
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<Subclient | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ordered = [...backupSet.subclients].sort(
    (a, b) => Number(a.isDefault) - Number(b.isDefault) || a.position - b.position,
  );
  const movable = ordered.filter((s) => !s.isDefault);
  const edited =
    editing?.mode === 'edit'
      ? backupSet.subclients.find((s) => s.id === editing.subclientId)
      : undefined;

  /** "Back up now": discovery runs first in the engine, then every member VM; the job opens. */
  async function backUpNow(subclient: Subclient) {
    setError(null);
    try {
      const job = await startBackup({ backupSetId: backupSet.id, subclientId: subclient.id });
      showJob(job.id);
    } catch (err) {
      setError(describeError(err));
    }
  }

  async function move(subclient: Subclient, position: number) {
    setError(null);
    try {
      await updateSubclient({ id: subclient.id, position });
    } catch (err) {
      setError(describeError(err));
    }
  }

  const vmCount = (id: string) =>
    assignments?.filter((a) => a.subclientId === id && a.status !== 'vanished').length;

  return (
    <Stack spacing={2}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <Typography variant="body2" color="text.secondary" sx={{ flex: 1 }}>
          Discovery tries the subclients from top to bottom: a VM joins the first one whose rules it
          matches. Manual assignments always win.
        </Typography>
        <Button
          variant="contained"
          startIcon={<AddIcon />}
          onClick={() => setEditing({ mode: 'create' })}
        >
          Add subclient
        </Button>
      </Stack>
      {error !== null && <Alert severity="error">{error}</Alert>}
      <TableContainer component={Paper} variant="outlined">
        <Table size="small" aria-label="Subclients">
          <TableHead>
            <TableRow>
              <TableCell sx={{ width: 48 }}>#</TableCell>
              <TableCell>Name</TableCell>
              <TableCell>Membership</TableCell>
              <TableCell align="right">VMs</TableCell>
              <TableCell>Copy type</TableCell>
              <TableCell>Schedule</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {ordered.map((subclient) => {
              const index = movable.indexOf(subclient);
              const count = vmCount(subclient.id);
              return (
                <TableRow key={subclient.id} hover>
                  <TableCell>{subclient.isDefault ? '—' : index + 1}</TableCell>
                  <TableCell>
                    <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
                      <Typography variant="body2" sx={{ fontWeight: 600 }}>
                        {subclient.name}
                      </Typography>
                      {subclient.isDefault && <Chip size="small" label="default" />}
                    </Stack>
                  </TableCell>
                  <TableCell>{rulesText(subclient)}</TableCell>
                  <TableCell align="right">{count === undefined ? '—' : count}</TableCell>
                  <TableCell>{COPY_LEVEL_LABELS[subclient.settings.copyLevel]}</TableCell>
                  <TableCell>{nextRunsText(subclient)}</TableCell>
                  <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                    <Tooltip disableInteractive title="Move up (evaluated earlier)">
                      <span>
                        <IconButton
                          size="small"
                          aria-label={`Move ${subclient.name} up`}
                          disabled={subclient.isDefault || index === 0}
                          onClick={() => void move(subclient, index - 1)}
                        >
                          <ArrowUpwardIcon fontSize="small" />
                        </IconButton>
                      </span>
                    </Tooltip>
                    <Tooltip disableInteractive title="Move down (evaluated later)">
                      <span>
                        <IconButton
                          size="small"
                          aria-label={`Move ${subclient.name} down`}
                          disabled={subclient.isDefault || index === movable.length - 1}
                          onClick={() => void move(subclient, index + 1)}
                        >
                          <ArrowDownwardIcon fontSize="small" />
                        </IconButton>
                      </span>
                    </Tooltip>
                    <Tooltip disableInteractive title="Back up now">
                      <IconButton
                        size="small"
                        aria-label={`Back up ${subclient.name} now`}
                        onClick={() => void backUpNow(subclient)}
                      >
                        <BackupIcon fontSize="small" />
                      </IconButton>
                    </Tooltip>
                    <Tooltip disableInteractive title="Properties">
                      <IconButton
                        size="small"
                        aria-label={`Properties of ${subclient.name}`}
                        onClick={() => setEditing({ mode: 'edit', subclientId: subclient.id })}
                      >
                        <SettingsIcon fontSize="small" />
                      </IconButton>
                    </Tooltip>
                    <Tooltip
                      disableInteractive
                      title={subclient.isDefault ? 'The default subclient stays' : 'Delete'}
                    >
                      <span>
                        <IconButton
                          size="small"
                          aria-label={`Delete ${subclient.name}`}
                          disabled={subclient.isDefault}
                          onClick={() => setDeleting(subclient)}
                        >
                          <DeleteIcon fontSize="small" />
                        </IconButton>
                      </span>
                    </Tooltip>
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      </TableContainer>
      {editing !== null && (editing.mode === 'create' || edited !== undefined) && (
        <SubclientDialog
          key={edited?.id ?? 'new'}
          backupSetId={backupSet.id}
          subclient={edited}
          hostOptions={props.hostOptions}
          onClose={() => setEditing(null)}
        />
      )}
      {deleting !== null && (
        <ConfirmDialog
          title={`Delete subclient ${deleting.name}?`}
          text="Its rules and settings are removed. Its VMs are placed again by the other subclients’ rules (or the default subclient) at the next discovery. Existing backups are kept."
          confirmLabel="Delete"
          onConfirm={() => deleteSubclient(deleting.id)}
          onClose={() => setDeleting(null)}
        />
      )}
    </Stack>
  );
}
