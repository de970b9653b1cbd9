import { useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Autocomplete from '@mui/material/Autocomplete';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { VmCredentialInput, type VmCredential } from '../../../shared/domain/backup-set';
import { useStore } from '../../store';
import { NO_ERRORS, fieldErrorsFrom, fieldErrorsFromZod, type FieldErrors } from './field-errors';

/** FIG. 6 Add / Edit: VM name, user name, password (write-only: never shown again). */
export function CredentialDialog(props: {
  backupSetId: string;
  existing?: VmCredential;
  vmNames: readonly string[];
  onSaved(): void;
  onClose(): void;
}) {
  const { existing } = props;
  const addCredential = useStore((s) => s.addCredential);
  const updateCredential = useStore((s) => s.updateCredential);
  const [vmName, setVmName] = useState(existing?.vmName ?? '');
  const [username, setUsername] = useState(existing?.username ?? '');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [saving, setSaving] = useState(false);
  const f = errors.fields;

  async function submit(event: FormEvent) {
    event.preventDefault();
    event.stopPropagation();
    const parsed = VmCredentialInput.safeParse({
      backupSetId: props.backupSetId,
      vmName,
      username,
      password,
    });
    if (!parsed.success) {
      setErrors(fieldErrorsFromZod(parsed.error));
      return;
    }
    setSaving(true);
    setErrors(NO_ERRORS);
    try {
      if (existing === undefined) await addCredential(parsed.data);
      else
        await updateCredential({
          id: existing.id,
          vmName: parsed.data.vmName,
          username: parsed.data.username,
          // An empty box keeps the stored password: the console never had it to show.
          password: password === '' ? undefined : password,
        });
      props.onSaved();
    } catch (err) {
      setErrors(fieldErrorsFrom(err));
      setSaving(false);
    }
  }

  return (
    <Dialog
      open
      onClose={() => {
        if (!saving) props.onClose();
      }}
      maxWidth="xs"
      fullWidth
      aria-labelledby="credential-dialog-title"
    >
      <Box component="form" noValidate onSubmit={(e) => void submit(e)}>
        <DialogTitle id="credential-dialog-title">
          {existing === undefined ? 'Add VM credentials' : `Edit credentials of ${existing.vmName}`}
        </DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            <Autocomplete
              freeSolo
              options={[...props.vmNames]}
              inputValue={vmName}
              onInputChange={(_event, value) => setVmName(value)}
              renderInput={(params) => (
                <TextField
                  {...params}
                  label="VM name"
                  required
                  autoFocus
                  error={f['vmName'] !== undefined}
                  helperText={f['vmName'] ?? 'The VM whose guest these credentials log in to'}
                />
              )}
            />
            <TextField
              label="User name"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
              autoComplete="off"
              error={f['username'] !== undefined}
              helperText={f['username'] ?? 'A guest account of this VM (kept, not used by backups)'}
            />
            <TextField
              label="Password"
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="new-password"
              error={f['password'] !== undefined}
              helperText={
                f['password'] ??
                (existing === undefined
                  ? 'Stored encrypted, never shown again'
                  : existing.hasPassword
                    ? 'Leave empty to keep the stored password'
                    : 'No password stored yet')
              }
            />
            {errors.general !== undefined && <Alert severity="error">{errors.general}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={props.onClose} disabled={saving}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={saving}>
            {saving ? 'Saving…' : 'Save'}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
