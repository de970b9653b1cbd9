/**
 * What only the kernel's XFS makes: hard links, files with holes and unwritten (preallocated)
 * ranges, a file fragmented enough that its extent map becomes a btree, a remote v5 symlink,
 * names with spaces and newlines, an immutable file, and timestamps past 2038 (bigtime). The
 * image is loop-mounted to fill it, then read unmounted and compared with what the kernel showed.
 * Needs root and loop devices (as the lab does); skipped elsewhere.
 */
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readlink, symlink, link, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeNames } from '../../../src-main/engine/file-catalog/catalog-record';
import { openFileSystem } from '../../../src-main/engine/filesystems/detect';
import type { FileSystem, FsEntry } from '../../../src-main/engine/filesystems/filesystem';
import { FileReader } from '../../../src-main/engine/io/file-reader';
import { readAll, scratchDir, sha256, tool, walkAll } from './fs-fixtures';
import { SMALL_XFS_ENV, xfsDbField } from './xfs-fixtures';

const MiB = 1024 * 1024;
const canMount = process.getuid?.() === 0 && existsSync('/dev/loop-control');
const REMOTE_TARGET = `${'long/'.repeat(120)}target`;
/** Written back to front, one 4 KiB piece every 128 KiB: 61 extents, past the inode's 21. */
const FRAGMENTS = 61;
const MANY = 3000;
const FUTURE = new Date('2200-01-02T03:04:05.678Z');

interface Seen {
  ino: number;
  nlink: number;
  size: number;
  mtimeMs: number;
  sha?: string;
  target?: string;
}

