import { useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
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
import EditIcon from '@mui/icons-material/EditOutlined';
import type { VmCredential } from '../../../shared/domain/backup-set';
import { describeError } from '../../api/api-error';
import { useStore } from '../../store';
import { ConfirmDialog } from '../../shell/ConfirmDialog';
import { CredentialDialog } from './CredentialDialog';

type Editing = { mode: 'add' } | { mode: 'edit'; credential: VmCredential } | null;

/** FIG. 6: guest credentials per VM (VM name | user name | password), Add / Edit / Remove. */
export function CredentialsTab({ backupSetId }: { backupSetId: string }) {
  const listCredentials = useStore((s) => s.listCredentials);
  const removeCredential = useStore((s) => s.removeCredential);
  const notify = useStore((s) => s.notify);
  const assignments = useStore((s) => s.assignments?.assignments);
  const [credentials, setCredentials] = useState<VmCredential[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const [removing, setRemoving] = useState<VmCredential | null>(null);
  const vmNames = [...new Set((assignments ?? []).map((a) => a.vmName))].sort();

  // Bumped after every change: the effect below then fetches the list again.
  const [version, setVersion] = useState(0);
  const reload = () => setVersion((v) => v + 1);

  useEffect(() => {
    let current = true;
    listCredentials(backupSetId).then(
      (list) => {
        if (!current) return;
        setCredentials(list.sort((a, b) => a.vmName.localeCompare(b.vmName)));
        setError(null);
      },
      (err: unknown) => {
        if (current) setError(`Could not load the credentials: ${describeError(err)}`);
      },
    );
    return () => {
      current = false;
    };
  }, [backupSetId, listCredentials, version]);

  return (
    <Stack spacing={2}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <Typography variant="body2" color="text.secondary" sx={{ flex: 1 }}>
          Guest accounts kept for these VMs. Passwords are stored encrypted and never shown again.
          Hyperkeep’s backups do not use them: they quiesce the guest through the QEMU guest agent
          when it runs in the VM, which needs no account.
        </Typography>
        <Button
          variant="contained"
          startIcon={<AddIcon />}
          onClick={() => setEditing({ mode: 'add' })}
        >
          Add
        </Button>
      </Stack>
      {error !== null && <Alert severity="error">{error}</Alert>}
      <TableContainer component={Paper} variant="outlined">
        {credentials === null && error === null && (
          <LinearProgress aria-label="Loading credentials" />
        )}
        <Table size="small" aria-label="VM credentials">
          <TableHead>
            <TableRow>
              <TableCell>VM name</TableCell>
              <TableCell>User name</TableCell>
              <TableCell>Password</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {credentials?.map((c) => (
              <TableRow key={c.id} hover>
                <TableCell sx={{ fontWeight: 600 }}>{c.vmName}</TableCell>
                <TableCell>{c.username}</TableCell>
                <TableCell aria-label={c.hasPassword ? 'Password set' : 'No password'}>
                  {c.hasPassword ? '••••' : '—'}
                </TableCell>
                <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                  <Tooltip disableInteractive title="Edit">
                    <IconButton
                      size="small"
                      aria-label={`Edit credentials of ${c.vmName}`}
                      onClick={() => setEditing({ mode: 'edit', credential: c })}
                    >
                      <EditIcon fontSize="small" />
                    </IconButton>
                  </Tooltip>
                  <Tooltip disableInteractive title="Remove">
                    <IconButton
                      size="small"
                      aria-label={`Remove credentials of ${c.vmName}`}
                      onClick={() => setRemoving(c)}
                    >
                      <DeleteIcon fontSize="small" />
                    </IconButton>
                  </Tooltip>
                </TableCell>
              </TableRow>
            ))}
            {credentials?.length === 0 && (
              <TableRow>
                <TableCell colSpan={4}>
                  <Typography
                    variant="body2"
                    color="text.secondary"
                    sx={{ py: 2, textAlign: 'center' }}
                  >
                    No VM credentials. Backups do not need any: they quiesce through the QEMU guest
                    agent when it runs in the VM, and take crash-consistent snapshots otherwise.
                  </Typography>
                </TableCell>
              </TableRow>
            )}
          </TableBody>
        </Table>
      </TableContainer>
      {editing !== null && (
        <CredentialDialog
          backupSetId={backupSetId}
          existing={editing.mode === 'edit' ? editing.credential : undefined}
          vmNames={vmNames}
          onClose={() => setEditing(null)}
          onSaved={() => {
            notify('success', editing.mode === 'add' ? 'Credentials added.' : 'Credentials saved.');
            setEditing(null);
            reload();
          }}
        />
      )}
      {removing !== null && (
        <ConfirmDialog
          title={`Remove the credentials of ${removing.vmName}?`}
          text="Hyperkeep forgets this user name and password. Nothing changes inside the VM."
          confirmLabel="Remove"
          onConfirm={async () => {
            await removeCredential(removing.id);
            notify('success', `Credentials of ${removing.vmName} removed.`);
            reload();
          }}
          onClose={() => setRemoving(null)}
        />
      )}
    </Stack>
  );
}
