/**
 * What the long fuzz run mutates and how each mutated input is exercised: the same readers and
 * the same "clean error" rules as the fixed-budget fuzz tests (test/integration/formats/fuzz,
 * filesystems/fuzz, guest/hive-fuzz), on seed images built with the ecosystem's own tools.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HyperkeepError } from '../../shared/errors';
import { openFileSystem } from '../../src-main/engine/filesystems/detect';
import { openDiskImage } from '../../src-main/engine/formats/open-image';
import { Qcow2Image } from '../../src-main/engine/formats/qcow2/qcow2-image';
import { Hive, REG, type RegistryKey } from '../../src-main/engine/guest';
import {
  valueNumber,
  valueString,
  valueStrings,
} from '../../src-main/engine/guest/registry/values';
import { listVolumes } from '../../src-main/engine/volumes/detect';
import { MemoryReader, fileSystemMetadataSpots, xorshift } from '../../test/harness/fuzz-input';
import { seededBytes, tool } from '../../test/integration/filesystems/fs-fixtures';
import {
  mkfsXfsFromProto,
  protoFromHostDir,
} from '../../test/integration/filesystems/xfs-fixtures';
import {
  FUZZ_BITMAP,
  addDirtyBitmap,
  convertRaw,
  qemuImg,
} from '../../test/integration/formats/test-disks';
import {
  baseBlockChecksum,
  buildHive,
  hexValue,
  rawHive,
  unicodeString,
} from '../../test/integration/guest/hive-fixtures';

export { MemoryReader, xorshift };

export type TargetKind = 'filesystem' | 'image' | 'hive';

/** A seed input as stored in the work directory. */
export interface SampleSpec {
  kind: TargetKind;
  /** File name in the work directory (an image format is detected from it). */
  file: string;
  /** Byte ranges mutated most often; negative numbers count from the end. */
  hot?: [number, number][];
  /** Files the sample needs next to it (a backing file). */
  companions?: string[];
}

/** Per input: walk at most this many entries / keys and read this much of each file. */
const MAX_ENTRIES = 5000;
const MAX_READ = 64 * 1024;
const MAX_KEYS = 2000;

/** A mutation: bytes set at positions, then optionally the input cut short. */
export interface Mutation {
  bytes: [number, number][];
  truncateTo?: number;
}

/**
 * Mutation of a sample for one case, derived only from the case seed: the runner re-derives it to
 * save the exact input that crashed or hung. `spots` are the positions worth corrupting.
 */
export function mutationFor(
  spec: SampleSpec,
  length: number,
  spots: Uint32Array,
  seed: number,
): Mutation {
  const random = xorshift(seed);
  const bytes: [number, number][] = [];
  const flips = 1 + Math.floor(random() * 8);
  for (let i = 0; i < flips; i++) {
    let at: number;
    const r = random();
    if (r < 0.7 && spots.length > 0) at = spots[Math.floor(random() * spots.length)]!;
    else if (r < 0.9 && spec.hot && spec.hot.length > 0) {
      const [from, to] = spec.hot[Math.floor(random() * spec.hot.length)]!;
      const start = from < 0 ? length + from : from;
      const end = to <= 0 ? length + to : Math.min(to, length);
      at = start + Math.floor(random() * Math.max(1, end - start));
    } else at = Math.floor(random() * length);
    at = Math.min(Math.max(at, 0), length - 1);
    const kind = random();
    const value =
      kind < 0.4
        ? Math.floor(random() * 256)
        : kind < 0.55
          ? 0xff
          : kind < 0.7
            ? 0
            : -1 - Math.floor(random() * 8);
    bytes.push([at, value]);
  }
  const truncateTo = random() < 0.03 ? Math.floor(random() * length) : undefined;
  return truncateTo === undefined ? { bytes } : { bytes, truncateTo };
}

