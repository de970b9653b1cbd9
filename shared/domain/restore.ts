import { z } from 'zod';

/** Requests of the restore wizards (issue 6, FIG. 12–14) and of `hyperkeep restore …`. */
export const ImageFormat = z.enum(['raw', 'qcow2', 'vmdk', 'vhd', 'vhdx']);
export type ImageFormat = z.infer<typeof ImageFormat>;

/** FIG. 12: what happens when a restored file already exists at the destination. */
export const ConflictPolicy = z.enum(['overwrite', 'skip', 'rename']);
export type ConflictPolicy = z.infer<typeof ConflictPolicy>;

/** FIG. 12: preserve source paths, remove N levels from the beginning, or keep N from the end. */
export const PathMode = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('preserve') }).strict(),
  z.object({ kind: z.literal('strip'), levels: z.number().int().min(0).max(255) }).strict(),
  z.object({ kind: z.literal('keepLast'), levels: z.number().int().min(1).max(255) }).strict(),
]);
export type PathMode = z.infer<typeof PathMode>;

const pointRef = { vm: z.string().min(1), pointId: z.string().min(1) };
const destPath = z.string().min(1).max(4096);

export const FileRestoreRequest = z
  .object({
    ...pointRef,
    /** browse paths (files or folders) */
    paths: z.array(z.string().min(1).max(4096)).min(1).max(10_000),
    /** this console's host, or back into the VM through the QEMU guest agent */
    destination: z.enum(['local', 'guest']).default('local'),
    /** folder (on the console's host, or inside the guest) */
    dest: destPath,
    /**
     * destination "guest": the running libvirt VM (name or UUID) to write into; by default the
     * VM the restore point was taken of
     */
    guestVm: z.string().min(1).max(200).optional(),
    conflict: ConflictPolicy.default('skip'),
    pathMode: PathMode.default({ kind: 'preserve' }),
    restoreTimestamps: z.boolean().default(true),
    restorePermissions: z.boolean().default(true),
    /** applied where the destination allows it (running as root); reported otherwise */
    restoreOwnership: z.boolean().default(true),
  })
  .strict();
export type FileRestoreRequest = z.infer<typeof FileRestoreRequest>;

/** Whether files can be restored into a VM through its QEMU guest agent right now. */
export const GuestAgentStatus = z.object({
  vm: z.string(),
  vmUuid: z.string(),
  available: z.boolean(),
  /** why not, in words an administrator can act on */
  message: z.string().optional(),
  agentVersion: z.string().optional(),
  /** the guest's OS as the agent names it */
  guestOs: z.string().optional(),
  windows: z.boolean().optional(),
});
export type GuestAgentStatus = z.infer<typeof GuestAgentStatus>;

export const VolumeRestoreRequest = z
  .object({
    ...pointRef,
    volume: z.string().min(1),
    format: ImageFormat.default('raw'),
    dest: destPath,
    overwrite: z.boolean().default(false),
  })
  .strict();
export type VolumeRestoreRequest = z.infer<typeof VolumeRestoreRequest>;

/** FIG. 13B: onto a block device of the console's host; `confirmDevice` must repeat `device`. */
export const VolumeToDeviceRequest = z
  .object({
    ...pointRef,
    volume: z.string().min(1),
    device: z.string().min(1).max(4096),
    confirmDevice: z.string().min(1).max(4096),
  })
  .strict();
export type VolumeToDeviceRequest = z.infer<typeof VolumeToDeviceRequest>;

export const DiskRestoreRequest = z
  .object({
    ...pointRef,
    disk: z.string().min(1),
    format: ImageFormat.default('raw'),
    dest: destPath,
    overwrite: z.boolean().default(false),
  })
  .strict();
export type DiskRestoreRequest = z.infer<typeof DiskRestoreRequest>;

/** FIG. 14B: a virtual disk into a storage pool of a registered hypervisor. */
export const DiskToPoolRequest = z
  .object({
    ...pointRef,
    disk: z.string().min(1),
    hypervisorId: z.string().min(1),
    pool: z.string().min(1),
    volumeName: z.string().min(1).max(255),
    format: z.enum(['qcow2', 'raw']).default('qcow2'),
  })
  .strict();
export type DiskToPoolRequest = z.infer<typeof DiskToPoolRequest>;

/** FIG. 14A: a whole VM to the same or another registered hypervisor. */
export const VmRestoreRequest = z
  .object({
    ...pointRef,
    hypervisorId: z.string().min(1),
    /** new VM name; required unless in place */
    name: z.string().trim().min(1).max(200).optional(),
    /** overwrite the original VM (same name, UUID and MACs); needs `confirmInPlace` */
    inPlace: z.boolean().default(false),
    confirmInPlace: z.boolean().default(false),
    /** storage pool for the disks; default: the pool named "default", else the first active one */
    pool: z.string().min(1).optional(),
    diskFormat: z.enum(['qcow2', 'raw']).default('qcow2'),
    powerOn: z.boolean().default(false),
  })
  .strict();
export type VmRestoreRequest = z.infer<typeof VmRestoreRequest>;

/**
 * A recovery test (patent 001's DR test, Veeam's SureBackup, Xen Orchestra's health check): the
 * point is restored as a new VM without network cards, booted, watched until its QEMU guest
 * agent answers (or, without an agent channel, until it has kept running `bootSeconds`), then
 * removed with its disks, and the job says whether the copy came up.
 */
export const RecoveryTestRequest = z
  .object({
    ...pointRef,
    hypervisorId: z.string().min(1),
    /** storage pool for the copy's disks, as for a VM restore */
    pool: z.string().min(1).optional(),
    /** how long the copy may take to come up */
    bootSeconds: z.number().int().min(5).max(3600).default(180),
  })
  .strict();
export type RecoveryTestRequest = z.infer<typeof RecoveryTestRequest>;

export const StoragePool = z.object({
  name: z.string(),
  type: z.string(),
  path: z.string().optional(),
  capacityBytes: z.number().nonnegative(),
  availableBytes: z.number().nonnegative(),
  active: z.boolean(),
});
export type StoragePool = z.infer<typeof StoragePool>;
