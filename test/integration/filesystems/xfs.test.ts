/**
 * The XFS reader on images made by mkfs.xfs from a prototype file: every directory lists as
 * xfs_db lists it (shortform, block, leaf and node directories), every file reads back equal to
 * its source, symlinks (inline and remote) and devices come out as such, on v5 (the default of
 * RHEL, Rocky and Alma) and on v4 file systems.
 */
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileSystem } from '../../../src-main/engine/filesystems/detect';
import type { FileSystem, FsEntry } from '../../../src-main/engine/filesystems/filesystem';
import { FileReader } from '../../../src-main/engine/io/file-reader';
import { readAll, scratchDir, seededBytes, sha256, tool, walkAll } from './fs-fixtures';
import {
  mkfsXfsFromProto,
  xfsDbBmapOffsets,
  xfsDbField,
  xfsDbListings,
  type ProtoNode,
} from './xfs-fixtures';

const MiB = 1024 * 1024;
/** Directory byte offsets where the hash index (leaf) and the free index (node) begin. */
const LEAF_OFFSET = 32 * 1024 ** 3;
const FREE_OFFSET = 64 * 1024 ** 3;
/** Names a Linux guest can hold (and a proto file can carry: no spaces or colons). */
const ODD_NAMES = [
  'emoji🎉.txt',
  'ünïcödé✓日本.txt',
  "it's.txt",
  'say"hi".txt',
  '-dash',
  'x'.repeat(255),
  'ü'.repeat(127), // 254 bytes of UTF-8
];
/** 605 bytes: past the inode, in a block of its own. */
const REMOTE_TARGET = `${'long/'.repeat(120)}target`;
/** 306 bytes: still inside a v5 inode's 336-byte data fork. */
const LONG_INLINE_TARGET = `${'long/'.repeat(60)}target`;

let scratch: { path: string; remove: () => Promise<void> };
let src: string;
const started = Date.now();

