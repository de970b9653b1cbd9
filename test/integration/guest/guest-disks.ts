import { copyFile, mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openFileSystem } from '../../../src-main/engine/filesystems/detect';
import type { FileSystem } from '../../../src-main/engine/filesystems/filesystem';
import { guestVolumeFromInfo, type GuestVolume } from '../../../src-main/engine/guest';
import type { RandomAccessReader } from '../../../src-main/engine/io/random-access';
import { listDiskVolumes } from '../../../src-main/engine/volumes/detect';
import { run } from '../../harness/exec';
import { tool } from '../filesystems/fs-fixtures';

/**
 * Guest disks for the detection tests, built with the tools an installer uses: sfdisk for the
 * table, mkfs.ext4 -d / mkfs.fat + mtools / mkswap for the volumes, dd to put them in place.
 */

const MiB = 1024 * 1024;

/** A file tree: path → text, or { symlink } for a symbolic link, or null for a directory. */
export type Tree = Record<string, string | { symlink: string } | null>;

export type VolumeSpec =
  | { fs: 'ext4'; sizeMiB: number; uuid: string; label?: string; tree: Tree }
  | { fs: 'fat'; sizeMiB: number; label: string; tree: Tree; files?: Record<string, string> }
  /** Directories need ntfs-3g's FUSE mount (fuseAvailable()). */
  | { fs: 'ntfs'; sizeMiB: number; label: string; tree: Tree; files?: Record<string, string> }
  | { fs: 'swap'; sizeMiB: number };

export interface PartitionSpec {
  volume: VolumeSpec;
  /** sfdisk type alias: L (Linux), S (swap), U (EFI), or an MBR byte such as 7 or c. */
  type: string;
  /** GPT partition GUID. */
  uuid?: string;
  name?: string;
}

async function stage(root: string, tree: Tree): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const [path, content] of Object.entries(tree)) {
    const full = join(root, path);
    if (content === null) {
      await mkdir(full, { recursive: true });
    } else {
      await mkdir(dirname(full), { recursive: true });
      if (typeof content === 'string') await writeFile(full, content);
      else await symlink(content.symlink, full);
    }
  }
}

/** Builds one volume image; `files` of a FAT volume are host files copied in as they are. */
async function makeVolume(image: string, spec: VolumeSpec, work: string): Promise<void> {
  await writeFile(image, '');
  await truncate(image, spec.sizeMiB * MiB);
  if (spec.fs === 'swap') {
    await tool('mkswap', ['-q', image]);
    return;
  }
  const tree = join(work, `${image.split('/').pop()}-tree`);
  await stage(tree, spec.tree);
  if (spec.fs === 'ext4') {
    const label = spec.label ? ['-L', spec.label] : [];
    await tool('mkfs.ext4', [
      '-F',
      '-q',
      '-b',
      '4096',
      ...label,
      '-U',
      spec.uuid,
      '-d',
      tree,
      image,
    ]);
    return;
  }
  if (spec.fs === 'ntfs') {
    await makeNtfs(image, spec, tree, work);
    return;
  }
  await tool('mkfs.fat', ['-n', spec.label, image]);
  const env = { MTOOLS_SKIP_CHECK: '1' };
  const dirs = new Set<string>();
  const paths = [...Object.keys(spec.tree), ...Object.keys(spec.files ?? {})];
  for (const path of paths) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const dir of [...dirs].sort()) await tool('mmd', ['-i', image, `::/${dir}`], env);
  for (const [path, content] of Object.entries(spec.tree)) {
    if (typeof content === 'string')
      await tool('mcopy', ['-i', image, join(tree, path), `::/${path}`], env);
  }
  for (const [path, host] of Object.entries(spec.files ?? {})) {
    await tool('mcopy', ['-i', image, host, `::/${path}`], env);
  }
}

/** mkntfs, then the tree copied in through ntfs-3g (mkntfs and ntfscp cannot make directories). */
async function makeNtfs(
  image: string,
  spec: { label: string; files?: Record<string, string> },
  tree: string,
  work: string,
): Promise<void> {
  await tool('mkntfs', ['-F', '-f', '-q', '-L', spec.label, image]);
  const mnt = join(work, `${image.split('/').pop()}-mnt`);
  await mkdir(mnt, { recursive: true });
  await tool('ntfs-3g', [image, mnt]);
  try {
    await tool('cp', ['-a', `${tree}/.`, mnt]);
    for (const [path, host] of Object.entries(spec.files ?? {})) {
      await mkdir(dirname(join(mnt, path)), { recursive: true });
      await copyFile(host, join(mnt, path));
    }
  } finally {
    await tool('fusermount', ['-u', mnt]).catch(() => tool('umount', [mnt]));
    // fusermount returns before the daemon has written its last blocks: wait until it is gone.
    for (let i = 0; i < 200; i++) {
      const holders = await tool('pgrep', ['-f', `ntfs-3g ${image}`]).catch(() => '');
      if (String(holders).trim() === '') break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * A raw disk at `path`: partitions of the given sizes from 1 MiB on, in order, or (with
 * `table: 'none'`) one volume spanning the whole disk. Returns each partition's byte offset.
 */
export async function makeDisk(
  path: string,
  table: 'gpt' | 'dos' | 'none',
  labelId: string,
  partitions: PartitionSpec[],
  work: string,
): Promise<number[]> {
  await mkdir(work, { recursive: true });
  if (table === 'none') {
    await makeVolume(path, partitions[0]!.volume, work);
    return [0];
  }
  const total = partitions.reduce((n, p) => n + p.volume.sizeMiB, 0) + 2;
  await writeFile(path, '');
  await truncate(path, total * MiB);
  const lines = [`label: ${table}`, `label-id: ${labelId}`, 'unit: sectors'];
  const offsets: number[] = [];
  let startMiB = 1;
  for (const p of partitions) {
    const fields = [
      `start=${startMiB * 2048}`,
      `size=${p.volume.sizeMiB * 2048}`,
      `type=${p.type}`,
    ];
    if (p.uuid) fields.push(`uuid=${p.uuid}`);
    if (p.name) fields.push(`name="${p.name}"`);
    lines.push(fields.join(', '));
    offsets.push(startMiB * MiB);
    startMiB += p.volume.sizeMiB;
  }
  await run('sfdisk', ['-q', path], { input: `${lines.join('\n')}\n` });
  for (const [i, p] of partitions.entries()) {
    const image = join(work, `part-${i + 1}.img`);
    await makeVolume(image, p.volume, work);
    const seek = `seek=${offsets[i]! / MiB}`;
    await run('dd', [`if=${image}`, `of=${path}`, 'bs=1M', seek, 'conv=notrunc', 'status=none']);
  }
  return offsets;
}

/**
 * The volumes of a VM's disks as the catalog will hand them to detectGuest: partitions and
 * whole-disk file systems found by listDiskVolumes, each with its file system opened if any.
 */
export async function guestVolumesOf(
  disks: { name: string; reader: RandomAccessReader }[],
): Promise<{ volumes: GuestVolume[]; close: () => Promise<void> }> {
  const { volumes } = await listDiskVolumes(disks);
  const opened: FileSystem[] = [];
  const out: GuestVolume[] = [];
  for (const info of volumes) {
    let fs: FileSystem | undefined;
    try {
      fs = await openFileSystem(info.reader);
      opened.push(fs);
    } catch {
      fs = undefined; // swap and other volumes without a browsable file system
    }
    out.push(guestVolumeFromInfo(info, fs));
  }
  return {
    volumes: out,
    close: async () => {
      for (const fs of opened) await fs.close();
    },
  };
}
