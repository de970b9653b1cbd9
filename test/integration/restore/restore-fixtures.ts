/**
 * Shared by the restore tests: repositories whose reads are counted, points made from image
 * files, hostile ext4 images fabricated with debugfs and byte patches, and a listing of what a
 * restore left on disk.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalDirectoryBackend } from '../../../src-main/engine/repository/backends/local-directory';
import type { RepositoryBackend } from '../../../src-main/engine/repository/backend';
import { Repository } from '../../../src-main/engine/repository/repository';
import { run } from '../../harness/exec';
import { Engine } from '../../../src-main/engine/engine';
import { restoreFilesToFolder } from '../../../src-main/engine/restore/file-restore';
import type { PointFileSource } from '../../../src-main/engine/restore/point-file-source';
import { PASSPHRASE, initRepo, writeImage } from '../repository/helpers';

/** A repository opened through a backend that counts the bytes read from packs. */
export async function openCountingRepository(
  dir: string,
): Promise<{ repository: Repository; packBytesRead: () => number; reset: () => void }> {
  const inner = new LocalDirectoryBackend(dir);
  let packBytes = 0;
  const counting: RepositoryBackend = {
    location: inner.location,
    get: (key) => inner.get(key),
    getRange: async (key, offset, length) => {
      if (key.startsWith('packs/') || key.includes('/packs/')) packBytes += length;
      return inner.getRange(key, offset, length);
    },
    put: (key, data, options) => inner.put(key, data, options),
    stat: (key) => inner.stat(key),
    list: (prefix) => inner.list(prefix),
    delete: (key) => inner.delete(key),
    removeIncompleteWrites: () => inner.removeIncompleteWrites(),
    close: () => inner.close(),
  };
  const repository = await Repository.open(counting, { passphrase: PASSPHRASE });
  return {
    repository,
    packBytesRead: () => packBytes,
    reset: () => {
      packBytes = 0;
    },
  };
}

/** A restore point whose disk `diskName` is the raw image file. */
export async function pointFromImage(
  repository: Repository,
  image: string,
  diskName: string,
  vm = { uuid: '7d0c2a4e-1b3f-4c5d-8e9f-000000000006', name: 'restore-vm' },
): Promise<string> {
  const writer = await repository.startPoint({ vm });
  await writeImage(writer, diskName, image);
  return (await writer.commit({ consistency: 'crash-consistent' })).id;
}

/**
 * An engine data home whose default repository holds one point of VM `vmName` with disk vda =
 * the image, catalogued as a backup job would: what the CLI and the handlers restore from.
 */
export async function homeWithPoint(
  dir: string,
  image: string,
  vmName: string,
): Promise<{ home: string; pointId: string }> {
  const repoDir = join(dir, 'repo');
  const repository = await initRepo(repoDir);
  let pointId: string;
  try {
    pointId = await pointFromImage(repository, image, 'vda', {
      uuid: '7d0c2a4e-1b3f-4c5d-8e9f-00000000a001',
      name: vmName,
    });
  } finally {
    await repository.close();
  }
  const home = join(dir, 'home');
  const engine = Engine.open({ home, mode: 'cli' });
  try {
    await engine.repositories.attach({
      name: 'default',
      location: repoDir,
      passphrase: PASSPHRASE,
    });
  } finally {
    await engine.close();
  }
  return { home, pointId };
}

/** Replaces every occurrence of `from` in the file by `to` (same length); returns the count. */
export async function patchBytes(file: string, from: string, to: Buffer): Promise<number> {
  const data = await readFile(file);
  const needle = Buffer.from(from, 'latin1');
  if (to.length !== needle.length) throw new Error('patchBytes: lengths differ');
  let count = 0;
  for (let at = data.indexOf(needle); at >= 0; at = data.indexOf(needle, at + 1)) {
    to.copy(data, at);
    count++;
  }
  await writeFile(file, data);
  return count;
}

/**
 * Renames one ext4 directory entry in place: the name bytes and the name_len byte in front of
 * them (ext4_dir_entry_2: inode u32, rec_len u16, name_len u8, file_type u8, name). The new name
 * may be shorter; rec_len stays, so the directory block stays valid.
 */
