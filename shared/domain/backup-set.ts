import { z } from 'zod';
import { SubclientContent } from './rules';

const name = z.string().trim().min(1, 'A name is required').max(100);
const commandLine = z.string().max(4000);
/** A time of day, 24-hour clock: "20:00" (the backup window's bounds). */
export const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
const TimeOfDay = z
  .string()
  .regex(TIME_OF_DAY, 'Enter a time as HH:MM on the 24-hour clock, e.g. 20:00');

/**
 * What the backup engine obeys for the VMs of a subclient (patent 000 FIG. 15). Encryption is not
 * here: it is a property of the repository, chosen when the repository is created. z.object strips
 * unknown keys, so the `encryption` and `filters.excludePaths` of rows saved by earlier versions
 * drop out on parse.
 */
export const SubclientSettings = z.object({
  description: z.string().max(2000).default(''),
  /**
   * Only 'disk' is accepted (the engine's validation refuses the others): a disk-level backup
   * already restores single files and whole volumes, as every file is cataloged at backup time.
   * 'volume' and 'file' stay in the enum so rows saved by earlier versions still parse.
   */
  copyLevel: z.enum(['disk', 'volume', 'file']).default('disk'),
  /** Disks/VMs read in parallel. */
  dataReaders: z
    .number()
    .int()
    .min(1, 'At least one data reader')
    .max(32, 'At most 32 data readers')
    .default(2),
  /**
   * Most one VM's disks are read at, together, in MiB/s (0: no limit): a backup in business hours
   * leaves the datastore's bandwidth to the running VMs.
   */
  readLimitMiBps: z
    .number()
    .int()
    .min(0, 'The read limit cannot be negative (0 means no limit)')
    .max(100_000, 'At most 100000 MiB/s')
    .default(0),
  /** VMs backed up at once on one hypervisor host, over all jobs (per-host concurrency limit). */
  maxBackupsPerHost: z
    .number()
    .int()
    .min(1, 'At least one backup per host')
    .max(32, 'At most 32 backups per host')
    .default(2),
  /** Keep the hypervisor snapshot/checkpoint after a failed attempt so the next one resumes. */
  keepSnapshotsOnFailure: z.boolean().default(false),
  /**
   * Automatic retry of a scheduled backup: VMs that failed are backed up again within the same
   * job, `attempts` more times at most, `waitSeconds` after the previous attempt ended (a host
   * rebooting, a VM migrating, a full datastore being cleared). A backup started by hand is
   * not retried on its own: its job offers "Retry failed VMs" instead.
   */
  retry: z
    .object({
      attempts: z.number().int().min(0).max(10, 'At most 10 retries').default(2),
      waitSeconds: z.number().int().min(0).max(86_400, 'At most a day').default(300),
    })
    .default({ attempts: 2, waitSeconds: 300 }),
  /** Which engine reads the disks: only 'local' (this engine) exists; others are refused. */
  proxy: z.string().max(255).default('local'),
  filters: z
    .object({
      excludeVms: z.array(z.string().min(1).max(255)).max(500).default([]),
      /** disk targets (vdb) or glob patterns on target or source path (sd*, *.iso) */
      excludeDisks: z.array(z.string().min(1).max(255)).max(100).default([]),
    })
    .default({ excludeVms: [], excludeDisks: [] }),
  storage: z
    .object({ repository: z.string().max(255).default('default') })
    .default({ repository: 'default' }),
  prePost: z
    .object({
      preCommand: commandLine.default(''),
      postCommand: commandLine.default(''),
      timeoutSeconds: z.number().int().min(1).max(86_400).default(600),
      /** run the post command even when the backup failed */
      postOnFailure: z.boolean().default(true),
    })
    .default({ preCommand: '', postCommand: '', timeoutSeconds: 600, postOnFailure: true }),
  schedule: z
    .object({
      enabled: z.boolean().default(false),
      /** cron expressions (5 or 6 fields) */
      full: z.string().max(100).default('0 1 * * 0'),
      incremental: z.string().max(100).default('0 1 * * 1-6'),
      timezone: z.string().max(100).default('UTC'),
    })
    .default({ enabled: false, full: '0 1 * * 0', incremental: '0 1 * * 1-6', timezone: 'UTC' }),
  /**
   * Scheduled recovery tests (patent 001's DR tests): when `cron` fires (in the schedule's time
   * zone), the newest point of every VM of the subclient is restored as an isolated copy, booted,
   * checked and removed (see RecoveryTestRequest), on `hypervisor` (name or id; empty: each VM's
   * own host).
   */
  recoveryTest: z
    .object({
      enabled: z.boolean().default(false),
      cron: z.string().max(100).default('0 6 * * 6'),
      hypervisor: z.string().max(255).default(''),
      bootSeconds: z.number().int().min(5).max(3600).default(180),
    })
    .default({ enabled: false, cron: '0 6 * * 6', hypervisor: '', bootSeconds: 180 }),
  retention: z
    .object({
      keepLast: z.number().int().min(0).max(10_000).default(7),
      keepDaily: z.number().int().min(0).max(10_000).default(14),
      keepWeekly: z.number().int().min(0).max(10_000).default(8),
      keepMonthly: z.number().int().min(0).max(10_000).default(12),
      keepYearly: z.number().int().min(0).max(10_000).default(3),
    })
    .default({ keepLast: 7, keepDaily: 14, keepWeekly: 8, keepMonthly: 12, keepYearly: 3 }),
  activity: z
    .object({
      backupEnabled: z.boolean().default(true),
      restoreEnabled: z.boolean().default(true),
      /**
       * Scheduled backups run only from `start` to `end` (24-hour times in the schedule's time
       * zone; crossing midnight when end comes first): none starts outside, and one still
       * running when the window closes is stopped. Backups started by hand are not held to it.
       */
      window: z
        .object({
          enabled: z.boolean().default(false),
          start: TimeOfDay.default('20:00'),
          end: TimeOfDay.default('06:00'),
        })
        .refine((w) => w.start !== w.end, {
          message: 'The backup window must end at another time than it starts',
          path: ['end'],
        })
        .default({ enabled: false, start: '20:00', end: '06:00' }),
    })
    .default({
      backupEnabled: true,
      restoreEnabled: true,
      window: { enabled: false, start: '20:00', end: '06:00' },
    }),
});
export type SubclientSettings = z.infer<typeof SubclientSettings>;
export type SubclientSettingsInput = z.input<typeof SubclientSettings>;

