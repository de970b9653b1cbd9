/**
 * The ext delta walk on its own: an image walked whole (recording its basis), changed by debugfs,
 * then walked by delta from the bytes that differ. The basis tree with the delta's listings laid
 * over it must be the new image's tree as a full walk lists it, entry by entry, and the delta's
 * next basis must serve the following change as well.
 */
import { copyFile, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtFileSystem } from '../../../../src-main/engine/filesystems/ext/ext-filesystem';
import {
  walkInodeDelta,
  type DeltaListing,
} from '../../../../src-main/engine/filesystems/inode-delta';
import {
  WalkBasisRecorder,
  type WalkBasis,
} from '../../../../src-main/engine/filesystems/walk-basis';
import type { FsEntry } from '../../../../src-main/engine/filesystems/filesystem';
import { FileReader } from '../../../../src-main/engine/io/file-reader';
import { rangesTouch, type ByteRange } from '../../../../src-main/engine/repository/disk-map';
import { run } from '../../../harness/exec';

/** Children by name of every folder, by folder path. */
type Tree = Map<string, Map<string, FsEntry>>;

let dir: string;
let image: string;

const parentOf = (path: string) => path.slice(0, Math.max(1, path.lastIndexOf('/')));

/** A full walk of the image: its tree and the basis it leaves. */
async function walkWhole(path: string): Promise<{ tree: Tree; basis: WalkBasis }> {
  const fs = await ExtFileSystem.open(await FileReader.open(path));
  const recorder = new WalkBasisRecorder();
  fs.recordMetadataReads(recorder.onRead);
  const tree: Tree = new Map();
  const ids = new Map<string, number>();
  try {
    const folders = fs.walkFolders({
      onDirectoryError: (failed) => {
        recorder.addBroken(failed.id);
        return true;
      },
    });
    for await (const entries of folders) {
      const first = entries[0];
      if (!first) continue;
      const isRoot = first.path === '/';
      const parent = isRoot ? 0 : ids.get(parentOf(first.path))!;
      if (!isRoot) tree.set(parentOf(first.path), new Map(entries.map((e) => [e.name, e])));
      for (const e of entries) {
        if (e.type === 'dir') {
          ids.set(e.path, e.id);
          if (!tree.has(e.path)) tree.set(e.path, new Map());
        }
        if (e.type === 'file') await fs.extents(e);
        recorder.addEntry(e.id, parent, e.type === 'dir' ? e.name : undefined);
      }
    }
    return { tree, basis: recorder.finish(await fs.walkFingerprint())! };
  } finally {
    await fs.close();
  }
}

/** 4 KiB blocks that differ between two images. */
async function differing(a: string, b: string): Promise<ByteRange[]> {
  const [x, y] = [await readFile(a), await readFile(b)];
  const out: ByteRange[] = [];
  for (let at = 0; at < x.length; at += 4096)
    if (!x.subarray(at, at + 4096).equals(y.subarray(at, at + 4096))) {
      const last = out.at(-1);
      if (last && last.offset + last.length === at) last.length += 4096;
      else out.push({ offset: at, length: 4096 });
    }
  return out;
}

/** The basis tree with the delta's listings laid over it (volume-delta.ts's meaning). */
function apply(tree: Tree, listings: DeltaListing[]): Tree {
  const out: Tree = new Map([...tree].map(([k, v]) => [k, new Map(v)]));
  const dropSubtree = (path: string) => {
    for (const key of [...out.keys()])
      if (key === path || key.startsWith(`${path}/`)) out.delete(key);
  };
  for (const { dir, children } of listings) {
    const now = new Map(children.map((c) => [c.name, c]));
    for (const [name, old] of out.get(dir.path) ?? []) {
      const fresh = now.get(name);
      if (old.type === 'dir' && (fresh?.type !== 'dir' || fresh.id !== old.id))
        dropSubtree(old.path);
    }
    out.set(dir.path, now);
    for (const c of children) if (c.type === 'dir' && !out.has(c.path)) out.set(c.path, new Map());
  }
  return out;
}

