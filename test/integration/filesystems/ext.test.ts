import { link, mkdir, open, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileSystem } from '../../../src-main/engine/filesystems/detect';
import { ExtFileSystem } from '../../../src-main/engine/filesystems/ext/ext-filesystem';
import type { FileSystem, FsEntry } from '../../../src-main/engine/filesystems/filesystem';
import { FileReader } from '../../../src-main/engine/io/file-reader';
import {
  hostTree,
  readAll,
  scratchDir,
  seededBytes,
  sha256,
  tool,
  walkAll,
  type HostEntry,
} from './fs-fixtures';

const MiB = 1024 * 1024;
const SPARSE_SIZE = 66 * MiB;
/** Names a Linux guest can hold and a restore must bring back byte for byte. */
const ODD_NAMES = [
  'with space.txt',
  "it's.txt",
  'say "hi".txt',
  'emoji 🎉.txt',
  'ünïcödé ✓ 日本.txt',
  'new\nline.txt',
  'tab\tname',
  '-dash',
  'x'.repeat(255),
];

/** A source tree exercising every path of the reader: mkfs.ext4 -d copies it into the image. */
async function buildSourceTree(root: string): Promise<void> {
  await writeFile(join(root, 'hello.txt'), 'hello\n');
  await writeFile(join(root, 'empty'), '');
  const deep = join(root, 'deep/a/b/c/d/e/f/g/h/i/j/k/l');
  await mkdir(deep, { recursive: true });
  await writeFile(join(deep, 'deep.txt'), 'deep down\n');
  await mkdir(join(root, 'names'));
  for (const [i, name] of ODD_NAMES.entries())
    await writeFile(join(root, 'names', name), `odd ${i}\n`);
  await link(join(root, 'hello.txt'), join(root, 'deep/hard-link.txt'));
  await symlink('hello.txt', join(root, 'fast-link'));
  await symlink(`${'long/'.repeat(30)}target`, join(root, 'slow-link'));
  await mkdir(join(root, 'small'));
  for (let i = 0; i < 5; i++)
    await writeFile(join(root, 'small', `tiny-${i}`), `tiny file ${i}`.repeat(i * 5));
  await writeFile(join(root, 'random.bin'), seededBytes(7, MiB + 12345));
  // 66 MiB with three islands of data: holes in extents; past 64.3 MiB, 1 KiB-block ext2 needs
  // triple indirect blocks.
  const sparse = await open(join(root, 'sparse.img'), 'w');
  await sparse.write('head', 0);
  await sparse.write('middle', 33 * MiB);
  await sparse.write('tail', SPARSE_SIZE - 4);
  await sparse.close();
}

interface DebugfsRow {
  inode: number;
  mode: number;
  uid: number;
  gid: number;
  name: string;
  size: number | null;
}

/** `ls -p` of many directories in one debugfs run, by inode number (no path quoting issues). */
async function debugfsListings(
  image: string,
  dirs: number[],
  scratch: string,
): Promise<Map<number, DebugfsRow[]>> {
  const cmdFile = join(scratch, 'debugfs-cmds');
  await writeFile(cmdFile, dirs.map((d) => `ls -p <${d}>\n`).join(''));
  const out = (await tool('debugfs', ['-f', cmdFile, image])).toString('utf8');
  const result = new Map<number, DebugfsRow[]>();
  for (const section of out.split(/^debugfs: ls -p </m).slice(1)) {
    const dir = Number.parseInt(section, 10);
    const rows: DebugfsRow[] = [];
    for (const m of section.matchAll(/\/(\d+)\/([0-7]+)\/(\d+)\/(\d+)\/([^/]*)\/(\d*)\/\n/g)) {
      // Skip '.', '..' and the empty (inode 0) slots debugfs shows for htree nodes and free space.
      if (m[5] === '.' || m[5] === '..' || m[1] === '0') continue;
      rows.push({
        inode: Number(m[1]),
        mode: Number.parseInt(m[2]!, 8),
        uid: Number(m[3]),
        gid: Number(m[4]),
        name: m[5]!,
        size: m[6] === '' ? null : Number(m[6]),
      });
    }
    result.set(dir, rows);
  }
  return result;
}

function rowOf(e: FsEntry): DebugfsRow {
  return {
    inode: e.id,
    mode: e.mode!,
    uid: e.uid!,
    gid: e.gid!,
    name: e.name,
    size: e.type === 'dir' ? null : e.size,
  };
}