/** Applies a mutation to a copy; a negative value means "flip bit (-value - 1)". */
export function applyMutation(spec: SampleSpec, original: Uint8Array, m: Mutation): Buffer {
  const out = Buffer.from(original);
  for (const [at, value] of m.bytes) out[at] = value >= 0 ? value : out[at]! ^ (1 << (-value - 1));
  // A hive with a wrong base-block checksum stops at the header: re-sign it to go deeper.
  if (spec.kind === 'hive' && out.length >= 0x1000)
    out.writeUInt32LE(baseBlockChecksum(out.subarray(0, 0x1000)), 508);
  return m.truncateTo === undefined ? out : out.subarray(0, m.truncateTo);
}

/** Candidate positions of a sample: file-system metadata, or its hot ranges. */
export async function spotsOf(spec: SampleSpec, bytes: Uint8Array): Promise<Uint32Array> {
  if (spec.kind === 'filesystem') return fileSystemMetadataSpots(bytes);
  if (spec.kind === 'hive' && bytes.length > 0x1000) {
    // The cells, mostly; the runner also hits the base block through `hot`.
    const out = new Uint32Array(bytes.length - 0x1000);
    for (let i = 0; i < out.length; i++) out[i] = 0x1000 + i;
    return out;
  }
  return new Uint32Array(0);
}

/** The only acceptable failure of each target: a HyperkeepError naming the broken structure. */
export function isCleanError(kind: TargetKind, err: unknown): boolean {
  if (!(err instanceof HyperkeepError)) return false;
  if (kind === 'image') return true;
  if (err.code !== 'INVALID_INPUT') return false;
  if (kind === 'hive') return /^Registry hive FUZZ: \S/.test(err.message);
  return /^(ext|XFS|NTFS|FAT): \S|^The volume holds /.test(err.message);
}

async function exerciseFileSystem(bytes: Uint8Array): Promise<void> {
  const fs = await openFileSystem(new MemoryReader(bytes));
  let seen = 0;
  for await (const entry of fs.walk({ onDirectoryError: () => true })) {
    if (++seen > MAX_ENTRIES) break;
    if (entry.type !== 'file' && entry.type !== 'symlink') continue;
    try {
      await fs.extents(entry);
      await fs.read(entry, 0, MAX_READ);
      for (const stream of entry.streams ?? []) await fs.read(entry, 0, MAX_READ, stream.name);
    } catch (err) {
      if (!isCleanError('filesystem', err)) throw err;
    }
  }
}

async function exerciseImage(spec: SampleSpec, bytes: Uint8Array, workDir: string): Promise<void> {
  const caseDir = await mkdtemp(join(workDir, 'case-'));
  try {
    const path = join(caseDir, spec.file);
    await writeFile(path, bytes);
    for (const c of spec.companions ?? []) await copyFile(join(workDir, c), join(caseDir, c));
    const { reader } = await openDiskImage(path);
    try {
      for (const at of [0, Math.floor(reader.size / 2), reader.size - 65536, 12345]) {
        const offset = Math.max(0, Math.min(at, reader.size - 1));
        await reader.read(offset, Math.min(65536, reader.size - offset));
      }
      await reader.allocationMap(0, Math.min(reader.size, 16 << 20));
      if (reader instanceof Qcow2Image) await reader.changedSince(FUZZ_BITMAP);
      await listVolumes(reader, 'vda');
    } finally {
      await reader.close();
    }
  } finally {
    await rm(caseDir, { recursive: true, force: true });
  }
}

async function exerciseHive(bytes: Uint8Array): Promise<void> {
  const hive = await Hive.fromBytes(bytes, 'FUZZ');
  const seen = new Set<number>();
  const queue: RegistryKey[] = [await hive.root()];
  while (queue.length > 0 && seen.size < MAX_KEYS) {
    const key = queue.shift()!;
    if (seen.has(key.offset)) continue;
    seen.add(key.offset);
    try {
      for (const value of await hive.values(key)) {
        try {
          if (value.type === REG.SZ || value.type === REG.EXPAND_SZ) valueString('FUZZ', value);
          if (value.type === REG.MULTI_SZ) valueStrings('FUZZ', value);
          if (value.type === REG.DWORD || value.type === REG.QWORD) valueNumber('FUZZ', value);
        } catch (err) {
          if (!isCleanError('hive', err)) throw err;
        }
      }
      queue.push(...(await hive.subkeys(key)));
      await hive.open('ControlSet001\\Control\\ComputerName\\ComputerName');
    } catch (err) {
      if (!isCleanError('hive', err)) throw err;
    }
  }
}

