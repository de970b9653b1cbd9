import { existsSync } from 'node:fs';
import { link, mkdir, open, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileSystem } from '../../../src-main/engine/filesystems/detect';
import type { FileSystem, FsEntry } from '../../../src-main/engine/filesystems/filesystem';
import { FileReader } from '../../../src-main/engine/io/file-reader';
import {
  fuseAvailable,
  readAll,
  scratchDir,
  seededBytes,
  sha256,
  tool,
  walkAll,
} from './fs-fixtures';

const MiB = 1024 * 1024;
const UNICODE = 'ünïcödé ✓ 日本 🎉.txt';
const FIXED_MTIME = new Date('2021-03-04T05:06:07.123Z');
/** ntfs-3g marks a directory compressed through this extended attribute (big-endian attributes). */
const COMPRESSED_ATTR = 0x800;
/** Hard links and streams enough that the file's $ATTRIBUTE_LIST leaves its record (~15 KiB). */
const MANY_LINKS = 300;
const MANY_STREAMS = 100;
/** ntfs-3g stores a symlink this long as an Interix symlink: non-resident $DATA, not a reparse point. */
const LONG_TARGET = `${'up/'.repeat(1000)}end`;

/** Sets FILE_ATTRIBUTE_COMPRESSED on a directory of a mounted volume; false if no tool can. */
async function markCompressed(dir: string): Promise<boolean> {
  const value = COMPRESSED_ATTR.toString(16).padStart(8, '0');
  if (existsSync('/usr/bin/setfattr')) {
    await tool('setfattr', ['-n', 'system.ntfs_attrib_be', '-v', `0x${value}`, dir]);
    return true;
  }
  const script = `import os,sys; os.setxattr(sys.argv[1], 'system.ntfs_attrib_be', bytes.fromhex('${value}'))`;
  return tool('python3', ['-c', script, dir]).then(
    () => true,
    () => false,
  );
}

/** Files of the volume through ntfs-3g's FUSE mount: directories, links, streams, compression. */
async function populateMounted(image: string, mnt: string): Promise<{ compressed: boolean }> {
  await mkdir(mnt);
  await tool('ntfs-3g', ['-o', 'streams_interface=windows', image, mnt]);
  try {
    await writeFile(join(mnt, 'hello.txt'), 'hello\n');
    await writeFile(join(mnt, 'hello.txt:stream1'), 'alternate data\n');
    await writeFile(join(mnt, 'empty.txt'), '');
    await writeFile(join(mnt, UNICODE), 'unicode\n');
    await writeFile(join(mnt, 'big.bin'), seededBytes(3, 3 * MiB + 17));
    await mkdir(join(mnt, 'dir/sub/deeper'), { recursive: true });
    await writeFile(join(mnt, 'dir/sub/deeper/deep.txt'), 'deep\n');
    await link(join(mnt, 'hello.txt'), join(mnt, 'dir/hard-link.txt'));
    await symlink('dir/sub', join(mnt, 'link-to-sub'));
    const sparse = await open(join(mnt, 'sparse.bin'), 'w');
    await sparse.truncate(20 * MiB);
    await sparse.write('middle', 10 * MiB);
    await sparse.close();
    // Enough long names to push the directory index out of $INDEX_ROOT into a B+tree of INDX blocks.
    await mkdir(join(mnt, 'many'));
    for (let i = 0; i < 400; i++)
      await writeFile(join(mnt, 'many', `a-rather-long-file-name-number-${i}.txt`), `${i}\n`);
    await utimes(join(mnt, 'hello.txt'), FIXED_MTIME, FIXED_MTIME);
    await mkdir(join(mnt, 'links'));
    await writeFile(join(mnt, 'links/target.txt'), 'linked\n');
    for (let i = 0; i < MANY_LINKS; i++)
      await link(
        join(mnt, 'links/target.txt'),
        join(mnt, 'links', `hard-link-with-a-long-name-${i}.txt`),
      );
    for (let i = 0; i < MANY_STREAMS; i++)
      await writeFile(join(mnt, `links/target.txt:stream-${i}`), `stream ${i}\n`);
    await symlink(LONG_TARGET, join(mnt, 'links/long-symlink'));
    await mkdir(join(mnt, 'packed'));
    const compressed = await markCompressed(join(mnt, 'packed'));
    if (compressed)
      await writeFile(join(mnt, 'packed/text.txt'), 'compress me please '.repeat(30000));
    return { compressed };
  } finally {
    await tool('fusermount', ['-u', mnt]).catch(() => tool('umount', [mnt]));
    await ntfs3gGone(image);
  }
}