const byName = (a: { name: string }, b: { name: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

const VARIANTS = [
  {
    name: 'ext4 (4 KiB blocks, extents, 64bit, metadata_csum)',
    mkfs: 'mkfs.ext4',
    args: [],
    expect: 'ext4',
  },
  {
    name: 'ext4 (1 KiB blocks, inline_data)',
    mkfs: 'mkfs.ext4',
    args: ['-b', '1024', '-O', 'inline_data'],
    expect: 'ext4',
  },
  { name: 'ext3 (journal, indirect blocks)', mkfs: 'mkfs.ext3', args: [], expect: 'ext3' },
  {
    name: 'ext2 (1 KiB blocks, 128-byte inodes)',
    mkfs: 'mkfs.ext2',
    args: ['-b', '1024', '-I', '128'],
    expect: 'ext2',
  },
] as const;

describe('ext2/3/4 reader against e2fsprogs', () => {
  let scratch: { path: string; remove: () => Promise<void> };
  let source: string;
  let host: Map<string, HostEntry>;
  const hostHashes = new Map<string, string>();

  beforeAll(async () => {
    scratch = await scratchDir('ext');
    source = join(scratch.path, 'src');
    await mkdir(source);
    await buildSourceTree(source);
    host = await hostTree(source);
    for (const [path, entry] of host) {
      if (entry.type === 'file') hostHashes.set(path, sha256(await readFile(join(source, path))));
    }
  });
  afterAll(() => scratch?.remove());

  describe.each(VARIANTS)('$name', (variant) => {
    let image: string;
    let fs: FileSystem;
    let entries: FsEntry[];

    beforeAll(async () => {
      image = join(scratch.path, `${variant.expect}-${variant.args.join('')}.img`);
      const uuid = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
      await tool(variant.mkfs, [
        '-q',
        '-F',
        '-L',
        'hk-test',
        '-U',
        uuid,
        ...variant.args,
        '-d',
        source,
        image,
        '128M',
      ]);
      fs = await openFileSystem(await FileReader.open(image));
      entries = await walkAll(fs);
    });
    afterAll(() => fs?.close());

    it('is detected with its label, UUID and variant', () => {
      expect(fs.kind).toBe('ext');
      expect(fs.variant).toBe(variant.expect);
      expect(fs.label).toBe('hk-test');
      expect(fs.uuid).toBe('0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9');
      // Its own count of what it holds (cataloging's "about N %"): every inode walked, once.
      expect(fs.entriesInUse).toBe(new Set(entries.map((e) => e.id)).size);
    });

    it('lists every directory exactly as debugfs does', async () => {
      const dirs = entries.filter((e) => e.type === 'dir');
      const listings = await debugfsListings(
        image,
        dirs.map((d) => d.id),
        scratch.path,
      );
      for (const dir of dirs) {
        const ours = (await fs.listDir(dir)).map(rowOf).sort(byName);
        expect(ours, dir.path).toEqual([...listings.get(dir.id)!].sort(byName));
      }
    });

    it('finds every file of the source tree with its type, size, time and bytes', async () => {
      const byPath = new Map(entries.map((e) => [e.path, e]));
      for (const [path, want] of host) {
        const got = byPath.get(path);
        expect(got, path).toBeDefined();
        expect(got!.type, path).toBe(want.type);
        expect(Math.floor(got!.mtime!.getTime() / 1000), path).toBe(
          Math.floor(want.mtimeMs / 1000),
        );
        if (want.type === 'symlink') expect(got!.symlinkTarget, path).toBe(want.target);
        if (want.type !== 'file') continue;
        expect(got!.size, path).toBe(want.size);
        const ours = await readAll(fs, got!);
        expect(sha256(ours), path).toBe(hostHashes.get(path));
      }
      // Nothing extra besides what mkfs adds.
      const extra = entries.filter(
        (e) => e.path !== '/' && !host.has(e.path) && !e.path.startsWith('/lost+found'),
      );
      expect(extra.map((e) => e.path)).toEqual([]);
    });

    it('gives the same extents without waiting wherever it can (the catalog walk uses that)', async () => {
      let ready = 0;
      for (const entry of entries.filter((e) => e.type === 'file')) {
        // The walk parsed the folder's inodes just before; listing it again does the same here.
        const parent = await fs.lookup(entry.path.slice(0, entry.path.lastIndexOf('/')) || '/');
        await fs.listDir(parent);
        const now = fs.extentsIfReady(entry);
        if (now === undefined) continue;
        ready++;
        expect(now, entry.path).toEqual(await fs.extents(entry));
      }
      // ext4's small files keep their extents in the inode; ext2/3 map blocks through pointers.
      if (variant.expect === 'ext4') expect(ready).toBeGreaterThan(15);
      else expect(ready).toBe(0);
    });

    it('maps hard links to one inode and sparse files to holes', async () => {
      const hello = await fs.lookup('/hello.txt');
      const hard = await fs.lookup('/deep/hard-link.txt');
      expect(hard.id).toBe(hello.id);
      expect(hello.nlink).toBe(2);
      const sparse = await fs.lookup('/sparse.img');
      expect(sparse.flags.sparse).toBe(true);
      const extents = await fs.extents(sparse);
      const stored = extents.filter((e) => e.kind === 'data').reduce((n, e) => n + e.length, 0);
      expect(stored).toBeLessThan(64 * 1024);
      expect(extents.some((e) => e.kind === 'hole' && e.length > 30 * MiB)).toBe(true);
      // Reading at an offset inside the file, across a hole boundary.
      const around = await fs.read(sparse, 33 * MiB - 2, 10);
      expect(Buffer.from(around).toString('latin1')).toBe('\0\0middle\0\0');
    });
  });

  it('reads every file as debugfs rdump writes it', async () => {
    const image = join(scratch.path, 'rdump.img');
    await tool('mkfs.ext4', ['-q', '-F', '-d', source, image, '128M']);
    const out = join(scratch.path, 'rdump');
    await mkdir(out);
    await tool('debugfs', ['-R', `rdump / ${out}`, image]);
    const fs = await openFileSystem(await FileReader.open(image));
    try {
      for (const entry of await walkAll(fs)) {
        if (entry.type !== 'file') continue;
        const dumped = await readFile(join(out, entry.path));
        expect(sha256(await readAll(fs, entry)), entry.path).toBe(sha256(dumped));
      }
    } finally {
      await fs.close();
    }
  });

  it('reads a hash-tree (htree) directory with index nodes', async () => {
    const dir = join(scratch.path, 'htree-src');
    await mkdir(join(dir, 'big'), { recursive: true });
    // Long names fill 1 KiB leaf blocks fast: 600 of them need a second level of dx nodes.
    const names = Array.from(
      { length: 600 },
      (_, i) => `entry-${String(i).padStart(5, '0')}-${'n'.repeat(230)}`,
    );
    for (const name of names) await writeFile(join(dir, 'big', name), '');
    const image = join(scratch.path, 'htree.img');
    await tool('mkfs.ext4', ['-q', '-F', '-b', '1024', '-d', dir, image, '16M']);
    // e2fsck -D rebuilds large directories as hash trees (mke2fs -d writes them linear).
    await tool('e2fsck', ['-fyD', image]).catch(() => undefined);
    const htree = (await tool('debugfs', ['-R', 'htree /big', image])).toString();
    expect(htree).toContain('Indirect levels: 1');
    const fs = await openFileSystem(await FileReader.open(image));
    try {
      const listed = await fs.listDir(await fs.lookup('/big'));
      expect(listed.map((e) => e.name).sort()).toEqual(names);
      const big = await fs.lookup('/big');
      const listings = await debugfsListings(image, [big.id], scratch.path);
      expect(listed.map(rowOf).sort(byName)).toEqual(listings.get(big.id)!.sort(byName));
    } finally {
      await fs.close();
    }
  });

  it('rejects broken superblocks and inode numbers with errors naming the structure', async () => {
    const image = join(scratch.path, 'broken.img');
    await tool('mkfs.ext4', ['-q', '-F', image, '8M']);
    const fh = await open(image, 'r+');
    const superblock = Buffer.alloc(1024);
    await fh.read(superblock, 0, 1024, 1024);
    const patched = async (offset: number, value: number): Promise<unknown> => {
      const copy = Buffer.from(superblock);
      copy.writeUInt32LE(value, offset);
      await fh.write(copy, 0, 1024, 1024);
      const reader = await FileReader.open(image);
      try {
        return await ExtFileSystem.open(reader);
      } catch (err) {
        return err;
      } finally {
        await reader.close();
      }
    };
    await expect(patched(56, 0x1234)).resolves.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^ext: superblock has magic 0x1234/),
    });
    await expect(patched(24, 9)).resolves.toMatchObject({
      message: expect.stringContaining('block size out of range'),
    });
    await fh.write(superblock, 0, 1024, 1024);
    await fh.close();
    const fs = await ExtFileSystem.open(await FileReader.open(image));
    await expect(fs.inode(1 << 30)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('out of range'),
    });
    await fs.close();
  });
});
