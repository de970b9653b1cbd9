import { z } from 'zod';
import { ErrorCode, ErrorData } from '../errors';
import { GuestOs } from './files';

/** `delete`: chosen restore points removed by hand; `prune`: what retention no longer keeps. */
export const JobKind = z.enum(['backup', 'restore', 'verify', 'prune', 'delete']);
export type JobKind = z.infer<typeof JobKind>;
export const JobStatus = z.enum([
  'queued',
  'running',
  'succeeded',
  'partial',
  'failed',
  'cancelled',
]);
export type JobStatus = z.infer<typeof JobStatus>;

/** One row of a job: a VM of a backup, a disk of a restore. */
export const JobTask = z.object({
  key: z.string(),
  label: z.string(),
  status: JobStatus,
  phase: z.string(),
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative(),
  /** bytes per second, smoothed */
  rate: z.number().nonnegative(),
  /** seconds left, when it can be estimated */
  etaSeconds: z.number().nonnegative().optional(),
  message: z.string().optional(),
  /** the error code of a failed task */
  errorCode: ErrorCode.optional(),
});
export type JobTask = z.infer<typeof JobTask>;

export const Job = z.object({
  id: z.string(),
  kind: JobKind,
  title: z.string(),
  status: JobStatus,
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  phase: z.string(),
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative(),
  rate: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative().optional(),
  tasks: z.array(JobTask),
  warnings: z.array(z.string()),
  error: ErrorData.optional(),
  /** what the job produced: restore point ids, a verify report… */
  result: z.record(z.string(), z.unknown()).optional(),
});
export type Job = z.infer<typeof Job>;

/**
 * What a backup job produced (its `result`): the points, and the data behind them for the
 * average rate (over the bytes read) and the dedup and compression effect.
 */
export const BackupJobResult = z.object({
  points: z.array(z.string()),
  /** bytes read from the hypervisors, over all VMs */
  readBytes: z.number().nonnegative(),
  /** bytes of chunks the repository did not hold yet, before compression */
  newBytes: z.number().nonnegative(),
  /** what those new chunks take in the repository, after compression */
  storedBytes: z.number().nonnegative(),
  /** prune jobs started to apply the subclient's retention after this backup */
  retentionJobs: z.array(z.string()).optional(),
  /** how long the job waited between automatic retries (not part of its copying time) */
  retryWaitSeconds: z.number().int().nonnegative().optional(),
});
export type BackupJobResult = z.infer<typeof BackupJobResult>;

/** One restore point a prune kept or removed, and why. */
export const PrunePointOutcome = z.object({
  id: z.string(),
  vmUuid: z.string(),
  vmName: z.string(),
  /** ISO 8601: the moment the point represents */
  time: z.string(),
  /** why the retention keeps it ("last, daily 2026-11-23"), or why it goes */
  reason: z.string(),
});
export type PrunePointOutcome = z.infer<typeof PrunePointOutcome>;

/**
 * What a prune job did (its `result`). A dry run fills `wouldRemove`, a real prune `removed` and
 * the space it got back. VMs whose retention no subclient on this console sets are left alone.
 */
export const PruneJobResult = z.object({
  dryRun: z.boolean(),
  removed: z.array(PrunePointOutcome).optional(),
  wouldRemove: z.array(PrunePointOutcome).optional(),
  kept: z.array(PrunePointOutcome),
  skippedVms: z.array(
    z.object({ vmUuid: z.string(), vmName: z.string(), points: z.number().int().nonnegative() }),
  ),
  freedBytes: z.number().nonnegative().optional(),
  deletedPacks: z.number().int().nonnegative().optional(),
  repackedPacks: z.number().int().nonnegative().optional(),
});
export type PruneJobResult = z.infer<typeof PruneJobResult>;

export const RestorePoint = z.object({
  id: z.string(),
  repository: z.string(),
  vmUuid: z.string(),
  vmName: z.string(),
  /** ISO 8601: the moment the point represents */
  time: z.string(),
  type: z.enum(['full', 'incremental']),
  consistency: z.string(),
  /** sum of the disks' sizes */
  logicalBytes: z.number().nonnegative(),
  /** bytes new to the repository with this point (after dedup and compression) */
  storedBytes: z.number().nonnegative(),
  disks: z.array(z.object({ name: z.string(), sizeBytes: z.number(), dataBytes: z.number() })),
  jobId: z.string().optional(),
  fallbackReason: z.string().optional(),
  /** detected from the point's file systems when it was cataloged */
  guestOs: GuestOs.optional(),
  /** protected: retention keeps it and it cannot be deleted until the protection is lifted */
  protection: z.object({ reason: z.string(), since: z.string() }).optional(),
});
export type RestorePoint = z.infer<typeof RestorePoint>;

export const RepositoryInfo = z.object({
  name: z.string(),
  location: z.string(),
  repositoryId: z.string(),
  encrypted: z.boolean(),
  /** zstd level of new chunks, 0 = stored uncompressed. */
  compressionLevel: z.number().int(),
  points: z.number().int(),
  provisionedBytes: z.number(),
  logicalBytes: z.number(),
  uniqueBytes: z.number(),
  storedBytes: z.number(),
  dedupRatio: z.number(),
  compressionRatio: z.number(),
});
export type RepositoryInfo = z.infer<typeof RepositoryInfo>;
