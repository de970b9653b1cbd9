import { useEffect, useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import MenuItem from '@mui/material/MenuItem';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type {
  NotificationDelivery,
  NotificationSettings,
  NotifyOn,
} from '../../../shared/domain/notifications';
import { describeError, invoke, toApiError } from '../../api/client';
import { formatLocalTime } from '../jobs/job-text';

const WHEN: { value: NotifyOn; label: string }[] = [
  { value: 'off', label: 'Never' },
  { value: 'failures', label: 'When a job fails' },
  { value: 'problems', label: 'When a job fails or has warnings' },
  { value: 'all', label: 'When any job ends' },
];

function DeliveryLine({ delivery }: { delivery: NotificationDelivery }) {
  const what = delivery.jobId ? `job ${delivery.jobId}` : 'test message';
  return (
    <Alert severity={delivery.ok ? 'success' : 'error'} aria-label="Last notification">
      Last message ({what}), {formatLocalTime(delivery.at)}:{' '}
      {delivery.ok ? `delivered (${delivery.message})` : delivery.message}
    </Alert>
  );
}

/**
 * Job notifications: a webhook posted when jobs end, so an unattended schedule that fails is
 * noticed without opening the console. The saved address never comes back from the engine
 * (chat webhooks carry their token in it): only its origin is shown.
 */
export function NotificationsCard() {
  const [saved, setSaved] = useState<NotificationSettings | null>(null);
  const [on, setOn] = useState<NotifyOn>('off');
  const [url, setUrl] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const adopt = (settings: NotificationSettings) => {
    setSaved(settings);
    setOn(settings.on);
    setUrl('');
  };

  useEffect(() => {
    invoke('notifications.get', {}).then(adopt, (err: unknown) =>
      setProblem(describeError(toApiError(err))),
    );
  }, []);

  async function run(action: () => Promise<NotificationSettings>) {
    setBusy(true);
    setProblem(null);
    try {
      adopt(await action());
    } catch (err) {
      const apiError = toApiError(err);
      if (apiError.details?.['field'] === 'webhookUrl') {
        // The schema's own words ("Enter an http:// or https:// address…"), next to the field.
        const issues = apiError.details['issues'] as { message: string }[] | undefined;
        setFieldError(issues?.[0]?.message ?? apiError.message);
      } else setProblem(describeError(apiError));
    } finally {
      setBusy(false);
    }
  }

  function save(event: FormEvent) {
    event.preventDefault();
    const typed = url.trim();
    if (on !== 'off' && typed === '' && !saved?.webhook) {
      setFieldError('Enter the webhook address the messages go to');
      return;
    }
    void run(() =>
      invoke('notifications.update', { on, ...(typed === '' ? {} : { webhookUrl: typed }) }),
    );
  }

  const test = () =>
    run(async () => {
      await invoke('notifications.test', {});
      return invoke('notifications.get', {});
    });

  return (
    <Card>
      <CardContent component="form" onSubmit={save} aria-label="Job notifications" noValidate>
        <Typography variant="subtitle1" component="h2" sx={{ fontWeight: 600 }}>
          Job notifications
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          A message is posted to a webhook when jobs end: Slack, Mattermost, Rocket.Chat and the
          like show its text; scripts get the job as JSON. Sent by the engine that ran the job.
        </Typography>
        {problem !== null && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {problem}
          </Alert>
        )}
        {saved === null ? (
          problem === null && <Skeleton height={120} />
        ) : (
          <Stack spacing={2}>
            <TextField
              select
              label="Notify"
              value={on}
              onChange={(e) => setOn(e.target.value as NotifyOn)}
              disabled={busy}
              sx={{ maxWidth: 360 }}
            >
              {WHEN.map((w) => (
                <MenuItem key={w.value} value={w.value}>
                  {w.label}
                </MenuItem>
              ))}
            </TextField>
            <TextField
              label="Webhook address"
              value={url}
              onChange={(e) => {
                setUrl(e.target.value);
                setFieldError(null);
              }}
              placeholder={saved.webhook ?? 'https://hooks.example.com/services/…'}
              error={fieldError !== null}
              helperText={
                fieldError ??
                (saved.webhook
                  ? `Saved: ${saved.webhook} (kept encrypted, never shown in full). Type another to replace it.`
                  : 'http:// or https://; kept encrypted by the engine')
              }
              disabled={busy}
              autoComplete="off"
              slotProps={{ htmlInput: { spellCheck: false } }}
            />
            <Stack direction="row" spacing={1}>
              <Button type="submit" variant="contained" disabled={busy}>
                Save
              </Button>
              <Button onClick={() => void test()} disabled={busy || !saved.webhook}>
                Send test
              </Button>
              {saved.webhook && (
                <Button
                  color="error"
                  disabled={busy}
                  onClick={() =>
                    void run(() => invoke('notifications.update', { on: 'off', webhookUrl: null }))
                  }
                >
                  Remove webhook
                </Button>
              )}
            </Stack>
            {saved.lastDelivery && <DeliveryLine delivery={saved.lastDelivery} />}
          </Stack>
        )}
      </CardContent>
    </Card>
  );
}
