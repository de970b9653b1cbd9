import Alert from '@mui/material/Alert';
import Snackbar from '@mui/material/Snackbar';
import { useStore } from '../store';

/** Shows queued notifications one at a time; errors stay until dismissed, the rest fade. */
export function Notifications() {
  const current = useStore((s) => s.notifications[0]);
  const dismiss = useStore((s) => s.dismissNotification);
  if (current === undefined) return null;
  const close = () => dismiss(current.id);
  return (
    <Snackbar
      key={current.id}
      open
      anchorOrigin={{ vertical: 'bottom', horizontal: 'right' }}
      autoHideDuration={current.severity === 'error' ? null : 5000}
      onClose={(_event, reason) => {
        if (reason !== 'clickaway') close();
      }}
    >
      <Alert severity={current.severity} variant="filled" onClose={close} sx={{ maxWidth: 560 }}>
        {current.message}
      </Alert>
    </Snackbar>
  );
}
