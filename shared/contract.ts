import { z } from 'zod';
import {
  ConnectionTestResult,
  Hypervisor,
  HypervisorInput,
  HypervisorUpdate,
} from './domain/hypervisor';
import { VirtualMachine } from './domain/vm';
import {
  BackupSet,
  BackupSetInput,
  BackupSetUpdate,
  DiscoveryResult,
  Subclient,
  SubclientInput,
  SubclientSettings,
  SubclientUpdate,
  VmCredential,
  VmCredentialInput,
  VmCredentialUpdate,
} from './domain/backup-set';
import { Job, JobKind, RepositoryInfo, RestorePoint } from './domain/jobs';
import { FileDiff, FileListing, FileSearchHit, FileVersion, PointVolume } from './domain/files';
import {
  DiskRestoreRequest,
  DiskToPoolRequest,
  FileRestoreRequest,
  GuestAgentStatus,
  RecoveryTestRequest,
  StoragePool,
  VmRestoreRequest,
  VolumeRestoreRequest,
  VolumeToDeviceRequest,
} from './domain/restore';
import { SubclientContent } from './domain/rules';
import { VerifySchedule, VerifyScheduleView } from './domain/verify-schedule';
import {
  NotificationSettings,
  NotificationTestResult,
  NotificationUpdate,
} from './domain/notifications';
import { ErrorData, type Result } from './errors';

/**
 * The one contract between the console and the engine. Every channel maps a request schema to a
 * response schema; the preload exposes exactly these channels, the HTTP server serves exactly
 * these, and both validate every payload against the schemas below.
 */
const empty = z.object({}).strict();

