import { useId, useMemo, useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { RepositoryInfo } from '../../../shared/domain/jobs';
import { useStore } from '../../store';
import { KeepPassphraseSafe, PassphraseStrengthMeter } from './PassphraseHelp';
import {
  repositoryErrorsFrom,
  validateRepositoryForm,
  type RepositoryDialogMode,
  type RepositoryField,
  type RepositoryFormErrors,
  type RepositoryFormValues,
} from './repository-form';

/** zstd levels offered when creating a repository; the engine's default is "Fast". */
const COMPRESSION_CHOICES = [
  { level: 1, label: 'Fast (zstd 1): quickest backups' },
  { level: 3, label: 'Balanced (zstd 3): about 10 % smaller, twice the CPU' },
  { level: 9, label: 'High (zstd 9): smallest, slow backups' },
  { level: 0, label: 'Off: for data that is already compressed or encrypted' },
] as const;

const TITLES: Record<RepositoryDialogMode, string> = {
  create: 'Create repository',
  attach: 'Attach existing repository',
};

/**
 * Create a repository in an empty folder, or attach one that already exists (a new console
 * after the old one was lost): its restore points come back.
 */
export function RepositoryDialog(props: {
  mode: RepositoryDialogMode;
  onClose(): void;
  onDone(info: RepositoryInfo): void;
}) {
  const { mode, onClose, onDone } = props;
  const repositories = useStore((s) => s.repositories);
  const takenNames = useMemo(() => repositories.map((r) => r.name), [repositories]);
  const initRepository = useStore((s) => s.initRepository);
  const attachRepository = useStore((s) => s.attachRepository);
  const [values, setValues] = useState<RepositoryFormValues>(() => ({
    name: takenNames.some((n) => n.toLowerCase() === 'default') ? '' : 'default',
    location: '',
    encrypt: true,
    passphrase: '',
    confirm: '',
  }));
  const [compressionLevel, setCompressionLevel] = useState<number>(1);
  const [errors, setErrors] = useState<RepositoryFormErrors>({ fields: {} });
  const [saving, setSaving] = useState(false);
  const titleId = useId();
  const encrypted = mode === 'create' && values.encrypt;

  function change<K extends RepositoryField>(field: K, value: RepositoryFormValues[K]) {
    setValues((current) => ({ ...current, [field]: value }));
    setErrors((current) => ({ fields: { ...current.fields, [field]: undefined } }));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (saving) return;
    const found = validateRepositoryForm(mode, values, takenNames);
    if (Object.values(found.fields).some((message) => message !== undefined)) {
      setErrors(found);
      return;
    }
    setSaving(true);
    setErrors({ fields: {} });
    const name = values.name.trim();
    const location = values.location.trim();
    const passphrase = values.passphrase === '' ? undefined : values.passphrase;
    try {
      const info =
        mode === 'create'
          ? await initRepository({
              name,
              location,
              encrypt: values.encrypt,
              compressionLevel,
              ...(values.encrypt && passphrase !== undefined ? { passphrase } : {}),
            })
          : await attachRepository({
              name,
              location,
              ...(passphrase !== undefined ? { passphrase } : {}),
            });
      onDone(info);
    } catch (err) {
      setErrors(repositoryErrorsFrom(err));
      setSaving(false);
    }
  }

  const field = (name: RepositoryField) => ({
    error: errors.fields[name] !== undefined,
    value: values[name] as string,
    onChange: (e: { target: { value: string } }) => change(name, e.target.value),
    disabled: saving,
    fullWidth: true,
  });

  return (
    <Dialog
      open
      onClose={() => {
        if (!saving) onClose();
      }}
      maxWidth="sm"
      fullWidth
      aria-labelledby={titleId}
    >
      {/* A flex column that may shrink: the content scrolls, title and buttons stay in view. */}
      <Box
        component="form"
        noValidate
        onSubmit={(e) => void submit(e)}
        sx={{ display: 'flex', flexDirection: 'column', minHeight: 0 }}
      >
        <DialogTitle id={titleId}>{TITLES[mode]}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            <TextField
              label="Name"
              {...field('name')}
              helperText={
                errors.fields.name ??
                'How backup sets refer to it; “default” is used unless a subclient names another'
              }
              required
              autoFocus
            />
            <TextField
              label="Folder"
              {...field('location')}
              placeholder="/srv/backups/hyperkeep"
              helperText={
                errors.fields.location ??
                (mode === 'create'
                  ? 'An empty or new folder on the machine where the Hyperkeep engine runs'
                  : 'The folder that holds the repository (it has a “config” file)')
              }
              required
              slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off' } }}
            />
            {mode === 'create' && (
              <TextField
                select
                label="Compression"
                value={compressionLevel}
                onChange={(e) => setCompressionLevel(Number(e.target.value))}
                disabled={saving}
                helperText="Applies to every backup stored in this repository"
                fullWidth
              >
                {COMPRESSION_CHOICES.map((c) => (
                  <MenuItem key={c.level} value={c.level}>
                    {c.label}
                  </MenuItem>
                ))}
              </TextField>
            )}
            {mode === 'create' && (
              <FormControlLabel
                control={
                  <Checkbox
                    checked={values.encrypt}
                    onChange={(e) => change('encrypt', e.target.checked)}
                    disabled={saving}
                  />
                }
                label="Encrypt the repository (recommended)"
              />
            )}
            {(encrypted || mode === 'attach') && (
              <TextField
                label="Passphrase"
                type="password"
                {...field('passphrase')}
                helperText={
                  errors.fields.passphrase ??
                  (mode === 'attach'
                    ? 'Needed if the repository is encrypted'
                    : 'Kept encrypted by the engine so scheduled backups run unattended')
                }
                required={encrypted}
                slotProps={{ htmlInput: { autoComplete: 'new-password' } }}
              />
            )}
            {encrypted && (
              <>
                <PassphraseStrengthMeter passphrase={values.passphrase} />
                <TextField
                  label="Confirm passphrase"
                  type="password"
                  {...field('confirm')}
                  helperText={errors.fields.confirm ?? ' '}
                  required
                  slotProps={{ htmlInput: { autoComplete: 'new-password' } }}
                />
                <KeepPassphraseSafe before="you create the repository" />
              </>
            )}
            {mode === 'create' && !values.encrypt && (
              <Alert severity="info">
                Without encryption, anyone who can read the folder can read the backed-up disks.
              </Alert>
            )}
            {errors.general !== undefined && <Alert severity="error">{errors.general}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={saving}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={saving}>
            {saving ? `${mode === 'create' ? 'Creating' : 'Attaching'}…` : TITLES[mode]}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
