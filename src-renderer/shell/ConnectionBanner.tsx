import { useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import { useStore } from '../store';

function secondsUntil(epochMs: number | undefined, now: number): number {
  return epochMs === undefined ? 0 : Math.max(0, Math.ceil((epochMs - now) / 1000));
}

/**
 * Says when the live connection to the engine is down, so a list that stops updating is never
 * mistaken for a quiet inventory. Hidden while connected and inside Electron.
 */
export function ConnectionBanner() {
  const connection = useStore((s) => s.connection);
  const [now, setNow] = useState(() => Date.now());
  const reconnecting = connection.state === 'reconnecting';

  useEffect(() => {
    if (!reconnecting) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [reconnecting]);

  if (!reconnecting) return null;
  const seconds = secondsUntil(connection.nextAttemptAt, now);
  const when = seconds > 0 ? `reconnecting in ${seconds} s…` : 'reconnecting…';
  return (
    <Alert severity="warning" variant="filled" role="status" sx={{ borderRadius: 0 }}>
      {connection.everConnected
        ? `Connection to the Hyperkeep engine lost — ${when} Lists may be out of date until it is back.`
        : `Cannot reach the Hyperkeep engine's live updates — ${when} Is \`hyperkeep serve\` running?`}
    </Alert>
  );
}
