import { z } from 'zod';

/**
 * Which ended jobs are announced: none, failed ones (failed or partly failed), those plus the
 * ones that succeeded with warnings, or every job.
 */
export const NotifyOn = z.enum(['off', 'failures', 'problems', 'all']);
export type NotifyOn = z.infer<typeof NotifyOn>;

/** The outcome of the last message sent (a job's, or a test). */
export const NotificationDelivery = z.object({
  at: z.string(),
  ok: z.boolean(),
  /** "HTTP 200", or why it could not be delivered */
  message: z.string(),
  /** the job it announced; absent for a test */
  jobId: z.string().optional(),
});
export type NotificationDelivery = z.infer<typeof NotificationDelivery>;

/**
 * The notification settings as a console sees them: the webhook's address is a secret (chat
 * webhooks carry their token in the path), so only its origin is ever shown.
 */
export const NotificationSettings = z.object({
  on: NotifyOn,
  /** "https://hooks.example.com/…", or null when no webhook is set */
  webhook: z.string().nullable(),
  lastDelivery: NotificationDelivery.nullable(),
});
export type NotificationSettings = z.infer<typeof NotificationSettings>;

/** A webhook address: http or https, at most 2048 characters. */
export const WebhookUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'Enter an http:// or https:// address, such as https://hooks.example.com/services/…');

export const NotificationUpdate = z.object({
  on: NotifyOn,
  /** a new address; null removes it; absent keeps the saved one */
  webhookUrl: WebhookUrl.nullable().optional(),
});
export type NotificationUpdate = z.input<typeof NotificationUpdate>;

export const NotificationTestResult = NotificationDelivery;
