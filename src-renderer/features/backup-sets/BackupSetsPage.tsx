import { useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import Link from '@mui/material/Link';
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
import DeleteIcon from '@mui/icons-material/DeleteOutlined';
import RefreshIcon from '@mui/icons-material/Refresh';
import SettingsIcon from '@mui/icons-material/SettingsOutlined';
import type { BackupSet } from '../../../shared/domain/backup-set';
import { describeError } from '../../api/api-error';
import { PageHeader } from '../../shell/PageHeader';
import { useStore } from '../../store';
import type { AssignmentSummary } from '../../store/backup-sets-slice';
import { BackupSetDialog } from './BackupSetDialog';
import { ConfirmDialog } from '../../shell/ConfirmDialog';

/** Backup sets: which VMs are protected, grouped how, as of each set's last discovery. */
export function BackupSetsPage() {
  const backupSets = useStore((s) => s.backupSets);
  const status = useStore((s) => s.backupSetsStatus);
  const error = useStore((s) => s.backupSetsError);
  const summaries = useStore((s) => s.assignmentSummaries);
  const loadBackupSets = useStore((s) => s.loadBackupSets);
  const openDialog = useStore((s) => s.openBackupSetDialog);
  const deleteBackupSet = useStore((s) => s.deleteBackupSet);
  const [deleting, setDeleting] = useState<BackupSet | null>(null);

  useEffect(() => {
    void loadBackupSets();
  }, [loadBackupSets]);

  return (
    <>
      <PageHeader
        title="Backup sets"
        subtitle="Each backup set protects the VMs of its hypervisors; auto-discovery rules place every VM in a subclient, which says how it is copied, when, and for how long it is kept."
        actions={
          <>
            <Button
              startIcon={<RefreshIcon />}
              onClick={() => void loadBackupSets()}
              disabled={status === 'loading'}
            >
              Refresh
            </Button>
            <Button
              variant="contained"
              startIcon={<AddIcon />}
              onClick={() => openDialog({ mode: 'create' })}
            >
              New backup set
            </Button>
          </>
        }
      />
      {error !== null && (
        <Alert
          severity="error"
          sx={{ mb: 2 }}
          action={
            <Button color="inherit" onClick={() => void loadBackupSets()}>
              Retry
            </Button>
          }
        >
          Could not load the backup sets: {describeError(error)}
        </Alert>
      )}
      <Paper variant="outlined">
        {status === 'loading' && <LinearProgress aria-label="Loading backup sets" />}
        <TableContainer>
          <Table aria-label="Backup sets">
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                <TableCell>Hypervisors</TableCell>
                <TableCell align="right">Subclients</TableCell>
                <TableCell>Virtual machines</TableCell>
                <TableCell>Last discovery</TableCell>
                <TableCell align="right">Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {backupSets.map((set) => (
                <BackupSetRow
                  key={set.id}
                  backupSet={set}
                  summary={summaries[set.id]}
                  onOpen={() => openDialog({ mode: 'edit', backupSetId: set.id })}
                  onDelete={() => setDeleting(set)}
                />
              ))}
              {backupSets.length === 0 && status !== 'loading' && (
                <TableRow>
                  <TableCell colSpan={6}>
                    <Typography color="text.secondary" sx={{ py: 3, textAlign: 'center' }}>
                      {error === null
                        ? 'No backup set yet. Use “New backup set” to choose hypervisors, then add subclients with auto-discovery rules.'
                        : 'The list is not available while the engine cannot be reached.'}
                    </Typography>
                  </TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
      </Paper>
      <BackupSetDialog />
      {deleting !== null && (
        <ConfirmDialog
          title={`Delete backup set ${deleting.name}?`}
          text="Its subclients, rules, VM assignments and VM credentials are removed. The VMs and the hypervisors are not touched."
          confirmLabel="Delete"
          onConfirm={() => deleteBackupSet(deleting.id)}
          onClose={() => setDeleting(null)}
        />
      )}
    </>
  );
}

function BackupSetRow(props: {
  backupSet: BackupSet;
  summary: AssignmentSummary | undefined;
  onOpen(): void;
  onDelete(): void;
}) {
  const { backupSet, summary } = props;
  const hypervisors = useStore((s) => s.hypervisors);
  return (
    <TableRow hover>
      <TableCell>
        <Link
          component="button"
          type="button"
          variant="body2"
          underline="hover"
          onClick={props.onOpen}
          sx={{ fontWeight: 600 }}
        >
          {backupSet.name}
        </Link>
      </TableCell>
      <TableCell>
        <Stack direction="row" spacing={0.5} sx={{ flexWrap: 'wrap', rowGap: 0.5 }}>
          {backupSet.hypervisorIds.map((id) => (
            <Chip
              key={id}
              size="small"
              variant="outlined"
              label={hypervisors.find((h) => h.id === id)?.name ?? '(removed)'}
            />
          ))}
        </Stack>
      </TableCell>
      <TableCell align="right">{backupSet.subclients.length}</TableCell>
      <TableCell>
        <VmCounts summary={summary} />
      </TableCell>
      <TableCell>
        {summary === undefined || summary.discoveredAt === ''
          ? 'Never'
          : new Date(summary.discoveredAt).toLocaleString()}
      </TableCell>
      <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
        <Tooltip title="Properties">
          <IconButton aria-label={`Properties of ${backupSet.name}`} onClick={props.onOpen}>
            <SettingsIcon />
          </IconButton>
        </Tooltip>
        <Tooltip title="Delete">
          <IconButton aria-label={`Delete ${backupSet.name}`} onClick={props.onDelete}>
            <DeleteIcon />
          </IconButton>
        </Tooltip>
      </TableCell>
    </TableRow>
  );
}

function VmCounts({ summary }: { summary: AssignmentSummary | undefined }) {
  if (summary === undefined || summary.total === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        Not discovered yet
      </Typography>
    );
  }
  return (
    <Stack direction="row" spacing={0.5} sx={{ flexWrap: 'wrap', rowGap: 0.5 }}>
      <Chip size="small" color="success" label={`${summary.protected} assigned`} />
      {summary.unprotected > 0 && (
        <Chip
          size="small"
          color="error"
          variant="outlined"
          label={`${summary.unprotected} unassigned`}
        />
      )}
      {summary.vanished > 0 && (
        <Chip
          size="small"
          color="warning"
          variant="outlined"
          label={`${summary.vanished} vanished`}
        />
      )}
    </Stack>
  );
}
