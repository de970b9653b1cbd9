import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import {
  open,
  mkdir,
  readdir,
  mkdtemp,
  rm,
  stat,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../harness/exec';
import { LocalDirectoryBackend } from '../../../src-main/engine/repository/backends/local-directory';
import type { RandomAccessReader } from '../../../src-main/engine/io/random-access';
import { Repository, type InitOptions } from '../../../src-main/engine/repository/repository';
import type { DiskWriter } from '../../../src-main/engine/repository/disk-writer';
import type { PointWriter } from '../../../src-main/engine/repository/point-writer';

/** argon2id at its cheapest: tests open repositories dozens of times. */
export const TEST_KDF = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
export const PASSPHRASE = 'correct horse battery staple';
export const TEST_VM = { uuid: '6f1c1e0e-3c1a-4d7e-9a51-000000000001', name: 'web-01' };

export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `hyperkeep-${prefix}-`));
}

export async function initRepo(
  dir: string,
  options: Partial<InitOptions> = {},
): Promise<Repository> {
  return Repository.init(new LocalDirectoryBackend(dir), {
    encrypt: true,
    passphrase: PASSPHRASE,
    kdf: TEST_KDF,
    ...options,
  });
}

export async function openRepo(dir: string, passphrase = PASSPHRASE): Promise<Repository> {
  return Repository.open(new LocalDirectoryBackend(dir), { passphrase });
}

/**
 * A 64 MiB raw disk with an ext4 file system made by mkfs.ext4 from ~36 MB of /usr/share/doc
 * (hard-linked into a staging directory, so nothing is copied): text, gzip files, free space.
 */
export async function makeExt4Image(
  dir: string,
  sizeMiB = 64,
  contentBytes = 36e6,
): Promise<string> {
  const staging = join(dir, 'staging');
  await mkdir(staging, { recursive: true });
  const { stdout } = await run('du', [
    '-sb',
    '--',
    ...(await readdir('/usr/share/doc')).map((d) => join('/usr/share/doc', d)),
  ]);
  let total = 0;
  for (const line of stdout.trim().split('\n')) {
    const [size, path] = line.split('\t');
    if (!path || total + Number(size) > contentBytes) continue;
    total += Number(size);
    await run('sh', ['-c', 'cp -al "$1" "$2" 2>/dev/null || cp -a "$1" "$2"', 'sh', path, staging]);
  }
  const image = join(dir, 'disk.img');
  await run('truncate', ['-s', `${sizeMiB}M`, image]);
  await run('mkfs.ext4', ['-q', '-F', '-d', staging, image]);
  await rm(staging, { recursive: true, force: true });
  return image;
}

/**
 * Backs up a raw image the way the pipeline will: 4 MiB reads, all-zero reads reported as holes
 * (a stand-in for NBD block status), everything else streamed through writeExtent.
 */
/**
 * Writes an image as one disk, in pieces of `pieceBytes` (one reused buffer, as readers do);
 * all-zero pieces become holes unless `holes` is false.
 */
