import type { Command } from 'commander';
import {
  SubclientSettings,
  type Subclient,
  type SubclientSettingsInput,
} from '../../../shared/domain/backup-set';
import type { SubclientContent } from '../../../shared/domain/rules';
import type { Run } from '../context';
import { usageError } from '../usage';
import { printJson, printTable } from '../output';
import { formatRule, parseRule, RULE_SYNTAX_HELP } from '../rule-syntax';
import { findBackupSet, findSubclient, findVms } from './lookup';
import { printSubclient } from './subclient-show';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`"${value}" is not a whole number`);
  return n;
};

interface SubclientOptions {
  backupset: string;
  rule?: string[];
  exclude?: string[];
  match?: 'all' | 'any';
  clearRules?: boolean;
  vm?: string[];
  level?: 'disk' | 'volume' | 'file';
  readers?: number;
  readLimit?: number;
  keepSnapshots?: boolean;
  description?: string;
  excludeVm?: string[];
  excludeDisk?: string[];
  repository?: string;
  pre?: string;
  post?: string;
  scriptTimeout?: number;
  schedule?: boolean;
  full?: string;
  incremental?: string;
  timezone?: string;
  retries?: number;
  retryWait?: number;
  recoveryTest?: boolean;
  recoveryTestCron?: string;
  recoveryTestHost?: string;
  recoveryTestSeconds?: number;
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  backups?: boolean;
  /** 'HH:MM-HH:MM', or false for --no-window */
  window?: string | false;
  restores?: boolean;
  rename?: string;
  position?: number;
}

function withSettingsOptions(command: Command): Command {
  return command
    .requiredOption('--backupset <name>', 'backup set')
    .option('--rule <rule>', `membership rule (repeat): ${RULE_SYNTAX_HELP}`, collect)
    .option('--exclude <rule>', 'exclusion rule, same syntax (repeat)', collect)
    .option('--match <all|any>', 'a VM must match all rules, or any (default any)')
    .option('--vm <name>', 'assign this VM by hand (repeat)', collect)
    .option(
      '--level <disk>',
      'copy level: disk (its backups also restore single files and whole volumes)',
    )
    .option('--readers <n>', 'number of data readers (parallel streams)', int)
    .option(
      '--read-limit <MiB/s>',
      "most each VM's disks are read at, together, in MiB/s (0 = no limit)",
      int,
    )
    .option(
      '--keep-snapshots',
      'keep snapshots between failed attempts (disk-level restartability)',
    )
    .option('--no-keep-snapshots', 'remove snapshots after a failed attempt')
    .option(
      '--retries <n>',
      'automatic retry: back up VMs that failed in a scheduled job again, up to N times (0 = never)',
      int,
    )
    .option('--retry-wait <seconds>', 'automatic retry: wait between attempts', int)
    .option('--recovery-test', 'scheduled recovery tests of the newest point of each VM')
    .option('--no-recovery-test', 'no scheduled recovery tests')
    .option('--recovery-test-cron <cron>', 'when to run them, cron syntax (schedule time zone)')
    .option(
      '--recovery-test-host <hypervisor>',
      "libvirt host to boot the copies on (default: each VM's own)",
    )
    .option('--recovery-test-seconds <n>', 'how long each copy may take to come up', int)
    .option('--description <text>', 'description')
    .option('--exclude-vm <name|glob>', 'filter: never back up this VM (repeat)', collect)
    .option(
      '--exclude-disk <target|glob>',
      'filter: skip this disk, e.g. vdb or *.iso (repeat)',
      collect,
    )
    .option('--repository <name>', 'target repository')
    .option('--pre <command>', 'pre-process command')
    .option('--post <command>', 'post-process command')
    .option('--script-timeout <seconds>', 'timeout of pre/post commands', int)
    .option('--schedule', 'enable the schedule')
    .option('--no-schedule', 'disable the schedule')
    .option('--full <cron>', 'full backup schedule, cron syntax')
    .option('--incremental <cron>', 'incremental backup schedule, cron syntax')
    .option('--timezone <iana>', 'time zone of the schedule, e.g. Europe/Berlin')
    .option('--keep-last <n>', 'retention: keep the last N points', int)
    .option('--keep-daily <n>', 'retention', int)
    .option('--keep-weekly <n>', 'retention', int)
    .option('--keep-monthly <n>', 'retention', int)
    .option('--keep-yearly <n>', 'retention', int)
    .option('--no-backups', 'activity control: disable backups')
    .option('--backups', 'activity control: enable backups')
    .option('--no-restores', 'activity control: disable restores')
    .option('--restores', 'activity control: enable restores')
    .option(
      '--window <start-end>',
      "backup window: scheduled backups only from START to END, e.g. 20:00-06:00 (the schedule's time zone); one still running at END is stopped",
    )
    .option('--no-window', 'scheduled backups at any hour');
}

