import { useId, useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useStore } from '../../store';
import { useDialogSubmit, type FieldErrors } from '../../shell/use-dialog-submit';
import { KeepPassphraseSafe, PassphraseStrengthMeter } from './PassphraseHelp';
import { MIN_PASSPHRASE_LENGTH } from './repository-form';

/** The names the engine uses in `details.field` (repo.changePassphrase), plus the repeat. */
const FIELDS = ['current', 'next', 'repeat'] as const;
type Field = (typeof FIELDS)[number];

const LABELS: Record<Field, string> = {
  current: 'Current passphrase',
  next: 'New passphrase',
  repeat: 'Repeat new passphrase',
};

/** What can be told before asking the engine; only it can tell whether `current` is right. */
function validate(values: Record<Field, string>): FieldErrors<Field> {
  const errors: FieldErrors<Field> = {};
  if (values.current === '') errors.current = 'Enter the passphrase the repository has now';
  if (values.next.length < MIN_PASSPHRASE_LENGTH)
    errors.next = `Use at least ${MIN_PASSPHRASE_LENGTH} characters`;
  else if (values.next === values.current)
    errors.next = 'The new passphrase is the same as the current one: enter a different one';
  else if (values.repeat !== values.next) errors.repeat = 'The passphrases do not match';
  return errors;
}

/**
 * A new passphrase for an encrypted repository (restic's `key passwd`): the engine re-wraps the
 * keys, so it takes seconds whatever the repository's size. The current passphrase is asked even
 * though this console stores it: whoever can open the console should not be able to lock
 * everyone else out of the backups.
 */
export function ChangePassphraseDialog(props: { repository: string; onClose(): void }) {
  const { repository, onClose } = props;
  const changePassphrase = useStore((s) => s.changeRepositoryPassphrase);
  const [values, setValues] = useState<Record<Field, string>>({
    current: '',
    next: '',
    repeat: '',
  });
  const { errors, setErrors, general, busy, submit } = useDialogSubmit(FIELDS);
  const titleId = useId();

  const field = (name: Field) => ({
    label: LABELS[name],
    type: 'password',
    value: values[name],
    onChange: (e: { target: { value: string } }) => {
      setValues((current) => ({ ...current, [name]: e.target.value }));
      setErrors((current) => ({ ...current, [name]: undefined }));
    },
    error: errors[name] !== undefined,
    disabled: busy,
    required: true,
    fullWidth: true,
    slotProps: {
      htmlInput: { autoComplete: name === 'current' ? 'current-password' : 'new-password' },
    },
  });

  return (
    <Dialog
      open
      onClose={() => !busy && onClose()}
      aria-labelledby={titleId}
      maxWidth="sm"
      fullWidth
    >
      <form
        noValidate
        onSubmit={(event) =>
          void submit(
            event,
            () => validate(values),
            async () => {
              await changePassphrase(repository, values.current, values.next);
              onClose();
            },
          )
        }
      >
        <DialogTitle id={titleId}>Change passphrase of {repository}</DialogTitle>
        <DialogContent>
          <DialogContentText sx={{ mb: 2 }}>
            The keys of the repository are re-wrapped under the new passphrase; the data is not
            re-encrypted, so this takes seconds and running jobs continue. This console stores the
            new passphrase for its scheduled backups. Other consoles that attached {repository} must
            attach it again with the new passphrase.
          </DialogContentText>
          <Stack spacing={2}>
            <TextField
              {...field('current')}
              helperText={errors.current ?? 'The passphrase that opens the repository now'}
              autoFocus
            />
            <TextField {...field('next')} helperText={errors.next ?? ' '} />
            <PassphraseStrengthMeter passphrase={values.next} />
            <TextField {...field('repeat')} helperText={errors.repeat ?? ' '} />
            <KeepPassphraseSafe before="you change it" />
            {general !== null && <Alert severity="error">{general}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={busy}>
            {busy ? 'Changing…' : 'Change passphrase'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
