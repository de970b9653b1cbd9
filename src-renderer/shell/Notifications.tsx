import Alert from '@mui/material/Alert';
import Snackbar from '@mui/material/Snackbar';
import { useStore } from '../store';

/**
 * Shows queued notifications one at a time; errors stay until dismissed, the rest fade. Top
 * centre, over the top bar: dialogs keep their actions bottom right, where a toast covered "Save"
 * right after "Backup set … created.".
 */
export function Notifications() {
  const current = useStore((s) => s.notifications[0]);
  const dismiss = useStore((s) => s.dismissNotification);
  if (current === undefined) return null;
  const close = () => dismiss(current.id);
  return (
    <Snackbar
      key={current.id}
      open
      anchorOrigin={{ vertical: 'top', horizontal: 'center' }}
      // Over the top bar (nothing to click there but the theme switch, far right).
      sx={{ top: { xs: 4, sm: 8 } }}
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