/**
 * `fusermount -u` returns before the ntfs-3g daemon has written its last blocks and exited; reading
 * the image before then sees a half-written compressed file now and then. Wait for the daemon.
 */
async function ntfs3gGone(image: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const holders = await tool('pgrep', ['-f', `ntfs-3g .*${image}`]).catch(() => '');
    if (String(holders).trim() === '') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Without FUSE only root files can be written, by ntfscp. */
async function populateWithNtfscp(image: string, scratch: string): Promise<void> {
  const put = async (name: string, data: string | Uint8Array, stream?: string): Promise<void> => {
    const src = join(scratch, 'ntfscp-src');
    await writeFile(src, data);
    await tool('ntfscp', ['-f', ...(stream ? ['-N', stream] : []), image, src, `/${name}`]);
  };
  await put('hello.txt', 'hello\n');
  await put('hello.txt', 'alternate data\n', 'stream1');
  await put('empty.txt', '');
  await put(UNICODE, 'unicode\n');
  await put('big.bin', seededBytes(3, 3 * MiB + 17));
}

interface NtfslsRow {
  id: number;
  size: number;
  name: string;
  dir: boolean;
}

/** `ntfsls -R -l -i -F`: a block per directory, "/path/:" then "inode size date name[/]". */
function parseNtfsls(text: string): Map<string, NtfslsRow[]> {
  const out = new Map<string, NtfslsRow[]>();
  let current: NtfslsRow[] | undefined;
  for (const line of text.split('\n')) {
    const header = /^(\/.*):$/.exec(line);
    if (header) {
      const path = header[1]!.length > 1 ? header[1]!.replace(/\/$/, '') : '/';
      current = [];
      out.set(path, current);
      continue;
    }
    const row = /^\s*(\d+)\s+(\d+)\s+\w{3}\s+\d+\s+\d\d:\d\d\s+\d{4} (.*)$/.exec(line);
    if (!row || !current) continue;
    const dir = row[3]!.endsWith('/');
    const name = dir ? row[3]!.slice(0, -1) : row[3]!;
    if (name === '.' || name === '..' || name.startsWith('$')) continue;
    current.push({ id: Number(row[1]), size: Number(row[2]), name, dir });
  }
  return out;
}

const byName = (a: { name: string }, b: { name: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

describe('NTFS reader against ntfs-3g tools', () => {
  const mounted = fuseAvailable();
  let scratch: { path: string; remove: () => Promise<void> };
  let image: string;
  let fs: FileSystem;
  let entries: FsEntry[];
  let compressed = false;

  beforeAll(async () => {
    scratch = await scratchDir('ntfs');
    image = join(scratch.path, 'ntfs.img');
    await tool('truncate', ['-s', '64M', image]);
    await tool('mkntfs', ['-F', '-f', '-q', '-s', '512', '-c', '4096', '-L', 'hk-ntfs', image]);
    if (mounted) ({ compressed } = await populateMounted(image, join(scratch.path, 'mnt')));
    else await populateWithNtfscp(image, scratch.path);
    fs = await openFileSystem(await FileReader.open(image));
    entries = await walkAll(fs);
  });
  afterAll(async () => {
    await fs?.close();
    await scratch?.remove();
  });

  it('is detected with its label, serial and version', () => {
    expect(fs.kind).toBe('ntfs');
    expect(fs.variant).toBe('NTFS 3.1');
    expect(fs.label).toBe('hk-ntfs');
    expect(fs.uuid).toMatch(/^[0-9A-F]{16}$/);
    expect(fs.blockSize).toBe(4096);
  });

  it('lists every directory as ntfsls does', async () => {
    const listings = parseNtfsls(
      (await tool('ntfsls', ['-R', '-l', '-i', '-F', image])).toString('utf8'),
    );
    const dirs = entries.filter((e) => e.type === 'dir');
    expect(dirs.map((d) => d.path).sort()).toEqual([...listings.keys()].sort());
    for (const dir of dirs) {
      const ours = (await fs.listDir(dir)).map((e) => ({
        id: e.id,
        size: e.size,
        name: e.name,
        dir: e.type === 'dir',
      }));
      expect(ours.sort(byName), dir.path).toEqual(listings.get(dir.path)!.sort(byName));
    }
  });

  it('reads every file and stream byte for byte as ntfscat does', async () => {
    // Each ntfscat run costs a process start: of the 400 look-alike files in /many, check a
    // sample, and of the 301 names of one file in /links (each with its 100 streams), one.
    const sample = entries.filter(
      (e) =>
        e.type !== 'dir' &&
        (!e.path.startsWith('/many/') || e.id % 50 === 0) &&
        (!e.path.startsWith('/links/hard-link-') || e.name === 'hard-link-with-a-long-name-7.txt'),
    );
    expect(sample.length).toBeGreaterThanOrEqual(4);
    for (const entry of sample) {
      const want = await tool('ntfscat', ['-i', String(entry.id), image]);
      expect(sha256(await readAll(fs, entry)), entry.path).toBe(sha256(want));
      for (const stream of entry.streams ?? []) {
        const wantStream = await tool('ntfscat', [
          '-i',
          String(entry.id),
          '-n',
          stream.name,
          image,
        ]);
        expect(
          Buffer.from(await readAll(fs, entry, stream.name)).equals(wantStream),
          `${entry.path}:${stream.name}`,
        ).toBe(true);
      }
    }
  });

  it('keeps small files resident, large ones in clusters, and lists alternate streams', async () => {
    const hello = await fs.lookup('/HELLO.TXT'); // Windows names match case-insensitively
    expect(hello.streams).toEqual([{ name: 'stream1', size: 15 }]);
    expect((await fs.extents(hello)).map((e) => e.kind)).toEqual(['inline']);
    const big = await fs.lookup('/big.bin');
    expect(big.size).toBe(3 * MiB + 17);
    expect((await fs.extents(big)).every((e) => e.kind === 'data')).toBe(true);
    expect(sha256(await readAll(fs, big))).toBe(sha256(seededBytes(3, 3 * MiB + 17)));
    const unicode = await fs.lookup(`/${UNICODE}`);
    expect(Buffer.from(await fs.read(unicode, 0, 100)).toString()).toBe('unicode\n');
    expect(hello.owner).toMatch(/^S-1-\d+(-\d+)+$/);
    expect(hello.aclSummary).toMatch(/^D:/);
  });

  describe.skipIf(!mounted)('with a FUSE-built tree', () => {
    it('shows hard links, symlinks, sparse files and exact times', async () => {
      const hello = await fs.lookup('/hello.txt');
      const hard = await fs.lookup('/dir/hard-link.txt');
      expect(hard.id).toBe(hello.id);
      expect(hello.nlink).toBe(2);
      // NTFS keeps 100 ns ticks; utimes() goes through floating-point seconds, so allow 1 ms.
      expect(Math.abs(hello.mtime!.getTime() - FIXED_MTIME.getTime())).toBeLessThanOrEqual(1);
      const link = await fs.lookup('/link-to-sub');
      expect(link).toMatchObject({ type: 'symlink', symlinkTarget: 'dir/sub' });
      const sparse = await fs.lookup('/sparse.bin');
      expect(sparse.flags.sparse).toBe(true);
      expect((await fs.extents(sparse)).some((e) => e.kind === 'hole')).toBe(true);
      expect(Buffer.from(await fs.read(sparse, 10 * MiB - 1, 8)).toString('latin1')).toBe(
        '\0middle\0',
      );
      const many = await fs.listDir(await fs.lookup('/many'));
      expect(many).toHaveLength(400);
    });

    it('reads a file whose attribute list left its record: every name, link and stream', async () => {
      const target = await fs.lookup('/links/target.txt');
      // The case is only a case if ntfs-3g really moved the list out of the record.
      const info = (await tool('ntfsinfo', ['-i', String(target.id), image])).toString('utf8');
      expect(info).toMatch(/\$ATTRIBUTE_LIST[^$]*Resident:\s+No/);
      expect(target.nlink).toBe(MANY_LINKS + 1);
      expect(target.streams).toHaveLength(MANY_STREAMS);
      const names = (await fs.listDir(await fs.lookup('/links'))).filter((e) => e.type === 'file');
      expect(names).toHaveLength(MANY_LINKS + 1);
      expect(new Set(names.map((e) => e.id))).toEqual(new Set([target.id]));
      expect(Buffer.from(await readAll(fs, target)).toString()).toBe('linked\n');
      const last = `stream-${MANY_STREAMS - 1}`;
      expect(Buffer.from(await readAll(fs, target, last)).toString()).toBe(
        `stream ${MANY_STREAMS - 1}\n`,
      );
      const long = await fs.lookup('/links/long-symlink');
      expect(long).toMatchObject({ type: 'symlink', symlinkTarget: LONG_TARGET });
    });

    it('decompresses LZNT1-compressed files', async (ctx) => {
      if (!compressed) ctx.skip();
      const file = await fs.lookup('/packed/text.txt');
      expect(file.flags.compressed).toBe(true);
      expect((await fs.extents(file)).some((e) => e.kind === 'lznt1')).toBe(true);
      expect(Buffer.from(await readAll(fs, file)).toString()).toBe(
        'compress me please '.repeat(30000),
      );
    });
  });
});