/** Source files on the host and the prototype tree that copies them into the image. */
async function buildSources(
  src: string,
  slowTarget: string,
  leafEntries: number,
): Promise<ProtoNode[]> {
  const file = async (name: string, content: string | Uint8Array): Promise<string> => {
    const path = join(src, name);
    await writeFile(path, content);
    return path;
  };
  const sparse = await open(join(src, 'sparse-src'), 'w');
  await sparse.write('head', 0);
  await sparse.write('middle', 3 * MiB);
  await sparse.write('tail', 8 * MiB - 4);
  await sparse.close();
  const empty = await file('empty-src', '');
  const entries = (prefix: string, n: number): ProtoNode[] =>
    Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${i}`, kind: 'file', source: empty }));
  let deep: ProtoNode[] = [
    { name: 'deep.txt', kind: 'file', source: await file('deep-src', 'deep down\n') },
  ];
  for (const part of 'lkjihgfedcba') deep = [{ name: part, kind: 'dir', children: deep }];
  const names: ProtoNode[] = [];
  for (const [i, name] of ODD_NAMES.entries())
    names.push({ name, kind: 'file', source: await file(`odd-${i}`, `odd ${i}\n`) });
  return [
    {
      name: 'hello.txt',
      kind: 'file',
      source: await file('hello-src', 'hello\n'),
      mode: 0o640,
      uid: 1000,
      gid: 100,
    },
    { name: 'empty', kind: 'file', source: empty },
    {
      name: 'random.bin',
      kind: 'file',
      source: await file('random-src', seededBytes(7, MiB + 12345)),
    },
    { name: 'sparse.img', kind: 'file', source: join(src, 'sparse-src') },
    { name: 'deep', kind: 'dir', children: deep },
    { name: 'names', kind: 'dir', children: names },
    { name: 'short', kind: 'dir', children: entries('s', 3) },
    { name: 'block', kind: 'dir', children: entries('entry', 40) },
    { name: 'leaf', kind: 'dir', children: entries('leaf-entry', leafEntries) },
    { name: 'node', kind: 'dir', children: entries('a-longer-name-for-node-entries', 3000) },
    { name: 'fast', kind: 'symlink', target: 'hello.txt' },
    { name: 'slow', kind: 'symlink', target: slowTarget },
    { name: 'null', kind: 'chardev', major: 1, minor: 3 },
    { name: 'sda', kind: 'blockdev', major: 8, minor: 0 },
    { name: 'pipe', kind: 'fifo' },
  ];
}

/** The prototype as path → what the reader must report. */
function expectedTree(nodes: ProtoNode[], prefix = '', out = new Map<string, ProtoNode>()) {
  for (const n of nodes) {
    const path = `${prefix}/${n.name}`;
    out.set(path, n);
    if (n.kind === 'dir') expectedTree(n.children, path, out);
  }
  return out;
}

function typeOf(n: ProtoNode): FsEntry['type'] {
  return n.kind === 'file' || n.kind === 'dir' || n.kind === 'symlink' ? n.kind : 'other';
}

const XFS_DB_TYPES: Record<string, FsEntry['type']> = {
  regular: 'file',
  directory: 'dir',
  symlink: 'symlink',
};

beforeAll(async () => {
  scratch = await scratchDir('xfs');
  src = join(scratch.path, 'src');
  await mkdir(src);
});
afterAll(() => scratch?.remove());

/**
 * mkfs.xfs 6.1 -p writes a v5 remote symlink without its block header (xfs_repair flags it as a
 * CRC error), so on v5 the remote symlink is tested on a mounted image (xfs-mounted.test.ts).
 */
describe.each([
  {
    title: 'v5',
    version: 'v5',
    blockSize: 4096,
    leafEntries: 300,
    mkfsArgs: ['-L', 'hk-root'],
    slowTarget: LONG_INLINE_TARGET,
  },
  {
    // A directory block spans eight file-system blocks (and may span several extents).
    title: 'v5 with 1 KiB blocks and 8 KiB directory blocks',
    version: 'v5',
    blockSize: 1024,
    leafEntries: 700, // more than one 8 KiB block of entries, fewer than a leaf block holds
    mkfsArgs: ['-L', 'hk-root', '-b', 'size=1024', '-n', 'size=8192'],
    slowTarget: LONG_INLINE_TARGET,
  },
  {
    // 64-bit extent counters: the inode keeps its extent count in the former padding.
    title: 'v5 with nrext64',
    version: 'v5',
    blockSize: 4096,
    leafEntries: 300,
    mkfsArgs: ['-L', 'hk-root', '-i', 'nrext64=1'],
    slowTarget: LONG_INLINE_TARGET,
  },
  {
    title: 'v4',
    version: 'v4',
    blockSize: 4096,
    leafEntries: 300,
    mkfsArgs: ['-L', 'hk-root', '-m', 'crc=0'],
    slowTarget: REMOTE_TARGET,
  },
])('XFS $title reader', ({ title, version, blockSize, leafEntries, mkfsArgs, slowTarget }) => {
  let tree: ProtoNode[];
  let image: string;
  let fs: FileSystem;
  let entries: FsEntry[];

  beforeAll(async () => {
    tree = await buildSources(src, slowTarget, leafEntries);
    image = join(scratch.path, `${title}.img`);
    await mkfsXfsFromProto(image, '96M', tree, join(scratch.path, `${title}.proto`), mkfsArgs);
    fs = await openFileSystem(await FileReader.open(image));
    entries = await walkAll(fs);
  });
  afterAll(() => fs?.close());

  it('describes the volume as xfs_db does', async () => {
    const uuid = /UUID = (\S+)/.exec(
      (await tool('xfs_db', ['-r', '-c', 'uuid', image])).toString(),
    );
    expect(fs).toMatchObject({
      kind: 'xfs',
      variant: `XFS ${version}`,
      label: 'hk-root',
      uuid: uuid?.[1],
      blockSize,
      totalBytes: 96 * MiB,
    });
    // Its own count (cataloging's "about N %"): every inode walked, plus the realtime bitmap
    // and summary inodes mkfs always allocates.
    expect(fs.entriesInUse).toBe(new Set(entries.map((e) => e.id)).size + 2);
  });

  it('walks the whole tree the prototype made, with types, sizes and link targets', async () => {
    const want = expectedTree(tree);
    expect(entries[0]).toMatchObject({ path: '/', type: 'dir' });
    const got = new Map(entries.slice(1).map((e) => [e.path, e]));
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [path, node] of want) {
      const entry = got.get(path)!;
      expect(entry.type, path).toBe(typeOf(node));
      if (node.kind === 'file') {
        const source = await readFile(node.source);
        expect(entry.size, path).toBe(source.length);
        expect(sha256(await readAll(fs, entry)), path).toBe(sha256(source));
      }
      if (node.kind === 'symlink') expect(entry.symlinkTarget, path).toBe(node.target);
      if (node.kind === 'dir')
        expect(entry.nlink, path).toBe(2 + node.children.filter((c) => c.kind === 'dir').length);
    }
  });

  it('lists every directory exactly as xfs_db does: names, inode numbers, types', async () => {
    const dirs = entries.filter((e) => e.type === 'dir');
    const listings = await xfsDbListings(
      image,
      dirs.map((d) => d.id),
    );
    for (const dir of dirs) {
      const ours = (await fs.listDir(dir))
        .map((e) => [e.name, e.id, e.type] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : 1));
      const theirs = (listings.get(dir.id) ?? [])
        .map((r) => [r.name, r.inode, XFS_DB_TYPES[r.type] ?? 'other'] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : 1));
      expect(ours, dir.path).toEqual(theirs);
    }
    expect(listings.get((await fs.lookup('/node')).id)).toHaveLength(3000);
  });

  it('reads every directory format: shortform, block, leaf and node', async () => {
    const id = async (path: string) => (await fs.lookup(path)).id;
    expect(await xfsDbField(image, await id('/short'), 'core.format')).toMatch(/local/);
    expect(await xfsDbBmapOffsets(image, await id('/block'))).toEqual([0]);
    const leaf = await xfsDbBmapOffsets(image, await id('/leaf'));
    const at = (offset: number) => offset / blockSize;
    expect(leaf.some((o) => o >= at(LEAF_OFFSET)) && !leaf.some((o) => o >= at(FREE_OFFSET))).toBe(
      true,
    );
    expect(
      (await xfsDbBmapOffsets(image, await id('/node'))).some((o) => o >= at(FREE_OFFSET)),
    ).toBe(true);
    expect((await fs.listDir(await fs.lookup('/leaf'))).map((e) => e.name).sort()).toEqual(
      Array.from({ length: leafEntries }, (_, i) => `leaf-entry-${i}`).sort(),
    );
  });

  it('keeps owners, modes, times and odd names', async () => {
    const hello = await fs.lookup('/hello.txt');
    expect(hello).toMatchObject({ mode: 0o100640, uid: 1000, gid: 100, size: 6, nlink: 1 });
    expect(hello.mtime!.getTime()).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    expect(hello.mtime!.getTime()).toBeLessThanOrEqual(Date.now());
    if (version === 'v5') expect(hello.birthtime).toEqual(hello.ctime);
    for (const [i, name] of ODD_NAMES.entries()) {
      const entry = await fs.lookup(`/names/${name}`);
      expect(entry.name).toBe(name);
      expect((await readAll(fs, entry)).toString()).toBe(`odd ${i}\n`);
    }
    expect(await fs.lookup('/null')).toMatchObject({ type: 'other', mode: 0o20644, size: 0 });
    expect(await fs.extents(await fs.lookup('/null'))).toEqual([]);
    await expect(fs.lookup('/names/missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reads any byte range of a file, and nothing past its end', async () => {
    const random = await fs.lookup('/random.bin');
    const all = seededBytes(7, MiB + 12345);
    expect(Buffer.from(await fs.read(random, 4000, 70_000))).toEqual(
      Buffer.from(all.subarray(4000, 74_000)),
    );
    expect(await fs.read(random, all.length - 10, 100)).toHaveLength(10);
    expect(await fs.read(random, all.length + 1, 100)).toHaveLength(0);
  });
});

describe('XFS structures the reader refuses', () => {
  it('names a v5 symlink block that lacks its header instead of returning its bytes', async () => {
    const image = join(scratch.path, 'headerless-symlink.img');
    const root: ProtoNode[] = [{ name: 'slow', kind: 'symlink', target: REMOTE_TARGET }];
    await mkfsXfsFromProto(image, '32M', root, join(scratch.path, 'headerless.proto'));
    const fs = await openFileSystem(await FileReader.open(image));
    try {
      await expect(fs.listDir(await fs.root())).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(
          /^XFS: symlink inode \d+ block \d+ has no symlink block magic \(XSLM\)$/,
        ),
      });
    } finally {
      await fs.close();
    }
  });
});
