import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import { passphraseStrength } from './passphrase-strength';

/**
 * What the dialogs that set a repository passphrase (create, change) show around the new one:
 * how hard it is to guess, and why losing it loses the backups.
 */
export function PassphraseStrengthMeter({ passphrase }: { passphrase: string }) {
  const strength = passphraseStrength(passphrase);
  return (
    <Box aria-live="polite">
      <LinearProgress
        variant="determinate"
        value={strength.score * 25}
        color={strength.color}
        aria-label="Passphrase strength"
        sx={{ height: 6, borderRadius: 3 }}
      />
      <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 0.5 }}>
        {strength.label === '' ? strength.hint : `${strength.label}: ${strength.hint}`}
      </Typography>
    </Box>
  );
}

/** `before`: the step the passphrase must be stored before, e.g. "you create the repository". */
export function KeepPassphraseSafe({ before }: { before: string }) {
  return (
    <Alert severity="warning">
      <AlertTitle>Keep this passphrase safe</AlertTitle>
      Everything in the repository is encrypted with it. If it is lost, the backups cannot be
      restored — by you, by Hyperkeep, or by anyone. Store it in your password manager before{' '}
      {before}.
    </Alert>
  );
}
