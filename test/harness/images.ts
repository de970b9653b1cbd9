import { createHash, randomBytes } from 'node:crypto';
import {
  chmod,
  lchown,
  lutimes,
  mkdir,
  readdir,
  rename,
  rm,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HyperkeepError } from '../../shared/errors';
import { pathExists, run } from './exec';
import { writeHaltIntoMbr } from './halt-boot-sector';
import {
  LAB_DISKS,
  LAB_FILE_MTIME,
  deterministicBytes,
  type DiskRecipe,
  type LabImageName,
  type TreeEntry,
  type Volume,
} from './image-recipes';
import type { LabPartition } from './lab-info';

/**
 * Builds the lab's disk images with the file system tools themselves (sfdisk, mkfs.ext4 -d,
 * mkntfs + ntfscp, mkfs.fat + mtools), without root or mounts, then converts them to qcow2.
 * Built images are cached by a hash of the recipes so a lab restart costs a file copy.
 */

/** Bump when the way images are built changes without the recipes changing. */
const BUILDER_VERSION = 2;
const MiB = 1024 * 1024;
const SECTOR = 512;
const LINUX_FS_GUID = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const MBR_TYPE: Record<Volume['fs'], string> = { ext4: '83', ntfs: '7', vfat: 'c' };

export interface BuiltImage {
  name: LabImageName;
  /** The cached qcow2; copy it, never attach it. */
  path: string;
  capacityBytes: number;
  partitionTable: DiskRecipe['partitionTable'];
  partitions: LabPartition[];
}

/** Where each volume of a recipe lands: 1 MiB aligned, in order, like an installer would. */
export function layoutOf(recipe: DiskRecipe): LabPartition[] {
  if (recipe.partitionTable === 'none') {
    const only = recipe.volumes[0];
    if (recipe.volumes.length !== 1 || !only || only.sizeMiB !== recipe.sizeMiB) {
      throw new HyperkeepError('INVALID_INPUT', 'A disk without partition table holds one volume');
    }
    return [{ number: 0, offsetBytes: 0, sizeBytes: recipe.sizeMiB * MiB, ...describe(only) }];
  }
  let nextMiB = 1;
  const parts = recipe.volumes.map((v, i) => {
    const p = {
      number: i + 1,
      offsetBytes: nextMiB * MiB,
      sizeBytes: v.sizeMiB * MiB,
      ...describe(v),
    };
    nextMiB += v.sizeMiB;
    return p;
  });
  // GPT keeps a backup header in the last 33 sectors; leave room for it.
  if (nextMiB + (recipe.partitionTable === 'gpt' ? 1 : 0) > recipe.sizeMiB) {
    throw new HyperkeepError('INVALID_INPUT', `Volumes of ${nextMiB} MiB overflow the disk`);
  }
  return parts;
}

function describe(v: Volume): Pick<LabPartition, 'filesystem' | 'label'> {
  return { filesystem: v.fs, label: v.label };
}