export async function writeImage(
  writer: PointWriter,
  name: string,
  image: string,
  { pieceBytes = 4 * 1024 * 1024, holes = true, placed = false } = {},
): Promise<void> {
  const size = (await stat(image)).size;
  const disk = writer.addDisk({ name, sizeBytes: size });
  const fh = await open(image, 'r');
  try {
    if (placed) {
      await writePlaced(disk, fh, size, pieceBytes, holes);
      return;
    }
    const buf = new Uint8Array(pieceBytes);
    const zero = new Uint8Array(buf.length);
    for (let off = 0; off < size; off += buf.length) {
      const len = Math.min(buf.length, size - off);
      await fh.read(buf, 0, len, off);
      const piece = buf.subarray(0, len);
      if (holes && Buffer.compare(piece, zero.subarray(0, len)) === 0) disk.markHole(off, len);
      else await disk.writeExtent(off, piece);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Reads as a backup does: three reads ahead, each into the place DiskWriter.placeFor gives
 * (or a buffer of its own when a piece crosses a segment window). With `holes`, an all-zero
 * piece is marked as a hole after it was read into its place, which a backup never does: the
 * writer must cope with places that are never written.
 */
async function writePlaced(
  disk: DiskWriter,
  fh: FileHandle,
  size: number,
  pieceBytes: number,
  holes: boolean,
): Promise<void> {
  const ahead: { off: number; data: Promise<Uint8Array> }[] = [];
  const zero = new Uint8Array(pieceBytes);
  let next = 0;
  // Bounded: every pass consumes one piece, and at most 3 more are issued.
  while (next < size || ahead.length > 0) {
    while (next < size && ahead.length < 3) {
      const off = next;
      const len = Math.min(pieceBytes, size - off);
      const into = disk.placeFor(off, len) ?? new Uint8Array(len);
      ahead.push({ off, data: fh.read(into, 0, len, off).then(() => into) });
      next += len;
    }
    const { off, data } = ahead.shift()!;
    const piece = await data;
    if (holes && Buffer.compare(piece, zero.subarray(0, piece.length)) === 0) {
      disk.markHole(off, piece.length);
    } else await disk.writeExtent(off, piece);
  }
}

/** SHA-256 of a whole disk read through a RandomAccessReader in 4 MiB reads. */
/**
 * SHA-256 of everything a reader reads, then closes it: an open point reader holds gc back
 * (Repository.gc waits for the restores in progress).
 */
export async function hashReader(reader: RandomAccessReader): Promise<string> {
  try {
    const h = createHash('sha256');
    for (let off = 0; off < reader.size; off += 4 * 1024 * 1024) {
      h.update(await reader.read(off, Math.min(4 * 1024 * 1024, reader.size - off)));
    }
    return h.digest('hex');
  } finally {
    await reader.close();
  }
}

export async function hashFile(path: string): Promise<string> {
  const { stdout } = await run('sha256sum', [path]);
  return stdout.split(' ')[0]!;
}

export async function du(dir: string): Promise<number> {
  const { stdout } = await run('du', ['-sb', dir]);
  return Number(stdout.split('\t')[0]);
}

export function mbps(bytes: number, ms: number): string {
  return `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
}

/** Incompressible bytes that a seed reproduces (AES-CTR keystream). */
export function seededBytes(seed: string, length: number): Uint8Array {
  const key = createHash('sha256').update(`seed:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return new Uint8Array(Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]));
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export const SEEDED_DISK_BYTES = 16 * 2 ** 20;

/**
 * A point with disk vdb = 16 MiB of seed-derived random bytes (new data on every run, written
 * first so packs are being written from the start) and disk vda = the image. Returns its id.
 */
export async function writeSeededPoint(
  repo: Repository,
  image: string,
  seed: string,
  onStart?: () => void,
  /** Called between the two disks: the point is half written, nothing committed. */
  onMidway?: () => void,
): Promise<string> {
  const writer = await repo.startPoint({
    vm: { uuid: 'crash-vm', name: 'crash-vm' },
    meta: { seed },
  });
  onStart?.();
  const random = seededBytes(seed, SEEDED_DISK_BYTES);
  const vdb = writer.addDisk({ name: 'vdb', sizeBytes: random.length });
  for (let off = 0; off < random.length; off += 2 ** 20)
    await vdb.writeExtent(off, random.subarray(off, off + 2 ** 20));
  onMidway?.();
  await writeImage(writer, 'vda', image);
  return (await writer.commit({ consistency: 'crash-consistent' })).id;
}

/**
 * `count` points of `vm` written straight into the unencrypted repository at `repoDir`, each one
 * disk of `bytes` random (unshared) bytes kept as an image in `scratch`; oldest first.
 */
export async function writeRandomPoints(
  repoDir: string,
  scratch: string,
  vm: { uuid: string; name: string },
  count: number,
  bytes = 256 * 1024,
): Promise<{ id: string; image: string }[]> {
  const repository = await Repository.open(new LocalDirectoryBackend(repoDir), {});
  try {
    const points: { id: string; image: string }[] = [];
    for (let i = 0; i < count; i++) {
      const image = join(scratch, `${vm.name}-${i}.raw`);
      await writeFile(image, randomBytes(bytes));
      const writer = await repository.startPoint({ vm, meta: { domainXml: '<domain/>' } });
      await writeImage(writer, 'vda', image);
      points.push({ id: (await writer.commit({ consistency: 'crash-consistent' })).id, image });
    }
    return points;
  } finally {
    await repository.close();
  }
}

/** The ids of the points in the unencrypted repository at `repoDir`, sorted. */
export async function pointIdsIn(repoDir: string): Promise<string[]> {
  const repository = await Repository.open(new LocalDirectoryBackend(repoDir), {});
  try {
    return (await repository.listPoints()).map((p) => p.id).sort();
  } finally {
    await repository.close();
  }
}

/**
 * A repository where gc has work: two points of 16 MiB that share their first half, in small
 * chunks (~16 to a pack), so deleting `gone` leaves packs half dead, which gc rewrites.
 */
export async function initRepoForGc(dir: string) {
  const MIB = 1024 * 1024;
  const repo = await initRepo(join(dir, 'repo'), {
    encrypt: false,
    packTargetSize: 2 * MIB,
    chunker: { minSize: 32 * 1024, avgSize: 128 * 1024, maxSize: 512 * 1024 },
  });
  const pointOf = async (image: Buffer, name: string): Promise<string> => {
    const file = join(dir, name);
    await writeFile(file, image);
    const writer = await repo.startPoint({ vm: TEST_VM });
    await writeImage(writer, 'vda', file);
    return (await writer.commit({ consistency: 'crash-consistent' })).id;
  };
  const shared = randomBytes(8 * MIB);
  const keptImage = Buffer.concat([shared, randomBytes(8 * MIB)]);
  const gone = await pointOf(Buffer.concat([shared, randomBytes(8 * MIB)]), 'gone.raw');
  const kept = await pointOf(keptImage, 'kept.raw');
  return { repo, repoDir: join(dir, 'repo'), keptImage, kept, gone };
}
