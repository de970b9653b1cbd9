import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import type { RepositoryInfo } from '../../../../shared/domain/jobs';
import type { LoadStatus } from '../../../store/types';

/**
 * What a repository's encryption is made of. The repository format knows one cipher
 * (chacha20-poly1305) or none, and wraps its keys under a passphrase with argon2id
 * (src-main/engine/repository/config.ts, keys.ts).
 */
const CIPHER = 'ChaCha20-Poly1305';
const KEY_DERIVATION = 'Argon2id, from the repository’s passphrase';

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <>
      <Typography component="dt" variant="body2" color="text.secondary">
        {label}
      </Typography>
      <Typography component="dd" variant="body2" sx={{ m: 0, fontWeight: 600 }}>
        {value}
      </Typography>
    </>
  );
}

function facts(name: string, repository: RepositoryInfo | undefined, status: LoadStatus) {
  if (name === '') return [{ label: 'Repository', value: 'none chosen (see the Storage tab)' }];
  if (repository === undefined) {
    const why =
      status === 'ready' ? 'not registered' : status === 'error' ? 'could not be read' : 'reading…';
    return [{ label: 'Repository', value: `${name} (${why})` }];
  }
  return [
    { label: 'Repository', value: repository.name },
    { label: 'Encryption', value: repository.encrypted ? 'Encrypted' : 'Not encrypted' },
    { label: 'Cipher', value: repository.encrypted ? CIPHER : '—' },
    { label: 'Key derivation', value: repository.encrypted ? KEY_DERIVATION : '—' },
  ];
}

/**
 * FIG. 15 Encryption, read-only: encryption is a property of the repository the subclient writes
 * to, decided when that repository is created, so this tab states it instead of offering toggles
 * the engine could not honour.
 */
export function EncryptionTab(props: {
  /** the subclient's target repository (settings.storage.repository) */
  repositoryName: string;
  repositories: readonly RepositoryInfo[];
  status: LoadStatus;
}) {
  const repository = props.repositories.find((r) => r.name === props.repositoryName);
  return (
    <Stack spacing={2}>
      <Typography variant="body2" color="text.secondary">
        Encryption belongs to the repository and is decided when the repository is created (Storage
        page); this subclient’s backups are encrypted exactly when its target repository is.
      </Typography>
      <Box
        component="dl"
        aria-label="Encryption of the target repository"
        sx={{
          display: 'grid',
          gridTemplateColumns: 'max-content 1fr',
          columnGap: 3,
          rowGap: 1,
          m: 0,
        }}
      >
        {facts(props.repositoryName, repository, props.status).map((fact) => (
          <Fact key={fact.label} label={fact.label} value={fact.value} />
        ))}
      </Box>
    </Stack>
  );
}