function sfdiskScript(recipe: DiskRecipe, parts: LabPartition[]): string {
  const lines =
    recipe.partitionTable === 'gpt'
      ? ['label: gpt', `label-id: ${recipe.labelId}`, 'unit: sectors']
      : ['label: dos', `label-id: ${recipe.labelId}`, 'unit: sectors'];
  for (const p of parts) {
    const place = `start=${p.offsetBytes / SECTOR}, size=${p.sizeBytes / SECTOR}`;
    lines.push(
      recipe.partitionTable === 'gpt'
        ? `${place}, type=${LINUX_FS_GUID}, name="${p.label}"`
        : `${place}, type=${MBR_TYPE[p.filesystem as Volume['fs']]}${p.number === 1 ? ', bootable' : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Writes a tree into a staging directory with fixed times, modes and (as root) owners. */
async function stageTree(root: string, tree: TreeEntry[]): Promise<void> {
  await mkdir(root, { recursive: true });
  await chmod(root, 0o755);
  const dirs = new Set<string>([root]);
  const asRoot = process.getuid?.() === 0;
  for (const e of tree) {
    const target = join(root, e.path);
    for (let d = dirname(target); d.startsWith(root) && !dirs.has(d); d = dirname(d)) dirs.add(d);
    await mkdir(dirname(target), { recursive: true });
    if ('dir' in e) {
      await mkdir(target, { recursive: true });
      dirs.add(target);
    } else if ('symlink' in e) {
      await symlink(e.symlink, target);
    } else {
      const data = 'text' in e ? e.text : deterministicBytes(e.blob.seed, e.blob.size);
      await writeFile(target, data, { mode: 0o644 });
    }
    if (asRoot && e.uid !== undefined) await lchown(target, e.uid, e.uid);
  }
  for (const e of tree)
    if (!('dir' in e)) await lutimes(join(root, e.path), LAB_FILE_MTIME, LAB_FILE_MTIME);
  // Deepest directories last, so writing a child's time never touches a parent's again.
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    await chmod(d, 0o755);
    await lutimes(d, LAB_FILE_MTIME, LAB_FILE_MTIME);
  }
}

async function makeExt4(raw: string, part: LabPartition, v: Volume & { fs: 'ext4' }, work: string) {
  const tree = join(work, `tree-${part.number}`);
  await stageTree(tree, v.tree);
  // 4 KiB blocks like a real root file system; mke2fs would pick 1 KiB for a volume this small.
  const fsArgs = ['-F', '-q', '-b', '4096', '-L', v.label, '-U', v.uuid, '-d', tree];
  const where = ['-E', `offset=${part.offsetBytes}`, raw, `${part.sizeBytes / 1024}k`];
  await run('mkfs.ext4', [...fsArgs, ...where]);
}

async function makeFat(raw: string, part: LabPartition, v: Volume & { fs: 'vfat' }, work: string) {
  const tree = join(work, `tree-${part.number}`);
  await stageTree(tree, v.tree);
  const sectors = String(part.offsetBytes / SECTOR);
  // --offset places the file system, -h records it in the boot sector like a partitioner would.
  const where = ['--offset', sectors, '-h', sectors, raw, String(part.sizeBytes / 1024)];
  await run('mkfs.fat', ['-F', '32', '-n', v.label, ...where]);
  const image = `${raw}@@${part.offsetBytes}`;
  const env = { ...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C.UTF-8' };
  for (const e of v.tree) {
    if ('dir' in e) await run('mmd', ['-i', image, `::${e.path}`], { env });
    else await run('mcopy', ['-m', '-i', image, join(tree, e.path), `::${e.path}`], { env });
  }
}

async function makeNtfs(raw: string, part: LabPartition, v: Volume & { fs: 'ntfs' }, work: string) {
  // mkntfs wants a device of its own: build the partition in a file, then place it in the disk.
  const file = join(work, `ntfs-${part.number}.img`);
  await writeFile(file, '');
  await truncate(file, part.sizeBytes);
  const start = String(part.offsetBytes / SECTOR);
  // -p/-H/-S: the boot sector must know where the partition starts, or Windows will not boot it.
  const geometry = ['-p', start, '-H', '255', '-S', '63'];
  await run('mkntfs', ['-q', '-F', '-Q', '-s', '512', ...geometry, '-L', v.label, file]);
  for (const f of v.files) {
    const src = join(work, `ntfs-src-${part.number}-${v.files.indexOf(f)}`);
    await writeFile(src, f.text);
    await run('ntfscp', [file, src, f.name]);
  }
  const seek = `seek=${part.offsetBytes / MiB}`;
  await run('dd', [`if=${file}`, `of=${raw}`, 'bs=1M', seek, 'conv=notrunc,sparse', 'status=none']);
  await rm(file);
}

async function buildImage(name: LabImageName, out: string, work: string): Promise<void> {
  const recipe: DiskRecipe = LAB_DISKS[name];
  const parts = layoutOf(recipe);
  await mkdir(work, { recursive: true });
  const raw = join(work, 'disk.raw');
  await writeFile(raw, '');
  await truncate(raw, recipe.sizeMiB * MiB);
  if (recipe.partitionTable !== 'none') {
    await run('sfdisk', ['-q', raw], { input: sfdiskScript(recipe, parts) });
    await writeHaltIntoMbr(raw);
  }
  for (const [i, v] of recipe.volumes.entries()) {
    const part = parts[i]!;
    if (v.fs === 'ext4') await makeExt4(raw, part, v, work);
    else if (v.fs === 'vfat') await makeFat(raw, part, v, work);
    else await makeNtfs(raw, part, v, work);
  }
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, `${out}.partial`]);
  await rename(`${out}.partial`, out);
}

/** Cache key: changes whenever a recipe or the builder changes. */
export function recipeKey(): string {
  const text = JSON.stringify({ BUILDER_VERSION, LAB_DISKS });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Returns every lab image, building (in parallel) only those not cached for this recipe. */
export async function ensureImages(cacheRoot: string): Promise<Record<LabImageName, BuiltImage>> {
  const key = recipeKey();
  const dir = join(cacheRoot, key);
  await mkdir(dir, { recursive: true });
  // Images of older recipes are never used again.
  for (const old of await readdir(cacheRoot)) {
    if (old !== key) await rm(join(cacheRoot, old), { recursive: true, force: true });
  }
  const names = Object.keys(LAB_DISKS) as LabImageName[];
  const work = join(dir, `build-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await Promise.all(
      names.map(async (name) => {
        const out = join(dir, `${name}.qcow2`);
        if (!(await pathExists(out))) await buildImage(name, out, join(work, name));
      }),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const built = {} as Record<LabImageName, BuiltImage>;
  for (const name of names) {
    const recipe: DiskRecipe = LAB_DISKS[name];
    built[name] = {
      name,
      path: join(dir, `${name}.qcow2`),
      capacityBytes: recipe.sizeMiB * MiB,
      partitionTable: recipe.partitionTable,
      partitions: layoutOf(recipe),
    };
  }
  return built;
}
