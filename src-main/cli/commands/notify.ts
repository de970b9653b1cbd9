import type { Command } from 'commander';
import { NotifyOn, type NotificationSettings } from '../../../shared/domain/notifications';
import type { Run } from '../context';
import { printJson, printTable } from '../output';
import { readPasswordFile } from '../password-file';
import { EXIT, usageError } from '../usage';

function show(settings: NotificationSettings): void {
  const last = settings.lastDelivery;
  printTable(
    ['SETTING', 'VALUE'],
    [
      ['Notify', settings.on],
      ['Webhook', settings.webhook ?? '(none)'],
      [
        'Last message',
        last
          ? `${last.at} ${last.jobId ? `job ${last.jobId}` : 'test'}: ${last.ok ? 'delivered' : 'failed'} (${last.message})`
          : '(none yet)',
      ],
    ],
  );
}

interface SetOptions {
  on: string;
  webhookUrlFile?: string;
  removeWebhook?: boolean;
}

/** `hyperkeep notify`: the console's Settings → Job notifications, for headless engines. */
export function registerNotifyCommands(program: Command, run: Run): void {
  const notify = program
    .command('notify')
    .description('job notifications: post a message to a webhook when jobs end');

  notify
    .command('show')
    .description('when messages are sent, to which webhook (its origin only), and the last one')
    .action(() =>
      run(async ({ client, json }) => {
        const settings = await client.call('notifications.get', {});
        if (json) printJson(settings);
        else show(settings);
      }),
    );

  notify
    .command('set')
    .description('choose when to notify, and where (the address is a secret: file or environment)')
    .requiredOption('--on <when>', 'off | failures | problems (failures and warnings) | all')
    .option(
      '--webhook-url-file <file>',
      'read the webhook address from this file (or set HYPERKEEP_WEBHOOK_URL)',
    )
    .option('--remove-webhook', 'forget the saved webhook (then --on must be off)')
    .action((opts: SetOptions) =>
      run(async ({ client, json }) => {
        const on = NotifyOn.safeParse(opts.on);
        if (!on.success)
          throw usageError(`--on must be off, failures, problems or all, not "${opts.on}".`);
        const url = opts.webhookUrlFile
          ? readPasswordFile(opts.webhookUrlFile).trim()
          : process.env.HYPERKEEP_WEBHOOK_URL?.trim() || undefined;
        if (opts.removeWebhook && url)
          throw usageError('--remove-webhook and a webhook address exclude each other.');
        const settings = await client.call('notifications.update', {
          on: on.data,
          ...(opts.removeWebhook ? { webhookUrl: null } : url ? { webhookUrl: url } : {}),
        });
        if (json) printJson(settings);
        else show(settings);
      }),
    );

  notify
    .command('test')
    .description('post a test message to the saved webhook now')
    .action(() =>
      run(async ({ client, json }) => {
        const result = await client.call('notifications.test', {});
        if (json) printJson(result);
        else
          console.log(
            result.ok ? `Delivered (${result.message}).` : `Not delivered: ${result.message}`,
          );
        return result.ok ? EXIT.ok : EXIT.failed;
      }),
    );
}