export async function renameDirent(file: string, oldName: string, newName: Buffer): Promise<void> {
  const data = await readFile(file);
  const needle = Buffer.from(oldName, 'latin1');
  const at = data.indexOf(needle);
  if (at < 8 || data.indexOf(needle, at + 1) >= 0 || data[at - 2] !== needle.length)
    throw new Error(`expected one directory entry "${oldName.slice(0, 20)}" in ${file}`);
  data[at - 2] = newName.length;
  newName.copy(data, at);
  await writeFile(file, data);
}

export const LONG_NAME = `${'L'.repeat(240)}.txt`;
export const GOOD_TEXT = 'good\n';

/**
 * An ext4 image (no metadata checksums, so patched directory blocks stay valid) holding ordinary
 * files next to hostile names: "..", "a/b", "a\0b" and a 255-byte invalid UTF-8 name (byte
 * patches, which mkfs and debugfs cannot make), "back\slash", a FIFO, a symlink to `outside`,
 * and a folder with the same name as that symlink holding a file: restored naively, the file
 * would land in `outside`.
 */
export async function hostileExt4Image(dir: string, outside: string): Promise<string> {
  const staging = join(dir, 'staging');
  await run('mkdir', ['-p', join(staging, 'docs')]);
  await writeFile(join(staging, 'good.txt'), GOOD_TEXT);
  await writeFile(join(staging, 'docs', 'inner.txt'), 'inner\n');
  const image = join(dir, 'hostile.img');
  await run('truncate', ['-s', '16M', image]);
  await run('mkfs.ext4', ['-q', '-F', '-O', '^metadata_csum', '-d', staging, image]);
  const commands = [
    'ln good.txt ..x',
    'ln good.txt "back\\slash"',
    'ln good.txt DOTDOTZZ',
    'ln good.txt SLASHxNAME',
    'ln good.txt NULxNAME',
    `ln good.txt ${'U'.repeat(255)}`,
    `ln good.txt ${LONG_NAME}`,
    'mknod fifo p',
    `symlink evil ${outside}`,
    `symlink out-link ${outside}`,
    'mkdir evim',
    'write ' + join(staging, 'good.txt') + ' evim/payload',
  ];
  await writeFile(join(dir, 'debugfs.cmds'), `${commands.join('\n')}\n`);
  await run('debugfs', ['-w', '-f', join(dir, 'debugfs.cmds'), image]);
  // Same-length byte patches of the directory entries debugfs wrote.
  const patches: [string, Buffer][] = [
    ['DOTDOTZZ', Buffer.from('..', 'latin1')],
    ['SLASHxNAME', Buffer.from('SLASH/NAME', 'latin1')],
    ['NULxNAME', Buffer.from('NUL\0NAME', 'latin1')],
    ['U'.repeat(255), Buffer.alloc(255, 0xff)],
    ['evim', Buffer.from('evil', 'latin1')],
  ];
  for (const [from, to] of patches) await renameDirent(image, from, to);
  return image;
}

/** Every path under `root` (relative, '/'-separated), with its type; symlinks are not followed. */
export async function listTree(root: string): Promise<Map<string, 'file' | 'dir' | 'symlink'>> {
  const out = new Map<string, 'file' | 'dir' | 'symlink'>();
  const walk = async (dir: string, prefix: string) => {
    for (const name of await readdir(dir)) {
      const st = await lstat(join(dir, name));
      const rel = prefix ? `${prefix}/${name}` : name;
      const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file';
      out.set(rel, type);
      if (type === 'dir') await walk(join(dir, name), rel);
    }
  };
  await walk(root, '');
  return out;
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

export function sha256Of(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Restores `paths` of a point source into `dest` as the console's defaults do (keep the paths,
 * skip what exists, times and modes kept, owners not), then closes the source.
 */
export async function restoreWith(source: PointFileSource, dest: string, paths: string[]) {
  try {
    return await restoreFilesToFolder(
      source,
      {
        paths,
        dest,
        conflict: 'skip',
        pathMode: { kind: 'preserve' },
        restoreTimestamps: true,
        restorePermissions: true,
        restoreOwnership: false,
      },
      { signal: new AbortController().signal, progress: () => undefined, log: () => undefined },
    );
  } finally {
    await source.close();
  }
}
