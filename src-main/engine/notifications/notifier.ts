import { hostname } from 'node:os';
import type { Job } from '../../../shared/domain/jobs';
import type {
  NotificationDelivery,
  NotificationSettings,
  NotificationUpdate,
  NotifyOn,
} from '../../../shared/domain/notifications';
import { HyperkeepError } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import type { EngineEvents } from '../engine-events';
import type { SecretBox } from '../secrets/secret-box';
import { jobMessage, problemMessage, testMessage, wantsNotice } from './job-message';

/** A webhook that does not answer within this is reported as failed; jobs never wait for it. */
const DELIVERY_TIMEOUT_MS = 10_000;
const SETTINGS_KEY = 'notifications';

interface Stored {
  on: NotifyOn;
  /** the webhook address, encrypted by the engine's secret box */
  webhookSecret: string | null;
  lastDelivery: NotificationDelivery | null;
}

const NONE: Stored = { on: 'off', webhookSecret: null, lastDelivery: null };

/** Only the origin of an address is shown: chat webhooks carry their token in the path. */
export function maskWebhook(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname === '/' && !parsed.search ? parsed.origin : `${parsed.origin}/…`;
}

/**
 * Announces ended jobs to a webhook, as Veeam and Xen Orchestra mail their job reports: an
 * unattended schedule that fails should not wait for someone to open the console. Runs in the
 * engine that ran the job (serve, the app, or the CLI's own); delivery never affects the job.
 */
export class Notifier {
  private readonly sent = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: CatalogDb,
    private readonly secrets: SecretBox,
    events: EngineEvents,
    private readonly host = hostname(),
  ) {
    this.unsubscribe = events.onAny((event, payload) => {
      if (event !== 'job.changed') return;
      const { job } = payload as { job: Job };
      if (!job.finishedAt || this.sent.has(job.id)) return;
      const stored = this.read();
      if (stored.webhookSecret === null || !wantsNotice(stored.on, job)) return;
      this.sent.add(job.id);
      this.track(this.deliver(stored.webhookSecret, jobMessage(job, this.host), job.id));
    });
  }

  settings(): NotificationSettings {
    const stored = this.read();
    return {
      on: stored.on,
      webhook: stored.webhookSecret === null ? null : maskWebhook(this.url(stored.webhookSecret)),
      lastDelivery: stored.lastDelivery,
    };
  }

  update(update: NotificationUpdate): NotificationSettings {
    const stored = this.read();
    const webhookSecret =
      update.webhookUrl === undefined
        ? stored.webhookSecret
        : update.webhookUrl === null
          ? null
          : this.secrets.encrypt(update.webhookUrl.trim());
    if (update.on !== 'off' && webhookSecret === null)
      throw new HyperkeepError(
        'INVALID_INPUT',
        'Enter the webhook address the messages go to, or choose to be notified never.',
        { field: 'webhookUrl' },
      );
    this.write({
      on: update.on,
      webhookSecret,
      lastDelivery: webhookSecret === stored.webhookSecret ? stored.lastDelivery : null,
    });
    return this.settings();
  }

  /**
   * A failure that has no job to show it: a scheduled backup or verify that could not even
   * start (its repository gone, its subclient deleted). Sent unless notifications are off.
   */
  problem(what: string, why: string): void {
    const stored = this.read();
    if (stored.webhookSecret === null || stored.on === 'off') return;
    this.track(this.deliver(stored.webhookSecret, problemMessage(this.host, what, why)));
  }

  /** Posts a test message to the saved webhook now, and says how it went. */
  async test(): Promise<NotificationDelivery> {
    const stored = this.read();
    if (stored.webhookSecret === null)
      return { at: new Date().toISOString(), ok: false, message: 'No webhook address is saved.' };
    await this.deliver(stored.webhookSecret, testMessage(this.host));
    return this.read().lastDelivery!;
  }

  /** Resolves once the messages being sent now are delivered or failed (each has a timeout). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  /** Stops listening, and waits for what is in flight: a CLI about to exit still sends it. */
  async close(): Promise<void> {
    this.unsubscribe();
    await this.idle();
  }

  private track(delivery: Promise<void>): void {
    this.inflight.add(delivery);
    void delivery.finally(() => this.inflight.delete(delivery));
  }

  private async deliver(secret: string, body: object, jobId?: string): Promise<void> {
    let result: NotificationDelivery;
    const at = new Date().toISOString();
    try {
      const response = await fetch(this.url(secret), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'hyperkeep' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        redirect: 'error',
      });
      await response.body?.cancel();
      result = { at, ok: response.ok, message: `HTTP ${response.status}` };
    } catch (err) {
      // fetch says "fetch failed"; what went wrong (ECONNREFUSED, a certificate…) is its cause.
      const cause = (err as { cause?: unknown }).cause ?? err;
      const why =
        err instanceof Error && err.name === 'TimeoutError'
          ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`
          : cause instanceof Error
            ? cause.message
            : String(cause);
      result = { at, ok: false, message: `Not delivered: ${why}` };
    }
    if (jobId) result.jobId = jobId;
    const stored = this.read();
    // The address may have changed while this was sent: its outcome no longer says anything.
    if (stored.webhookSecret === secret) this.write({ ...stored, lastDelivery: result });
  }

  private url(secret: string): string {
    return this.secrets.decrypt(secret);
  }

  private read(): Stored {
    const row = this.db
      .prepare('SELECT value FROM app_settings WHERE key = ?')
      .get(SETTINGS_KEY) as { value: string } | undefined;
    return row ? { ...NONE, ...(JSON.parse(row.value) as Partial<Stored>) } : NONE;
  }

  private write(stored: Stored): void {
    this.db
      .prepare(
        'INSERT INTO app_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(SETTINGS_KEY, JSON.stringify(stored));
  }
}