/** Runs one input; resolves 'ok' or 'refused' (a clean error), rejects with anything else. */
export async function exercise(
  spec: SampleSpec,
  bytes: Uint8Array,
  workDir: string,
): Promise<'ok' | 'refused'> {
  try {
    if (spec.kind === 'filesystem') await exerciseFileSystem(bytes);
    else if (spec.kind === 'image') await exerciseImage(spec, bytes, workDir);
    else await exerciseHive(bytes);
    return 'ok';
  } catch (err) {
    if (isCleanError(spec.kind, err)) return 'refused';
    throw err;
  }
}

async function sparseFile(path: string, bytes: number): Promise<void> {
  await writeFile(path, '');
  await truncate(path, bytes);
}

/** Builds every seed input into `dir` (mkfs, qemu-img, hivexsh): about ten seconds. */
export async function buildSamples(dir: string): Promise<SampleSpec[]> {
  const samples: SampleSpec[] = [];
  const src = join(dir, 'src');
  await mkdir(join(src, 'dir/sub'), { recursive: true });
  for (let i = 0; i < 40; i++)
    await writeFile(join(src, 'dir', `file-${i}.txt`), `content ${i}\n`.repeat(i));
  await writeFile(join(src, 'dir/sub/blob.bin'), seededBytes(9, 70_000));
  await tool('ln', ['-s', 'file-3.txt', join(src, 'dir/link')]);

  await tool('mkfs.ext4', [
    '-q',
    '-F',
    '-O',
    'inline_data',
    '-d',
    src,
    join(dir, 'ext4.img'),
    '4M',
  ]);
  await tool('mkfs.ext2', ['-q', '-F', '-b', '1024', '-d', src, join(dir, 'ext2.img'), '4M']);
  const ntfs = join(dir, 'ntfs.img');
  await sparseFile(ntfs, 4 << 20);
  await tool('mkntfs', ['-F', '-f', '-q', '-s', '512', '-c', '1024', ntfs]);
  for (const name of ['file-3.txt', 'file-39.txt'])
    await tool('ntfscp', ['-f', ntfs, join(src, 'dir', name), `/${name}`]);
  await tool('ntfscp', ['-f', ntfs, join(src, 'dir/sub/blob.bin'), '/blob.bin']);
  await tool('ntfscp', ['-f', '-N', 'ads', ntfs, join(src, 'dir/file-5.txt'), '/blob.bin']);
  const mtools = { MTOOLS_SKIP_CHECK: '1' };
  await tool('mkfs.fat', ['-C', '-F', '12', join(dir, 'fat12.img'), '2048']);
  await tool('mcopy', ['-s', '-i', join(dir, 'fat12.img'), join(src, 'dir'), '::/'], mtools);
  await tool('mkfs.fat', ['-C', '-F', '32', '-s', '1', join(dir, 'fat32.img'), '40000']);
  await tool('mcopy', ['-s', '-i', join(dir, 'fat32.img'), join(src, 'dir'), '::/'], mtools);
  const xfsTree = await protoFromHostDir(src);
  await mkfsXfsFromProto(join(dir, 'xfs5.img'), '16M', xfsTree, join(dir, 'xfs5.proto'));
  await mkfsXfsFromProto(join(dir, 'xfs4.img'), '16M', xfsTree, join(dir, 'xfs4.proto'), [
    '-m',
    'crc=0',
  ]);
  for (const file of [
    'ext4.img',
    'ext2.img',
    'xfs5.img',
    'xfs4.img',
    'ntfs.img',
    'fat12.img',
    'fat32.img',
  ])
    samples.push({ kind: 'filesystem', file });

  const raw = join(dir, 'disk.raw');
  await sparseFile(raw, 4 << 20);
  await tool('sh', [
    '-c',
    'printf "label: gpt\\nstart=2048, size=4096, type=U\\nstart=6144, size=1024, type=L\\n" | sfdisk -q "$1"',
    'sh',
    raw,
  ]);
  await tool('mkfs.fat', ['--offset', '2048', raw, '2048']);
  await tool('mcopy', ['-i', `${raw}@@${2048 * 512}`, '/etc/os-release', '::/'], mtools);
  const K = 1024;
  const head: [number, number] = [0, 256 * K];
  const image = async (
    file: string,
    format: string,
    options: string[],
    hot: [number, number][],
  ) => {
    await convertRaw(raw, join(dir, file), format, options);
    samples.push({ kind: 'image', file, hot });
  };
  await image('d.qcow2', 'qcow2', ['-o', 'cluster_size=4096'], [head]);
  await image('c.qcow2', 'qcow2', ['-c', '-o', 'cluster_size=4096'], [head]);
  await image('z.qcow2', 'qcow2', ['-c', '-o', 'cluster_size=4096,compression_type=zstd'], [head]);
  // A persistent dirty bitmap with writes in it, as a powered-off VM's image holds one.
  await image('b.qcow2', 'qcow2', ['-o', 'cluster_size=4096'], [head]);
  await addDirtyBitmap(join(dir, 'b.qcow2'));
  await image('s.vmdk', 'vmdk', [], [head]);
  await image('o.vmdk', 'vmdk', ['-o', 'subformat=streamOptimized'], [head, [-64 * K, 0]]);
  await image(
    'd.vhd',
    'vpc',
    ['-o', 'subformat=dynamic,force_size=on'],
    [
      [0, 8 * K],
      [-512, 0],
    ],
  );
  await image('d.vhdx', 'vhdx', ['-o', 'block_size=1M'], [[0, 4 << 20]]);
  await image('d.vdi', 'vdi', [], [[0, 8 * K]]);
  samples.push({
    kind: 'image',
    file: 'disk.raw',
    hot: [
      [0, 40 * K],
      [-40 * K, 0],
    ],
  });
  await convertRaw(raw, join(dir, 'base.qcow2'), 'qcow2');
  await qemuImg(
    'create',
    '-f',
    'qcow2',
    '-o',
    'cluster_size=4096',
    '-b',
    'base.qcow2',
    '-F',
    'qcow2',
    join(dir, 'top.qcow2'),
  );
  await tool('qemu-io', ['-c', 'write -P 0x41 8k 12k', join(dir, 'top.qcow2')]);
  samples.push({ kind: 'image', file: 'top.qcow2', hot: [head], companions: ['base.qcow2'] });

  const system = await buildHive(dir, 'SYSTEM', {
    Select: [{ name: 'Current', data: 'dword:0x1' }],
    'ControlSet001\\Control\\ComputerName\\ComputerName': [
      { name: 'ComputerName', data: unicodeString('FUZZ-PC') },
    ],
    MountedDevices: [
      {
        name: '\\DosDevices\\C:',
        data: hexValue(3, Buffer.from('3d2c1a4b0000100000000000', 'hex')),
      },
      { name: 'List', data: hexValue(7, Buffer.from('a\0b\0\0', 'utf16le')) },
    ],
    'A\\B\\C': [{ name: 'Path', data: 'expandstring:%SystemRoot%' }],
  });
  samples.push({ kind: 'hive', file: 'SYSTEM', hot: [[0, 64]] });
  void system;
  await writeFile(
    join(dir, 'RAW.hive'),
    rawHive({
      name: 'ROOT',
      list: 'ri',
      children: [
        {
          name: 'Big',
          values: [{ name: 'Blob', type: REG.BINARY, data: Buffer.alloc(20_000, 7) }],
        },
        { name: 'Li', list: 'li', children: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
        {
          name: 'Lf',
          list: 'lf',
          children: [{ name: 'x', values: [{ name: 'n', type: 4, data: Buffer.alloc(4) }] }],
        },
      ],
    }),
  );
  samples.push({ kind: 'hive', file: 'RAW.hive', hot: [[0, 64]] });
  await rm(src, { recursive: true, force: true });
  return samples;
}

export async function loadSample(dir: string, spec: SampleSpec): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(dir, spec.file)));
}