describe.skipIf(!canMount)('XFS written by the kernel', () => {
  let scratch: { path: string; remove: () => Promise<void> };
  let image: string;
  let fs: FileSystem;
  let entries: Map<string, FsEntry>;
  /** What the mounted file system showed, by path. */
  const seen = new Map<string, Seen>();

  beforeAll(async () => {
    scratch = await scratchDir('xfs-mounted');
    image = join(scratch.path, 'kernel.img');
    const mnt = join(scratch.path, 'mnt');
    await mkdir(mnt);
    await tool('truncate', ['-s', '128M', image]);
    await tool('mkfs.xfs', ['-q', '-f', image], SMALL_XFS_ENV);
    await tool('mount', ['-o', 'loop', image, mnt]);
    try {
      await fillTree(mnt);
      await recordTree(mnt, '');
    } finally {
      await tool('umount', [mnt]);
    }
    fs = await openFileSystem(await FileReader.open(image));
    entries = new Map((await walkAll(fs)).map((e) => [e.path, e]));
  });
  afterAll(async () => {
    await fs?.close();
    await scratch?.remove();
  });

  async function fillTree(mnt: string): Promise<void> {
    await writeFile(join(mnt, 'a.txt'), 'linked twice\n');
    await mkdir(join(mnt, 'sub'));
    await link(join(mnt, 'a.txt'), join(mnt, 'sub', 'b.txt'));
    await symlink(REMOTE_TARGET, join(mnt, 'remote-link'));
    await writeFile(join(mnt, 'with space.txt'), 'space\n');
    await writeFile(join(mnt, 'new\nline'), 'newline\n');
    const sparse = await open(join(mnt, 'sparse.img'), 'w');
    await sparse.write('head', 0);
    await sparse.write('middle', 33 * MiB);
    await sparse.truncate(70 * MiB);
    await sparse.close();
    await tool('xfs_io', [
      '-f',
      '-c',
      'falloc 0 1m',
      '-c',
      'pwrite -S 0x61 8k 4k',
      join(mnt, 'prealloc'),
    ]);
    const frag = join(mnt, 'fragmented.bin');
    for (let i = FRAGMENTS - 1; i >= 0; i--) {
      await tool('xfs_io', [
        '-f',
        '-c',
        `pwrite -S ${(i % 250) + 1} ${i * 128 * 1024} 4k`,
        '-c',
        'fsync',
        frag,
      ]);
    }
    await writeFile(join(mnt, 'future.txt'), 'later\n');
    await tool('touch', ['-d', FUTURE.toISOString(), join(mnt, 'future.txt')]);
    // Folder blocks among the files' data blocks: the folder's own map turns into a btree.
    await mkdir(join(mnt, 'many'));
    for (let i = 0; i < MANY; i++)
      await writeFile(join(mnt, 'many', `file-${i}-${'x'.repeat(20)}`), `${i}\n`);
    await writeFile(join(mnt, 'locked.txt'), 'do not touch\n');
    await tool('chattr', ['+i', join(mnt, 'locked.txt')]);
  }

  async function recordTree(mnt: string, prefix: string): Promise<void> {
    const { readdir } = await import('node:fs/promises');
    for (const name of await readdir(join(mnt, prefix))) {
      const rel = `${prefix}/${name}`;
      const st = await lstat(join(mnt, rel));
      const row: Seen = { ino: st.ino, nlink: st.nlink, size: st.size, mtimeMs: st.mtimeMs };
      if (st.isFile()) row.sha = sha256(await readFile(join(mnt, rel)));
      if (st.isSymbolicLink()) row.target = await readlink(join(mnt, rel));
      seen.set(rel, row);
      if (st.isDirectory()) await recordTree(mnt, rel);
    }
  }

  it('shows the same tree, inode numbers, link counts, sizes, bytes and link targets', async () => {
    expect([...entries.keys()].filter((p) => p !== '/').sort()).toEqual([...seen.keys()].sort());
    for (const [path, want] of seen) {
      const entry = entries.get(path)!;
      expect({ id: entry.id, nlink: entry.nlink, size: entry.size }, path).toEqual({
        id: want.ino,
        nlink: want.nlink,
        size: want.size,
      });
      expect(entry.mtime!.getTime(), path).toBe(Math.floor(want.mtimeMs));
      if (want.sha) expect(sha256(await readAll(fs, entry)), path).toBe(want.sha);
      if (want.target) expect(entry.symlinkTarget, path).toBe(want.target);
    }
    expect(entries.get('/sub/b.txt')!.id).toBe(entries.get('/a.txt')!.id);
    expect(entries.get('/remote-link')!.symlinkTarget).toBe(REMOTE_TARGET);
    expect(entries.get('/future.txt')!.mtime).toEqual(FUTURE);
  });

  it('maps holes and unwritten ranges as holes, which read as zeros', async () => {
    const sparse = entries.get('/sparse.img')!;
    expect(sparse.flags.sparse).toBe(true);
    const extents = await fs.extents(sparse);
    expect(extents.map((e) => e.kind)).toEqual(['data', 'hole', 'data', 'hole']);
    expect(extents.at(-1)).toMatchObject({ kind: 'hole', fileOffset: 33 * MiB + 4096 });
    const middle = await fs.read(sparse, 33 * MiB - 2, 10);
    expect(Buffer.from(middle)).toEqual(Buffer.from('\0\0middle\0\0'));

    const prealloc = entries.get('/prealloc')!;
    expect(prealloc.size).toBe(MiB);
    expect((await fs.extents(prealloc)).map((e) => [e.kind, e.fileOffset, e.length])).toEqual([
      ['hole', 0, 8192],
      ['data', 8192, 4096],
      ['hole', 12288, MiB - 12288],
    ]);
  });

  it('follows a btree extent map (too many extents for the inode)', async () => {
    const frag = entries.get('/fragmented.bin')!;
    expect(await xfsDbField(image, frag.id, 'core.format')).toMatch(/btree/);
    const data = (await fs.extents(frag)).filter((e) => e.kind === 'data');
    expect(data).toHaveLength(FRAGMENTS);
    const bytes = await readAll(fs, frag);
    for (let i = 0; i < FRAGMENTS; i++) {
      expect(bytes[i * 128 * 1024], `fragment ${i}`).toBe((i % 250) + 1);
      expect(bytes[i * 128 * 1024 + 4096] ?? 0, `gap after ${i}`).toBe(0);
    }
  });

  it('lists a folder whose block map is a btree', async () => {
    const many = entries.get('/many')!;
    expect(await xfsDbField(image, many.id, 'core.format')).toMatch(/btree/);
    const names = (await fs.listDir(many)).map((e) => e.name);
    expect(names).toHaveLength(MANY);
    expect(new Set(names).size).toBe(MANY);
  });

  it('reports XFS attributes the catalog shows: the immutable file', async () => {
    const locked = entries.get('/locked.txt')!;
    expect(attributeNames('xfs', locked)).toEqual(['immutable']);
    expect(attributeNames('xfs', entries.get('/a.txt')!)).toEqual([]);
  });
});
