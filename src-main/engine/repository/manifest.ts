import { z } from 'zod';
import { HyperkeepError } from '../../../shared/errors';
import { FormatError } from './binary';
import {
  MAIN_THREAD_MODULES,
  SealError,
  compressAndSeal,
  openSealed,
  unpackPayloadSync,
  type SealParams,
} from './sealing';

export const Consistency = z.enum([
  'crash-consistent',
  'filesystem-consistent',
  'application-consistent',
]);
export type Consistency = z.infer<typeof Consistency>;

/** The VM as it was configured when the point was taken; uuid + name identify it for retention. */
export const PointVm = z.looseObject({ uuid: z.string(), name: z.string() });
export type PointVm = z.infer<typeof PointVm>;

export const PointDisk = z.object({
  name: z.string().min(1),
  sizeBytes: z.number().int().nonnegative(),
  /** Id of the DiskMap blob: the disk's chunk list and allocation map. */
  map: z.string().regex(/^[0-9a-f]{64}$/),
  /** Bytes the source reported allocated. */
  allocatedBytes: z.number().nonnegative(),
  /** Bytes backed by stored chunks (allocated minus all-zero ranges). */
  dataBytes: z.number().nonnegative(),
  chunkCount: z.number().int().nonnegative(),
});
export type PointDisk = z.infer<typeof PointDisk>;

/**
 * A restore point's manifest, `snapshots/<id>`: sealed JSON (AAD "snapshot:<id>"). Its
 * appearance is the commit point of a backup: it is written last, after every pack and index
 * file it depends on is durable.
 */
export const PointManifest = z.object({
  format: z.literal('hyperkeep-point'),
  version: z.literal(1),
  id: z.string(),
  /** When the backup started (the moment the point represents) and when it was committed. */
  startedAt: z.string(),
  committedAt: z.string(),
  hostname: z.string(),
  parent: z.string().nullable(),
  consistency: Consistency,
  vm: PointVm,
  /** Free-form data of the backup pipeline: domain XML, checkpoint names, job id, … */
  meta: z.record(z.string(), z.unknown()),
  disks: z.array(PointDisk),
  stats: z.object({
    newChunks: z.number().int().nonnegative(),
    newRawBytes: z.number().nonnegative(),
    newStoredBytes: z.number().nonnegative(),
    packs: z.number().int().nonnegative(),
  }),
});
export type PointManifest = z.infer<typeof PointManifest>;

const POINT_ID = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

/** Point ids sort by time and stay unique across hosts: 20250102T030405Z-1a2b3c4d. */
export function newPointId(at: Date, random: string): string {
  return `${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${random}`;
}

export function isPointId(id: string): boolean {
  return POINT_ID.test(id);
}

export function encodeManifest(m: PointManifest, seal: SealParams): Uint8Array {
  return compressAndSeal(
    MAIN_THREAD_MODULES,
    { ...seal, level: 3 },
    Buffer.from(`snapshot:${m.id}`),
    Buffer.from(JSON.stringify(m)),
  );
}

export function decodeManifest(
  sealed: Uint8Array,
  id: string,
  seal: SealParams,
  location: string,
): PointManifest {
  try {
    const plain = unpackPayloadSync(
      openSealed(seal, Buffer.from(`snapshot:${id}`), sealed),
      256 * 1024 * 1024,
    );
    const m = PointManifest.parse(JSON.parse(Buffer.from(plain).toString('utf8')));
    if (m.id !== id) throw new FormatError(`it describes point ${m.id}`);
    return m;
  } catch (err) {
    if (
      err instanceof SealError ||
      err instanceof FormatError ||
      err instanceof SyntaxError ||
      err instanceof z.ZodError
    ) {
      throw new HyperkeepError(
        'INTERNAL',
        `The manifest of restore point ${id} in the repository at ${location} is damaged (${err.message})`,
        { reason: 'CORRUPT', key: `snapshots/${id}`, point: id },
      );
    }
    throw err;
  }
}