export const AppInfo = z.object({
  version: z.string(),
  home: z.string(),
  /** Where the restore dialogs suggest putting restored files and images (created on use). */
  restoreFolder: z.string(),
  mode: z.enum(['electron', 'serve', 'cli']),
  catalogSchemaVersion: z.number().int(),
  nodeVersion: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const VmListResult = z.object({
  vms: z.array(VirtualMachine),
  /** Hypervisors that could not be asked, with the reason: the list is partial, and says so. */
  errors: z.array(
    z.object({ hypervisorId: z.string(), hypervisorName: z.string(), error: ErrorData }),
  ),
});
export type VmListResult = z.infer<typeof VmListResult>;

const byId = z.object({ id: z.string().min(1) }).strict();
const bySet = z.object({ backupSetId: z.string().min(1) }).strict();

export const RulePreview = z.object({
  matches: z.array(
    z.object({
      vmUuid: z.string(),
      vmName: z.string(),
      host: z.string(),
      hypervisorName: z.string(),
      reason: z.string(),
    }),
  ),
  /** VMs evaluated */
  total: z.number().int(),
  errors: DiscoveryResult.shape.errors,
  warnings: z.array(z.string()),
});
export type RulePreview = z.infer<typeof RulePreview>;

/** One VM's restore points at a glance: how many, and the newest (for "Last backup"). */
export const VmPointSummary = z.object({
  vmUuid: z.string(),
  vmName: z.string(),
  points: z.number().int().nonnegative(),
  /** ISO 8601 time of the newest point */
  newestTime: z.string(),
});
export type VmPointSummary = z.infer<typeof VmPointSummary>;

/** What a subclient's retention would keep of its VMs' points, counted as prune decides. */
export const RetentionPreview = z.object({
  vms: z.array(
    z.object({
      vmUuid: z.string(),
      vmName: z.string(),
      total: z.number().int().nonnegative(),
      kept: z.number().int().nonnegative(),
      /** of the kept: protected points, which retention keeps whatever its rules say */
      protected: z.number().int().nonnegative(),
      removed: z.number().int().nonnegative(),
    }),
  ),
  total: z.number().int().nonnegative(),
  kept: z.number().int().nonnegative(),
  protected: z.number().int().nonnegative(),
  removed: z.number().int().nonnegative(),
});
export type RetentionPreview = z.infer<typeof RetentionPreview>;

export const contract = {
  'app.info': { request: empty, response: AppInfo },
  /** Job notifications: which ended jobs are posted to a webhook (its address never comes back). */
  'notifications.get': { request: empty, response: NotificationSettings },
  'notifications.update': { request: NotificationUpdate.strict(), response: NotificationSettings },
  /** Posts a test message to the saved webhook and says how it went. */
  'notifications.test': { request: empty, response: NotificationTestResult },
  'hypervisor.list': { request: empty, response: z.array(Hypervisor) },
  'hypervisor.add': { request: HypervisorInput.strict(), response: Hypervisor },
  'hypervisor.update': { request: HypervisorUpdate.strict(), response: Hypervisor },
  'hypervisor.remove': { request: z.object({ id: z.string().min(1) }).strict(), response: empty },
  /** Test either a registered hypervisor (id) or the values typed in the dialog before saving. */
  'hypervisor.test': {
    request: z.union([z.object({ id: z.string().min(1) }).strict(), HypervisorInput.strict()]),
    response: ConnectionTestResult,
  },
  'vm.list': {
    request: z.object({ hypervisorId: z.string().optional() }).strict(),
    response: VmListResult,
  },
  'backupSet.list': { request: empty, response: z.array(BackupSet) },
  'backupSet.get': { request: byId, response: BackupSet },
  'backupSet.create': { request: BackupSetInput.strict(), response: BackupSet },
  'backupSet.update': { request: BackupSetUpdate.strict(), response: BackupSet },
  'backupSet.delete': { request: byId, response: empty },
  'subclient.create': { request: SubclientInput.strict(), response: Subclient },
  'subclient.update': { request: SubclientUpdate.strict(), response: Subclient },
  'subclient.delete': { request: byId, response: empty },
  /** FIG. 3: ask the set's hypervisors now and place every VM. */
  'discovery.run': { request: bySet, response: DiscoveryResult },
  /** The last discovery's outcome, without asking the hypervisors. */
  'discovery.assignments': { request: bySet, response: DiscoveryResult },
  /** FIG. 5B: move the selected VMs to a subclient (null: back to the rules). */
  'discovery.assign': {
    request: z
      .object({
        backupSetId: z.string().min(1),
        vmUuids: z.array(z.string().min(1)).min(1).max(10_000),
        subclientId: z.string().min(1).nullable(),
      })
      .strict(),
    response: DiscoveryResult,
  },
  /** FIG. 4 Configure: which VMs these rules match right now. */
  'rules.preview': {
    request: z.object({ backupSetId: z.string().min(1), content: SubclientContent }).strict(),
    response: RulePreview,
  },
  'schedule.preview': {
    request: z
      .object({
        expression: z.string().max(100),
        timezone: z.string().max(100),
        count: z.number().int().min(1).max(20).default(5),
      })
      .strict(),
    response: z.array(z.string()),
  },
  /** Retention tab: the unsaved policy applied to the points of the subclient's VMs (read-only). */
  'retention.preview': {
    request: z
      .object({
        backupSetId: z.string().min(1),
        subclientId: z.string().min(1),
        retention: SubclientSettings.shape.retention.unwrap(),
        timezone: z.string().max(100),
      })
      .strict(),
    response: RetentionPreview,
  },
  'credential.list': { request: bySet, response: z.array(VmCredential) },
  'credential.add': { request: VmCredentialInput.strict(), response: VmCredential },
  'credential.update': { request: VmCredentialUpdate.strict(), response: VmCredential },
  'credential.remove': { request: byId, response: empty },
  /** Create a repository (the passphrase is write-only: kept encrypted for unattended backups). */
  'repo.init': {
    request: z
      .object({
        name: z.string().trim().min(1).max(100).default('default'),
        location: z.string().min(1).max(4096),
        encrypt: z.boolean().default(true),
        passphrase: z.string().max(4096).optional(),
        /** zstd level, 0 = off; the engine's default (fast) when absent. */
        compressionLevel: z.number().int().min(0).max(19).optional(),
      })
      .strict(),
    response: RepositoryInfo,
  },
  /** Attach an existing repository (a new console after the old one was lost): its points come back. */
  'repo.attach': {
    request: z
      .object({
        name: z.string().trim().min(1).max(100).default('default'),
        location: z.string().min(1).max(4096),
        passphrase: z.string().max(4096).optional(),
      })
      .strict(),
    response: RepositoryInfo,
  },
  'repo.list': { request: empty, response: z.array(RepositoryInfo) },
  /**
   * Re-wrap an encrypted repository's keys under a new passphrase. The current one must be given
   * (the console's stored copy is not proof); the stored copy becomes the new one. Neither
   * passphrase is ever sent back.
   */
  'repo.changePassphrase': {
    request: z
      .object({
        name: z.string().trim().min(1).max(100),
        current: z.string().min(1).max(4096),
        next: z.string().min(1).max(4096),
      })
      .strict(),
    response: RepositoryInfo,
  },
  'repo.info': {
    request: z.object({ name: z.string().default('default') }).strict(),
    response: RepositoryInfo,
  },
  /**
   * Unregister a repository from this home; its folder and every point in it stay on disk, so it
   * can be attached again. Refused while a subclient targets it or a job runs.
   */
  'repo.remove': {
    request: z.object({ name: z.string().trim().min(1).max(100) }).strict(),
    response: z.object({
      name: z.string(),
      location: z.string(),
      /** restore points no longer listed here (still in the repository) */
      points: z.number().int().nonnegative(),
    }),
  },
  'repo.verify': {
    request: z
      .object({ name: z.string().default('default'), readData: z.boolean().default(false) })
      .strict(),
    response: Job,
  },
  /** When the repository verifies itself unattended, with the next runs. */
  'repo.verifySchedule': {
    request: z.object({ name: z.string().trim().min(1).max(100) }).strict(),
    response: VerifyScheduleView,
  },
  'repo.setVerifySchedule': {
    request: z
      .object({ name: z.string().trim().min(1).max(100), schedule: VerifySchedule.strict() })
      .strict(),
    response: VerifyScheduleView,
  },
  'repo.prune': {
    request: z
      .object({ name: z.string().default('default'), dryRun: z.boolean().default(false) })
      .strict(),
    response: Job,
  },
  /**
   * Delete chosen restore points of one repository by hand (a decommissioned VM, a point taken
   * by mistake, a VM no subclient's retention covers), then free the space no other point uses.
   * Runs as a job like prune, with the same result; a dry run only says what would go.
   */
  'points.delete': {
    request: z
      .object({
        repository: z.string().trim().min(1).max(100).default('default'),
        ids: z.array(z.string().trim().min(1).max(200)).min(1).max(10_000),
        dryRun: z.boolean().default(false),
      })
      .strict(),
    response: Job,
  },
  /**
   * Protect a restore point: retention (after backups, and prune) keeps it whatever its rules
   * say, and deleting it is refused until the protection is lifted. Stored in the repository.
   */
  'points.protect': {
    request: z
      .object({
        repository: z.string().trim().min(1).max(100).default('default'),
        id: z.string().trim().min(1).max(200),
        reason: z.string().trim().max(500).default(''),
      })
      .strict(),
    response: RestorePoint,
  },
  'points.unprotect': {
    request: z
      .object({
        repository: z.string().trim().min(1).max(100).default('default'),
        id: z.string().trim().min(1).max(200),
      })
      .strict(),
    response: RestorePoint,
  },
  /** "Back up now" on a subclient or on one VM. */
  'backup.start': {
    request: z.union([
      z
        .object({
          backupSetId: z.string().min(1),
          subclientId: z.string().min(1),
          full: z.boolean().default(false),
        })
        .strict(),
      z.object({ vm: z.string().min(1), full: z.boolean().default(false) }).strict(),
    ]),
    response: Job,
  },
  /** Newest first; `kind` and `since` (ISO 8601, by start) narrow it, as the dashboard's history. */
  'job.list': {
    request: z
      .object({
        limit: z.number().int().min(1).max(1000).default(100),
        kind: JobKind.optional(),
        since: z.iso.datetime({ offset: true }).optional(),
        /** jobs created before this instant (with `since`: one day's jobs) */
        until: z.iso.datetime({ offset: true }).optional(),
      })
      .strict(),
    response: z.array(Job),
  },
  'job.get': { request: byId, response: Job },
  'job.cancel': { request: byId, response: Job },
  /** "Retry failed VMs": a new backup job over the VMs an ended backup job did not back up. */
  'job.retry': { request: byId, response: Job },
  'job.log': { request: byId, response: z.object({ text: z.string() }) },
  /** Restore points, newest first; `vm` is a name or UUID. */
  'points.list': {
    request: z.object({ vm: z.string().optional() }).strict(),
    response: z.array(RestorePoint),
  },
  /** Per VM with points: the count and the newest time, from the catalog (no repository read). */
  'points.summary': { request: empty, response: z.array(VmPointSummary) },
  /** The volumes of a point, with their file systems, mount points and index state. */
  'points.volumes': {
    request: z.object({ vm: z.string().min(1), pointId: z.string().min(1) }).strict(),
    response: z.array(PointVolume),
  },
  /**
   * FIG. 11/12: one folder of a point. Without pointId, `at` (ISO 8601 with offset) picks the
   * newest point at or before that moment; without both, the latest point.
   */
  'files.list': {
    request: z
      .object({
        vm: z.string().min(1),
        pointId: z.string().min(1).optional(),
        at: z.string().min(1).optional(),
        path: z.string().max(4096).default('/'),
        /** A page of a big folder: entries [offset, offset + limit) in name order, with `total`. */
        offset: z.number().int().nonnegative().optional(),
        limit: z.number().int().positive().max(100_000).optional(),
      })
      .strict(),
    response: FileListing,
  },
  /** Name search (glob: * and ?, case-insensitive) in one point, the latest, or all points. */
  'files.search': {
    request: z
      .object({
        vm: z.string().min(1).optional(),
        pattern: z.string().min(1).max(255),
        pointId: z.string().min(1).optional(),
        allPoints: z.boolean().default(false),
        /** With allPoints: only the points at or before this moment (ISO 8601). */
        before: z.string().min(1).optional(),
        limit: z.number().int().min(1).max(10_000).default(500),
      })
      .strict(),
    response: z.object({ hits: z.array(FileSearchHit), truncated: z.boolean() }),
  },
  /** The versions of one file across the VM's points, newest first. */
  'files.versions': {
    request: z.object({ vm: z.string().min(1), path: z.string().min(1).max(4096) }).strict(),
    response: z.array(FileVersion),
  },
  /** What changed between two points (below `path`). */
  'files.diff': {
    request: z
      .object({
        vm: z.string().min(1),
        fromPointId: z.string().min(1),
        toPointId: z.string().min(1),
        path: z.string().max(4096).default('/'),
        limit: z.number().int().min(1).max(100_000).default(5000),
      })
      .strict(),
    response: FileDiff,
  },
  /** A virtual disk of a restore point as an image file on the console's host (FIG. 14B). */
  'restore.disk': { request: DiskRestoreRequest, response: Job },
  'restore.diskToPool': { request: DiskToPoolRequest, response: Job },
  'restore.files': { request: FileRestoreRequest, response: Job },
  /** FIG. 12 destination computer "the VM itself": is its QEMU guest agent answering? */
  'vm.guestAgentStatus': {
    request: z.object({ vm: z.string().min(1).max(200) }).strict(),
    response: GuestAgentStatus,
  },
  'restore.volume': { request: VolumeRestoreRequest, response: Job },
  'restore.volumeToDevice': { request: VolumeToDeviceRequest, response: Job },
  'restore.vm': { request: VmRestoreRequest, response: Job },
  /** Restores the point as an isolated copy, boots it, checks it came up, and removes it. */
  'restore.test': { request: RecoveryTestRequest, response: Job },
  /** Storage pools of a registered hypervisor, for the disk and VM restore destinations. */
  'hypervisor.pools': {
    request: z.object({ hypervisorId: z.string().min(1) }).strict(),
    response: z.array(StoragePool),
  },
} as const;

export type Contract = typeof contract;
export type Channel = keyof Contract;
/** What a client sends (defaults may be left out). */
export type RequestOf<C extends Channel> = z.input<Contract[C]['request']>;
/** What a handler receives: the request after its schema filled in the defaults. */
export type ParsedRequestOf<C extends Channel> = z.output<Contract[C]['request']>;
export type ResponseOf<C extends Channel> = z.infer<Contract[C]['response']>;
export const channels = Object.keys(contract) as Channel[];

export function isChannel(name: string): name is Channel {
  return Object.prototype.hasOwnProperty.call(contract, name);
}

/** Events the engine pushes to every console (main → renderer, or over the WebSocket). */
export const events = {
  'inventory.changed': z.object({ hypervisorId: z.string().optional() }),
  'hypervisors.changed': z.object({}),
  'backupSets.changed': z.object({ backupSetId: z.string().optional() }),
  /** a job started, ended or changed state */
  'job.changed': z.object({ job: Job }),
  /** live progress of a running job (a few times a second at most) */
  'job.progress': z.object({ job: Job }),
  'points.changed': z.object({ vmUuid: z.string().optional() }),
  'repositories.changed': z.object({}),
} as const;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;
export const eventNames = Object.keys(events) as EventName[];

/** The API the preload puts on `window.hyperkeep`: one function per channel, plus `on`. */
export type HyperkeepApi = {
  [C in Channel]: (request: RequestOf<C>) => Promise<Result<ResponseOf<C>>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
};
