import { useId, useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import TextField from '@mui/material/TextField';
import type { RestorePoint } from '../../../shared/domain/jobs';
import { describeError } from '../../api/api-error';
import { useStore } from '../../store';
import { ConfirmDialog } from '../../shell/ConfirmDialog';
import { formatLocalTime } from '../jobs/job-text';
import { protectionText } from './RestorePointRow';

/** The engine's limit on a protection's reason (points.protect). */
const REASON_MAX = 500;

/**
 * Protects one restore point, with an optional reason shown with it: its subclient's retention
 * then keeps it (after backups and in prune) and deleting it is refused until the protection is
 * lifted. The engine's refusal is shown in place.
 */
export function ProtectPointDialog(props: { point: RestorePoint; onClose(): void }) {
  const { point, onClose } = props;
  const protectPoint = useStore((s) => s.protectPoint);
  const notify = useStore((s) => s.notify);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  const textId = useId();
  const time = formatLocalTime(point.time);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await protectPoint(point, reason.trim());
      notify('success', `The restore point of ${time} of ${point.vmName} is protected.`);
      onClose();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <Dialog
      open
      onClose={() => {
        if (!busy) onClose();
      }}
      maxWidth="sm"
      fullWidth
      aria-labelledby={titleId}
      aria-describedby={textId}
    >
      <Box component="form" noValidate onSubmit={(e) => void submit(e)}>
        <DialogTitle id={titleId}>Protect restore point of {point.vmName}</DialogTitle>
        <DialogContent>
          <DialogContentText id={textId}>
            The restore point of {time} ({point.type}) will be kept whatever the retention of its
            subclient says, and cannot be deleted until the protection is lifted.
          </DialogContentText>
          <TextField
            label="Reason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. before the upgrade to 12.4"
            helperText={`Optional, shown with the point (${reason.length}/${REASON_MAX} characters)`}
            disabled={busy}
            autoFocus
            fullWidth
            margin="normal"
            slotProps={{ htmlInput: { maxLength: REASON_MAX } }}
          />
          {error !== null && (
            <Alert severity="error" sx={{ mt: 1 }}>
              {error}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={busy}>
            {busy ? 'Protecting…' : 'Protect'}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}

/** Asks before lifting a point's protection: retention may then remove it, and it can be deleted. */
export function LiftProtectionDialog(props: { point: RestorePoint; onClose(): void }) {
  const { point, onClose } = props;
  const unprotectPoint = useStore((s) => s.unprotectPoint);
  const notify = useStore((s) => s.notify);
  const time = formatLocalTime(point.time);
  return (
    <ConfirmDialog
      title={`Unprotect restore point of ${point.vmName}?`}
      text={`The restore point of ${time} (${point.type}) is then kept only if the retention of its subclient keeps it: otherwise it is removed at the next backup or prune. It can also be deleted by hand again.`}
      details={
        point.protection === undefined ? undefined : (
          <DialogContentText sx={{ mt: 1.5 }}>{protectionText(point.protection)}</DialogContentText>
        )
      }
      confirmLabel="Lift protection"
      busyLabel="Lifting…"
      onConfirm={async () => {
        await unprotectPoint(point);
        notify(
          'success',
          `The restore point of ${time} of ${point.vmName} is no longer protected.`,
        );
      }}
      onClose={onClose}
    />
  );
}
