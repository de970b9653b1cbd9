import { useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import ListItemText from '@mui/material/ListItemText';
import Menu from '@mui/material/Menu';
import MenuItem from '@mui/material/MenuItem';
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
import LinkIcon from '@mui/icons-material/Link';
import LockIcon from '@mui/icons-material/Lock';
import MoreVertIcon from '@mui/icons-material/MoreVert';
import RefreshIcon from '@mui/icons-material/Refresh';
import type { Job, RepositoryInfo } from '../../../shared/domain/jobs';
import { describeError } from '../../api/api-error';
import { formatBytes } from '../../lib/format';
import { ConfirmDialog } from '../../shell/ConfirmDialog';
import { PageHeader } from '../../shell/PageHeader';
import { useStore } from '../../store';
import { MONO_FONT_STACK } from '../../theme/theme';
import { StartedJobsList } from '../jobs/StartedJobsList';
import { ChangePassphraseDialog } from './ChangePassphraseDialog';
import { PruneDialog } from './PruneDialog';
import { RepositoryDialog } from './RepositoryDialog';
import { VerifyScheduleDialog } from './VerifyScheduleDialog';
import { ratioText, type RepositoryDialogMode } from './repository-form';
import { RepositoryUsageChart } from './RepositoryUsageChart';
import { RepositoryUsageHistoryChart } from './RepositoryUsageHistoryChart';
import { VmPointsSection } from './VmPointsSection';

const NUMBER = { whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' } as const;

/** Repositories: where backups are kept, how compactly, and their maintenance jobs. */
export function StoragePage() {
  const repositories = useStore((s) => s.repositories);
  const status = useStore((s) => s.repositoriesStatus);
  const error = useStore((s) => s.repositoriesError);
  const loadRepositories = useStore((s) => s.loadRepositories);
  const [dialog, setDialog] = useState<RepositoryDialogMode | null>(null);
  const [pruning, setPruning] = useState<string | null>(null);
  const [scheduling, setScheduling] = useState<string | null>(null);
  const [rekeying, setRekeying] = useState<string | null>(null);
  const [removing, setRemoving] = useState<RepositoryInfo | null>(null);
  const removeRepository = useStore((s) => s.removeRepository);
  // Jobs started here, newest first, followed live at the top of the page.
  const [startedJobs, setStartedJobs] = useState<string[]>([]);
  const onStarted = (job: Job) => setStartedJobs((ids) => [job.id, ...ids].slice(0, 3));

  useEffect(() => {
    void loadRepositories();
  }, [loadRepositories]);

  return (
    <>
      <PageHeader
        title="Storage"
        subtitle="Repositories hold the restore points as deduplicated, compressed and (optionally) encrypted chunks."
        actions={
          <>
            <Button
              startIcon={<RefreshIcon />}
              onClick={() => void loadRepositories()}
              disabled={status === 'loading'}
            >
              Refresh
            </Button>
            <Button startIcon={<LinkIcon />} onClick={() => setDialog('attach')}>
              Attach existing
            </Button>
            <Button variant="contained" startIcon={<AddIcon />} onClick={() => setDialog('create')}>
              Create repository
            </Button>
          </>
        }
      />
      {error !== null && (
        <Alert
          severity="error"
          sx={{ mb: 2 }}
          action={
            <Button color="inherit" onClick={() => void loadRepositories()}>
              Retry
            </Button>
          }
        >
          Could not read the repositories: {describeError(error)}
        </Alert>
      )}
      <StartedJobsList
        jobIds={startedJobs}
        label="Jobs started here"
        onDismiss={(id) => setStartedJobs((ids) => ids.filter((other) => other !== id))}
      />
      {repositories.length > 0 && <RepositoryUsageChart repositories={repositories} />}
      {repositories.length > 0 && <RepositoryUsageHistoryChart repositories={repositories} />}
      <Paper variant="outlined">
        {status === 'loading' && <LinearProgress aria-label="Loading repositories" />}
        <TableContainer>
          <Table aria-label="Repositories">
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                <TableCell>Location</TableCell>
                <TableCell>Encryption</TableCell>
                <TableCell align="right">Points</TableCell>
                <TableCell align="right">Protected data</TableCell>
                <TableCell align="right">Stored</TableCell>
                <TableCell align="right">Dedup</TableCell>
                <TableCell align="right">Compression</TableCell>
                <TableCell align="right">Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {repositories.map((repository) => (
                <RepositoryRow
                  key={repository.name}
                  repository={repository}
                  onStarted={onStarted}
                  onPrune={() => setPruning(repository.name)}
                  onSchedule={() => setScheduling(repository.name)}
                  onChangePassphrase={() => setRekeying(repository.name)}
                  onRemove={() => setRemoving(repository)}
                />
              ))}
              {repositories.length === 0 && status !== 'loading' && (
                <TableRow>
                  <TableCell colSpan={9}>
                    <Typography color="text.secondary" sx={{ py: 3, textAlign: 'center' }}>
                      {error === null
                        ? 'No repository yet. Create one in an empty folder (“Create repository”), or attach one a previous console wrote (“Attach existing”). Backups need a repository.'
                        : 'The list is not available right now.'}
                    </Typography>
                  </TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
      </Paper>
      <VmPointsSection />
      {dialog !== null && (
        <RepositoryDialog
          mode={dialog}
          onClose={() => setDialog(null)}
          onDone={() => setDialog(null)}
        />
      )}
      {scheduling !== null && (
        <VerifyScheduleDialog repository={scheduling} onClose={() => setScheduling(null)} />
      )}
      {rekeying !== null && (
        <ChangePassphraseDialog repository={rekeying} onClose={() => setRekeying(null)} />
      )}
      {pruning !== null && (
        <PruneDialog repository={pruning} onClose={() => setPruning(null)} onStarted={onStarted} />
      )}
      {removing !== null && (
        <ConfirmDialog
          title={`Remove ${removing.name} from this console?`}
          text={`Hyperkeep stops using ${removing.name} and no longer lists its ${removing.points} restore point${removing.points === 1 ? '' : 's'} here. Nothing is deleted: the data stays on disk in ${removing.location}, and “Attach existing” brings the repository and its restore points back.`}
          confirmLabel="Remove"
          busyLabel="Removing…"
          onConfirm={() => removeRepository(removing.name)}
          onClose={() => setRemoving(null)}
        />
      )}
    </>
  );
}

function RepositoryRow(props: {
  repository: RepositoryInfo;
  onStarted(job: Job): void;
  onPrune(): void;
  onSchedule(): void;
  onChangePassphrase(): void;
  onRemove(): void;
}) {
  const { repository, onStarted, onPrune, onSchedule, onChangePassphrase, onRemove } = props;
  const verifyRepository = useStore((s) => s.verifyRepository);
  const notify = useStore((s) => s.notify);
  const [starting, setStarting] = useState(false);

  async function verify(readData: boolean) {
    setStarting(true);
    try {
      onStarted(await verifyRepository(repository.name, readData));
    } catch (err) {
      notify('error', `Could not start verifying ${repository.name}: ${describeError(err)}`);
    } finally {
      setStarting(false);
    }
  }

  return (
    <TableRow hover>
      <TableCell sx={{ fontWeight: 600 }}>{repository.name}</TableCell>
      <TableCell
        sx={{ fontFamily: MONO_FONT_STACK, fontSize: 13, wordBreak: 'break-all', minWidth: 160 }}
      >
        {repository.location}
      </TableCell>
      <TableCell>
        {repository.encrypted ? (
          <Chip size="small" color="success" icon={<LockIcon />} label="Encrypted" />
        ) : (
          <Chip size="small" variant="outlined" label="Not encrypted" />
        )}
      </TableCell>
      <TableCell align="right" sx={NUMBER}>
        {repository.points}
      </TableCell>
      <TableCell align="right" sx={NUMBER}>
        <Tooltip
          title={`Data of every restore point, as if each were a full copy. Provisioned (sum of the disks' sizes): ${formatBytes(repository.provisionedBytes)}`}
        >
          <span>{formatBytes(repository.logicalBytes)}</span>
        </Tooltip>
      </TableCell>
      <TableCell align="right" sx={NUMBER}>
        {formatBytes(repository.storedBytes)}
      </TableCell>
      <TableCell align="right" sx={NUMBER}>
        {ratioText(repository.dedupRatio, repository.logicalBytes)}
      </TableCell>
      <TableCell align="right" sx={NUMBER}>
        {ratioText(repository.compressionRatio, repository.logicalBytes)}
      </TableCell>
      <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
        <Stack direction="row" spacing={0.5} sx={{ justifyContent: 'flex-end' }}>
          <Tooltip title="Check that every restore point's structure and chunk references are intact">
            <span>
              <Button
                size="small"
                onClick={() => void verify(false)}
                disabled={starting}
                aria-label={`Verify ${repository.name}`}
              >
                Verify
              </Button>
            </span>
          </Tooltip>
          <Button
            size="small"
            color="error"
            onClick={onPrune}
            aria-label={`Prune ${repository.name}`}
          >
            Prune
          </Button>
          <MoreActions
            repository={repository.name}
            disabled={starting}
            onVerifyAllData={() => void verify(true)}
            onSchedule={onSchedule}
            // An unencrypted repository has no passphrase to change.
            {...(repository.encrypted ? { onChangePassphrase } : {})}
            onRemove={onRemove}
          />
        </Stack>
      </TableCell>
    </TableRow>
  );
}

/**
 * The rarer actions of a row, in a menu: four text buttons pushed the Actions column out of a
 * 1400 px window (review P13).
 */
function MoreActions(props: {
  repository: string;
  disabled: boolean;
  onVerifyAllData(): void;
  onSchedule(): void;
  /** Absent for an unencrypted repository. */
  onChangePassphrase?: () => void;
  onRemove(): void;
}) {
  const { onChangePassphrase } = props;
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const close = () => setAnchor(null);
  return (
    <>
      <Tooltip title="More actions">
        <IconButton
          size="small"
          aria-label={`More actions for ${props.repository}`}
          aria-haspopup="menu"
          onClick={(event) => setAnchor(event.currentTarget)}
        >
          <MoreVertIcon fontSize="small" />
        </IconButton>
      </Tooltip>
      <Menu anchorEl={anchor} open={anchor !== null} onClose={close}>
        <MenuItem
          disabled={props.disabled}
          onClick={() => {
            close();
            props.onVerifyAllData();
          }}
        >
          <ListItemText
            primary="Verify all data"
            secondary="Also read and re-hash every chunk (reads the whole repository)"
          />
        </MenuItem>
        <MenuItem
          onClick={() => {
            close();
            props.onSchedule();
          }}
        >
          <ListItemText
            primary="Verification schedule…"
            secondary="Let the engine verify this repository by itself, e.g. weekly"
          />
        </MenuItem>
        {onChangePassphrase !== undefined && (
          <MenuItem
            onClick={() => {
              close();
              onChangePassphrase();
            }}
          >
            <ListItemText
              primary="Change passphrase…"
              secondary="Re-wrap the keys under a new passphrase"
            />
          </MenuItem>
        )}
        <MenuItem
          onClick={() => {
            close();
            props.onRemove();
          }}
        >
          <ListItemText
            primary="Remove from this console…"
            secondary="Its data stays on disk and can be attached again"
          />
        </MenuItem>
      </Menu>
    </>
  );
}
