import { useId, useState, type ReactNode } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import { describeError } from '../api/api-error';

/**
 * Asks before a destructive action (remove, delete, cancel a job…), says what it leaves behind,
 * and shows the engine's refusal in place if it fails. The one confirmation dialog of the console.
 */
export function ConfirmDialog(props: {
  title: ReactNode;
  text: ReactNode;
  /** More than one sentence can say (a list, a second paragraph): read out with `text`. */
  details?: ReactNode;
  confirmLabel: string;
  /** shown while the action runs; default "<confirmLabel>…" */
  busyLabel?: string;
  /** the button that backs out; default "Cancel" */
  cancelLabel?: string;
  onConfirm(): Promise<void>;
  onClose(): void;
  /** Why the action cannot be done now (e.g. the engine refused it): shown, and confirm disabled. */
  blockedReason?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  const textId = useId();
  const detailsId = useId();

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <Dialog
      open
      onClose={() => {
        if (!busy) props.onClose();
      }}
      aria-labelledby={titleId}
      aria-describedby={props.details === undefined ? textId : `${textId} ${detailsId}`}
    >
      <DialogTitle id={titleId}>{props.title}</DialogTitle>
      <DialogContent>
        <DialogContentText id={textId}>{props.text}</DialogContentText>
        {props.details !== undefined && <Box id={detailsId}>{props.details}</Box>}
        {(props.blockedReason ?? error) !== null && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {props.blockedReason ?? error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy} autoFocus>
          {props.cancelLabel ?? 'Cancel'}
        </Button>
        <Button
          color="error"
          variant="contained"
          onClick={() => void confirm()}
          disabled={busy || props.blockedReason !== undefined}
        >
          {busy ? (props.busyLabel ?? `${props.confirmLabel}…`) : props.confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