function mergeSettings(base: SubclientSettings, o: SubclientOptions): SubclientSettingsInput {
  const pick = <T>(value: T | undefined, fallback: T): T =>
    value === undefined ? fallback : value;
  return {
    ...base,
    description: pick(o.description, base.description),
    copyLevel: pick(o.level, base.copyLevel),
    dataReaders: pick(o.readers, base.dataReaders),
    readLimitMiBps: pick(o.readLimit, base.readLimitMiBps),
    keepSnapshotsOnFailure: pick(o.keepSnapshots, base.keepSnapshotsOnFailure),
    retry: {
      attempts: pick(o.retries, base.retry.attempts),
      waitSeconds: pick(o.retryWait, base.retry.waitSeconds),
    },
    recoveryTest: {
      enabled: pick(o.recoveryTest, base.recoveryTest.enabled),
      cron: pick(o.recoveryTestCron, base.recoveryTest.cron),
      hypervisor: pick(o.recoveryTestHost, base.recoveryTest.hypervisor),
      bootSeconds: pick(o.recoveryTestSeconds, base.recoveryTest.bootSeconds),
    },
    filters: {
      excludeVms: pick(o.excludeVm, base.filters.excludeVms),
      excludeDisks: pick(o.excludeDisk, base.filters.excludeDisks),
    },
    storage: { repository: pick(o.repository, base.storage.repository) },
    prePost: {
      ...base.prePost,
      preCommand: pick(o.pre, base.prePost.preCommand),
      postCommand: pick(o.post, base.prePost.postCommand),
      timeoutSeconds: pick(o.scriptTimeout, base.prePost.timeoutSeconds),
    },
    schedule: {
      enabled: pick(o.schedule, base.schedule.enabled),
      full: pick(o.full, base.schedule.full),
      incremental: pick(o.incremental, base.schedule.incremental),
      timezone: pick(o.timezone, base.schedule.timezone),
    },
    retention: {
      keepLast: pick(o.keepLast, base.retention.keepLast),
      keepDaily: pick(o.keepDaily, base.retention.keepDaily),
      keepWeekly: pick(o.keepWeekly, base.retention.keepWeekly),
      keepMonthly: pick(o.keepMonthly, base.retention.keepMonthly),
      keepYearly: pick(o.keepYearly, base.retention.keepYearly),
    },
    activity: {
      backupEnabled: pick(o.backups, base.activity.backupEnabled),
      restoreEnabled: pick(o.restores, base.activity.restoreEnabled),
      window: mergeWindow(base.activity.window, o.window),
    },
  };
}

/** --window 20:00-06:00 turns the window on with those times; --no-window turns it off. */
function mergeWindow(
  base: SubclientSettings['activity']['window'],
  option: string | false | undefined,
): SubclientSettings['activity']['window'] {
  if (option === undefined) return base;
  if (option === false) return { ...base, enabled: false };
  const match = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(option.trim());
  if (!match)
    throw usageError(`--window takes START-END as HH:MM-HH:MM, e.g. 20:00-06:00 (got "${option}")`);
  return { enabled: true, start: match[1]!, end: match[2]! };
}

function mergeContent(base: SubclientContent, o: SubclientOptions): SubclientContent {
  return {
    match: o.match ?? base.match,
    rules: o.clearRules
      ? []
      : o.rule
        ? (o.rule.map(parseRule) as SubclientContent['rules'])
        : base.rules,
    exclusions: o.exclude
      ? (o.exclude.map(parseRule) as SubclientContent['exclusions'])
      : base.exclusions,
  };
}

