import type { Subclient } from '../../../shared/domain/backup-set';
import { formatRule } from '../rule-syntax';

const list = (items: string[]) => (items.length ? items.join(', ') : '-');
const onOff = (value: boolean) => (value ? 'enabled' : 'disabled');

function scheduleLines(s: Subclient): string[] {
  const { schedule } = s.settings;
  const crons = `full "${schedule.full}", incremental "${schedule.incremental}" (${schedule.timezone})`;
  if (!schedule.enabled) return [`off (when on: ${crons})`];
  return [crons, `next full ${s.nextFull ?? '-'}, next incremental ${s.nextIncremental ?? '-'}`];
}

/** `subclient show` for a person: one labelled line per setting, as `backupset show` reads. */
export function printSubclient(backupSetName: string, s: Subclient): void {
  const { settings } = s;
  const { filters, prePost, retention } = settings;
  const rows: [string, string | string[]][] = [
    ['Rules', `${list(s.content.rules.map(formatRule))} (a VM matches ${s.content.match})`],
    ['Exclusions', list(s.content.exclusions.map(formatRule))],
    [
      'Copy',
      `${settings.copyLevel} level, ${settings.dataReaders} data readers, at most ${settings.maxBackupsPerHost} backups per host`,
    ],
    [
      'Read limit',
      settings.readLimitMiBps === 0
        ? 'none'
        : `${settings.readLimitMiBps} MiB/s per VM (its disks together)`,
    ],
    ['Snapshots', settings.keepSnapshotsOnFailure ? 'kept after a failed attempt' : 'removed'],
    [
      'Retry',
      settings.retry.attempts === 0
        ? 'never: a scheduled job reports failed VMs at once'
        : `failed VMs of a scheduled job, up to ${settings.retry.attempts} times, ${settings.retry.waitSeconds} s apart`,
    ],
    ['Filters', `VMs ${list(filters.excludeVms)}; disks ${list(filters.excludeDisks)}`],
    ['Repository', settings.storage.repository],
    [
      'Pre/post',
      `pre ${prePost.preCommand ? `"${prePost.preCommand}"` : '-'}, post ${prePost.postCommand ? `"${prePost.postCommand}"` : '-'}, timeout ${prePost.timeoutSeconds} s`,
    ],
    ['Schedule', scheduleLines(s)],
    [
      'Recovery test',
      settings.recoveryTest.enabled
        ? `"${settings.recoveryTest.cron}" (${settings.schedule.timezone}) on ${settings.recoveryTest.hypervisor || "each VM's own host"}, up to ${settings.recoveryTest.bootSeconds} s to come up`
        : 'off',
    ],
    [
      'Retention',
      `keep last ${retention.keepLast}, daily ${retention.keepDaily}, weekly ${retention.keepWeekly}, monthly ${retention.keepMonthly}, yearly ${retention.keepYearly}`,
    ],
    [
      'Activity',
      `backups ${onOff(settings.activity.backupEnabled)}, restores ${onOff(settings.activity.restoreEnabled)}`,
    ],
    [
      'Backup window',
      settings.activity.window.enabled
        ? `scheduled backups only ${settings.activity.window.start}–${settings.activity.window.end} (${settings.schedule.timezone}), stopped when it closes`
        : 'none: scheduled backups at any hour',
    ],
  ];
  if (settings.description) rows.unshift(['Description', settings.description]);
  const order = s.isDefault ? 'the default, evaluated last' : `evaluated #${s.position + 1}`;
  console.log(`Subclient ${s.name} of backup set ${backupSetName} (${order})`);
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  for (const [label, value] of rows) {
    const [first, ...more] = Array.isArray(value) ? value : [value];
    console.log(`  ${`${label}:`.padEnd(width)}  ${first}`);
    for (const line of more) console.log(`  ${' '.repeat(width)}  ${line}`);
  }
}