export const Subclient = z.object({
  id: z.string(),
  backupSetId: z.string(),
  name: z.string(),
  isDefault: z.boolean(),
  /** evaluation order: lower first; the default subclient is always last */
  position: z.number().int(),
  content: SubclientContent,
  settings: SubclientSettings,
  /** next scheduled runs, computed from settings.schedule (ISO times) */
  nextFull: z.string().optional(),
  nextIncremental: z.string().optional(),
  createdAt: z.string(),
});
export type Subclient = z.infer<typeof Subclient>;

export const BackupSet = z.object({
  id: z.string(),
  name: z.string(),
  /** registered hypervisors: one VM manager, or one or more standalone hosts (FIG. 3) */
  hypervisorIds: z.array(z.string()).min(1),
  proxy: z.string(),
  autoDiscovery: z.boolean(),
  /** "Automatically add new VMs that don't qualify for membership in any of the sub-clients" */
  autoAddUnmatched: z.boolean(),
  createdAt: z.string(),
  subclients: z.array(Subclient),
});
export type BackupSet = z.infer<typeof BackupSet>;

export const BackupSetInput = z.object({
  name,
  hypervisorIds: z.array(z.string().min(1)).min(1, 'Choose at least one hypervisor').max(100),
  /** Only 'local' exists (see SubclientSettings.proxy). */
  proxy: z.string().max(255).default('local'),
  autoDiscovery: z.boolean().default(true),
  autoAddUnmatched: z.boolean().default(true),
});
export type BackupSetInput = z.input<typeof BackupSetInput>;

export const BackupSetUpdate = BackupSetInput.partial().extend({ id: z.string().min(1) });
export type BackupSetUpdate = z.input<typeof BackupSetUpdate>;

export const SubclientInput = z.object({
  backupSetId: z.string().min(1),
  name,
  content: SubclientContent.default({ match: 'any', rules: [], exclusions: [] }),
  settings: SubclientSettings.default(SubclientSettings.parse({})),
  /** UUIDs of VMs to assign manually to this subclient */
  manualVms: z.array(z.string().min(1)).max(10_000).default([]),
});
export type SubclientInput = z.input<typeof SubclientInput>;

export const SubclientUpdate = z.object({
  id: z.string().min(1),
  name: name.optional(),
  content: SubclientContent.optional(),
  settings: SubclientSettings.optional(),
  /** move in the evaluation order (0 = first) */
  position: z.number().int().min(0).optional(),
});
export type SubclientUpdate = z.input<typeof SubclientUpdate>;

/** One VM of a backup set and where discovery put it (FIG. 5B table: VM host | VM | subclient). */
export const VmAssignment = z.object({
  vmUuid: z.string(),
  vmName: z.string(),
  hypervisorId: z.string(),
  hypervisorName: z.string(),
  host: z.string(),
  powerState: z.string(),
  subclientId: z.string().nullable(),
  subclientName: z.string().nullable(),
  /** why it is there: "name matches /^web/ (rule 1 of web-servers)", "assigned manually", … */
  reason: z.string(),
  manual: z.boolean(),
  status: z.enum(['new', 'present', 'vanished']),
  firstSeen: z.string(),
  lastSeen: z.string(),
});
export type VmAssignment = z.infer<typeof VmAssignment>;

export const DiscoveryResult = z.object({
  backupSetId: z.string(),
  discoveredAt: z.string(),
  assignments: z.array(VmAssignment),
  /** targets that could not be asked: their VMs keep their last known state, not "vanished" */
  errors: z.array(
    z.object({ hypervisorId: z.string(), hypervisorName: z.string(), message: z.string() }),
  ),
  /** rule problems found while evaluating (e.g. a regex that ran too long) */
  warnings: z.array(z.string()),
});
export type DiscoveryResult = z.infer<typeof DiscoveryResult>;

/** VM credentials (FIG. 6); the password is write-only. */
export const VmCredential = z.object({
  id: z.string(),
  backupSetId: z.string(),
  vmName: z.string(),
  username: z.string(),
  hasPassword: z.boolean(),
});
export type VmCredential = z.infer<typeof VmCredential>;

export const VmCredentialInput = z.object({
  backupSetId: z.string().min(1),
  vmName: z.string().trim().min(1, 'A VM name is required').max(255),
  username: z.string().trim().min(1, 'A user name is required').max(255),
  password: z.string().max(4096),
});
export const VmCredentialUpdate = z.object({
  id: z.string().min(1),
  vmName: z.string().trim().min(1).max(255).optional(),
  username: z.string().trim().min(1).max(255).optional(),
  /** undefined keeps the stored password */
  password: z.string().max(4096).optional(),
});