function describe(s: Subclient) {
  return {
    ...s,
    rulesText: s.content.rules.map(formatRule),
    exclusionsText: s.content.exclusions.map(formatRule),
  };
}

export function registerSubclientCommands(program: Command, run: Run): void {
  const subclient = program
    .command('subclient')
    .description('subclients: rules that pick VMs, and how they are backed up');

  withSettingsOptions(
    subclient
      .command('create <name>')
      .description('create a subclient; it is evaluated after the existing ones'),
  ).action((name: string, o: SubclientOptions) =>
    run(async ({ client, json }) => {
      const set = await findBackupSet(client, o.backupset);
      const manualVms = o.vm ? (await findVms(client, set, o.vm)).map((v) => v.vmUuid) : [];
      const created = await client.call('subclient.create', {
        backupSetId: set.id,
        name,
        content: mergeContent({ match: 'any', rules: [], exclusions: [] }, o),
        settings: mergeSettings(SubclientSettings.parse({}), o),
        manualVms,
      });
      if (json) printJson(describe(created));
      else
        console.log(
          `Created subclient "${created.name}" in "${set.name}"${created.content.rules.length ? ` with rules ${created.content.rules.map(formatRule).join(', ')}` : ''}.`,
        );
    }),
  );

  withSettingsOptions(
    subclient.command('edit <name>').description('change a subclient (only the options given)'),
  )
    .option('--rename <name>', 'new name')
    .option('--position <n>', 'evaluation order, 1 = first', int)
    .option('--clear-rules', 'remove all membership rules')
    .action((name: string, o: SubclientOptions) =>
      run(async ({ client, json }) => {
        const { set, subclient: current } = await findSubclient(client, o.backupset, name);
        const updated = await client.call('subclient.update', {
          id: current.id,
          ...(o.rename ? { name: o.rename } : {}),
          ...(o.position !== undefined ? { position: o.position - 1 } : {}),
          content: mergeContent(current.content, o),
          settings: mergeSettings(current.settings, o),
        });
        if (o.vm)
          await client.call('discovery.assign', {
            backupSetId: set.id,
            vmUuids: (await findVms(client, set, o.vm)).map((v) => v.vmUuid),
            subclientId: updated.id,
          });
        if (json) printJson(describe(updated));
        else console.log(`Updated subclient "${updated.name}".`);
      }),
    );

  subclient
    .command('list')
    .description('subclients of a backup set, in evaluation order')
    .requiredOption('--backupset <name>', 'backup set')
    .action((o: { backupset: string }) =>
      run(async ({ client, json }) => {
        const set = await findBackupSet(client, o.backupset);
        if (json) return printJson(set.subclients.map(describe));
        printTable(
          ['#', 'NAME', 'MATCH', 'RULES', 'LEVEL', 'READERS', 'NEXT FULL', 'NEXT INCREMENTAL'],
          set.subclients.map((s) => [
            s.isDefault ? 'default' : s.position + 1,
            s.name,
            s.content.match,
            s.content.rules.map(formatRule).join(' ') || '-',
            s.settings.copyLevel,
            s.settings.dataReaders,
            s.nextFull ?? '-',
            s.nextIncremental ?? '-',
          ]),
        );
      }),
    );

  subclient
    .command('show <name>')
    .description('all settings of a subclient')
    .requiredOption('--backupset <name>', 'backup set')
    .action((name: string, o: { backupset: string }) =>
      run(async ({ client, json }) => {
        const { set, subclient: s } = await findSubclient(client, o.backupset, name);
        if (json) printJson(describe(s));
        else printSubclient(set.name, s);
      }),
    );

  subclient
    .command('delete <name>')
    .description('delete a subclient (its VMs go back to the rules at the next discovery)')
    .requiredOption('--backupset <name>', 'backup set')
    .action((name: string, o: { backupset: string }) =>
      run(async ({ client, json }) => {
        const { subclient: s } = await findSubclient(client, o.backupset, name);
        await client.call('subclient.delete', { id: s.id });
        if (json) printJson({ deleted: s.name, id: s.id });
        else console.log(`Deleted subclient "${s.name}".`);
      }),
    );
}