const view = (tree: Tree) =>
  [...tree]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, kids]) => ({
      path,
      children: [...kids.values()]
        .map((e) => ({ ...e, atime: undefined }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    }));

/** Changes the image with debugfs, walks it by delta from `basis`, checks it against a full walk. */
async function changeAndCompare(
  basis: WalkBasis,
  tree: Tree,
  commands: string[],
  rawChange?: () => Promise<void>,
): Promise<{ basis: WalkBasis; tree: Tree; listings: DeltaListing[]; failed: string[] }> {
  const before = join(dir, 'before.raw');
  await copyFile(image, before);
  await writeFile(join(dir, 'cmd'), `${commands.join('\n')}\n`);
  await run('debugfs', ['-w', '-f', join(dir, 'cmd'), image]);
  await rawChange?.();
  const failed: string[] = [];
  const fs = await ExtFileSystem.open(await FileReader.open(image));
  const old = await FileReader.open(before);
  const now = await FileReader.open(image);
  try {
    const changed = await differing(before, image);
    const result = await walkInodeDelta({
      fs,
      before: old,
      after: now,
      mayDiffer: (offset, length) => rangesTouch(changed, offset, length),
      basis,
      maxEntries: 1e6,
      onFolderError: (folder) => failed.push(folder.path),
      onListing: async ({ children }) => {
        for (const c of children) if (c.type === 'file') await fs.extents(c);
      },
    });
    const whole = await walkWhole(image);
    expect(view(apply(tree, result.listings))).toEqual(view(whole.tree));
    return { basis: result.basis, tree: whole.tree, listings: result.listings, failed };
  } finally {
    await fs.close();
    await old.close();
    await now.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-ext-delta-'));
  const root = join(dir, 'tree');
  for (let i = 0; i < 300; i++) {
    await mkdir(join(root, `d${i % 7}`, `s${i % 3}`), { recursive: true });
    await writeFile(join(root, `d${i % 7}`, `s${i % 3}`, `f${i}`), `${i}`.repeat(i));
  }
  await mkdir(join(root, 'moving/inner'), { recursive: true });
  await writeFile(join(root, 'moving/inner/x'), 'x');
  image = join(dir, 'fs.raw');
  await run('truncate', ['-s', '32M', image]);
  await run('mkfs.ext4', ['-q', '-F', '-b', '1024', '-d', root, image]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ext delta walk', () => {
  it('lists only what changed, and equals a full walk after files and folders change', async () => {
    const first = await walkWhole(image);
    await writeFile(join(dir, 'payload'), 'p'.repeat(5000));
    const step = await changeAndCompare(first.basis, first.tree, [
      `write ${join(dir, 'payload')} /d1/s1/new`,
      'rm /d2/s2/f2',
      'set_inode_field /d3/s0/f3 mtime 20200101000000',
      'mkdir /d4/s1/fresh',
      `write ${join(dir, 'payload')} /d4/s1/fresh/inside`,
      'ln /moving /moved',
      'unlink /moving',
      'unlink /d5/s2',
    ]);
    const paths = step.listings.map((l) => l.dir.path).sort();
    // The folders where something came, went or changed, and the new ones: not the others.
    expect(paths).toEqual(
      expect.arrayContaining([
        '/',
        '/d1/s1',
        '/d2/s2',
        '/d3/s0',
        '/d4/s1',
        '/d4/s1/fresh',
        '/moved',
        '/moved/inner',
        '/d5',
      ]),
    );
    expect(paths).not.toContain('/d6/s0');
    expect(paths.length).toBeLessThan(15);

    // The next basis serves the next delta as well as a full walk's would.
    await changeAndCompare(step.basis, step.tree, [
      `write ${join(dir, 'payload')} /moved/inner/y`,
      // debugfs's ln changes the folder's blocks but not its inode: found through the blocks
      // the previous delta recorded for the folder it listed.
      'ln /d0/s0/f0 /moved/inner/hard-link',
      'rm /d1/s1/new',
      'set_inode_field /d6/s0 mtime 20210101000000',
    ]);
  });

  it('keeps a folder that cannot be read empty, as a full walk does, and lists it once repaired', async () => {
    const first = await walkWhole(image);
    // A child's inode garbled: the folder's listing fails. Its own blocks never change, so only
    // the basis's note of the broken folder brings it back once the inode is repaired.
    const { stdout } = await run('debugfs', ['-R', 'imap /d6/s1/f13', image]);
    const [, block, offset] = /located at block (\d+), offset (0x[0-9a-f]+)/.exec(stdout)!;
    const at = Number(block) * 1024 + Number(offset);
    const fh = await open(image, 'r+');
    const original = Buffer.alloc(256);
    await fh.read(original, 0, 256, at);
    const broken = await changeAndCompare(first.basis, first.tree, [], async () => {
      await fh.write(Buffer.alloc(256, 0xff), 0, 256, at);
    });
    expect(broken.failed).toEqual(['/d6/s1']);
    expect(broken.tree.get('/d6/s1')?.size).toBe(0);
    const repaired = await changeAndCompare(broken.basis, broken.tree, [], async () => {
      await fh.write(original, 0, 256, at);
      await fh.close();
    });
    expect(repaired.failed).toEqual([]);
    expect(repaired.tree.get('/d6/s1')?.size).toBeGreaterThan(10);
  });

  it('gives nothing to list when nothing changed', async () => {
    const first = await walkWhole(image);
    const step = await changeAndCompare(first.basis, first.tree, []);
    expect(step.listings).toEqual([]);
  });

  it('leaves a folder reached by two paths (a damaged tree) to a full walk', async () => {
    const first = await walkWhole(image);
    await expect(
      changeAndCompare(first.basis, first.tree, ['ln /d0/s0 /d1/second-path']),
    ).rejects.toThrow(/reached by two paths/);
    await run('debugfs', ['-w', '-R', 'unlink /d1/second-path', image]);
  });
});
