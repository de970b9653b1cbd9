/**
 * Incremental cataloging: a point whose volume's previous point left a walk basis is cataloged
 * from what changed (ext-delta.ts). It must give exactly the catalog and the file index a full
 * walk gives: each point here is cataloged both ways, on ext4 images changed by debugfs (files,
 * folders, renames, links, subtrees gone, a big folder) and by raw writes over the inode table.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, symlink, link, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogPoint } from '../../../src-main/engine/file-catalog/catalog-point';
import { decodePointIndex } from '../../../src-main/engine/file-catalog/point-index-object';
import type { PointManifest } from '../../../src-main/engine/repository/manifest';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { run } from '../../harness/exec';
import {
  catalogDump,
  openTempCatalog,
  type TempCatalog,
} from '../../unit/engine/file-catalog/temp-catalog';
import { initRepo, makeTempDir, writeImage } from '../repository/helpers';

const VM = { uuid: '5e1d0c3a-0000-4000-8000-00000000d001', name: 'delta-vm' };

let dir: string;
let image: string;
let repository: Repository;
/** Catalogs every point in turn: the second onwards by delta. */
let incremental: TempCatalog;

async function makeTree(root: string): Promise<void> {
  const put = async (path: string, content: string | Buffer) => {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  };
  await put('etc/hostname', 'delta-vm\n');
  await put('etc/fstab', '/dev/vda / ext4 defaults 0 1\n');
  for (let i = 0; i < 1200; i++) await put(`data/big/f${String(i).padStart(4, '0')}`, `${i}\n`);
  for (let i = 0; i < 1800; i++) await put(`usr/share/p${i % 40}/doc-${i}.txt`, `doc ${i}\n`);
  await put('data/keep.txt', 'keep\n');
  await put('data/replace-me', 'a file that becomes a folder\n');
  await put('data/folder-to-file/inside.txt', 'x\n');
  await put('Ünïcødé ☃/naïve “quotes” \\ back.txt', 'unicode\n');
  let deep = 'deep';
  for (let i = 0; i < 12; i++) deep += `/level-${i}`;
  await put(`${deep}/bottom.txt`, 'bottom\n');
  await put('old-name/sub/file.txt', 'renamed folder content\n');
  await put('empty.txt', '');
  await put('sparse.bin', '');
  await truncate(join(root, 'sparse.bin'), 8 * 1024 * 1024);
  await link(join(root, 'data/keep.txt'), join(root, 'etc/keep-link'));
  await symlink('../etc/hostname', join(root, 'data/short-link'));
  await symlink(`/${'long-target/'.repeat(10)}end`, join(root, 'data/long-link'));
}

/** Runs debugfs commands against the image, as a guest's kernel would change it. */
async function debugfs(commands: string[]): Promise<void> {
  const file = join(dir, 'debugfs.cmd');
  await writeFile(file, `${commands.join('\n')}\n`);
  await run('debugfs', ['-w', '-f', file, image]);
}

async function storePoint(): Promise<PointManifest> {
  const writer = await repository.startPoint({ vm: VM });
  await writeImage(writer, 'vda', image);
  return writer.commit({ consistency: 'crash-consistent' });
}

async function catalogWith(catalog: TempCatalog, manifest: PointManifest) {
  return catalogPoint({
    catalog: catalog.catalog,
    repository,
    repositoryName: 'r',
    manifest,
  });
}

/** The point's file index object as path → record (positions resolved to paths). */
async function indexTree(pointId: string): Promise<Map<string, string>> {
  const data = await repository.getFileIndex(pointId);
  const index = decodePointIndex(data!, pointId);
  const paths: string[] = [];
  const tree = new Map<string, string>();
  for (const { volume, record } of index.records()) {
    const path = record.parent < 0 ? '' : `${paths[record.parent]}/${record.name}`;
    paths.push(path);
    const { parent: _parent, extents, ...rest } = record;
    tree.set(
      `${volume}:${path}`,
      JSON.stringify({ ...rest, extents: extents && Buffer.from(extents).toString('hex') }),
    );
  }
  return tree;
}

/**
 * Catalogs a new point of the image incrementally, and the same point whole in a fresh catalog;
 * both catalogs and both file index objects must be the same.
 */
async function expectDeltaEqualsFullWalk(expectDelta: boolean): Promise<string[]> {
  const manifest = await storePoint();
  const result = await catalogWith(incremental, manifest);
  const deltaIndex = await indexTree(manifest.id);
  const whole = openTempCatalog('hk-delta-whole-');
  try {
    const reference = await catalogWith(whole, manifest);
    expect(reference.notes.join('\n')).toMatch(/walked whole/);
    expect(catalogDump(incremental, manifest.id, 'vda')).toEqual(
      catalogDump(whole, manifest.id, 'vda'),
    );
    expect(result.files).toBe(reference.files);
    expect(result.volumes).toEqual(reference.volumes);
    const wholeIndex = await indexTree(manifest.id);
    expect([...deltaIndex.keys()].sort()).toEqual([...wholeIndex.keys()].sort());
    for (const [path, record] of wholeIndex) expect(deltaIndex.get(path), path).toBe(record);
  } finally {
    whole.remove();
  }
  if (expectDelta) expect(result.notes.join('\n')).toMatch(/changed folders indexed since/);
  return result.notes;
}

beforeAll(async () => {
  dir = await makeTempDir('catalog-delta');
  const tree = join(dir, 'tree');
  await makeTree(tree);
  image = join(dir, 'vda.raw');
  await run('truncate', ['-s', '64M', image]);
  await run('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', tree, image]);
  repository = await initRepo(join(dir, 'repo'));
  incremental = openTempCatalog('hk-delta-incremental-');
});

afterAll(async () => {
  incremental?.remove();
  await rm(dir, { recursive: true, force: true });
});

describe('incremental cataloging of ext volumes', () => {
  it('walks the first point whole and keeps a basis for the next', async () => {
    const first = await catalogWith(incremental, await storePoint());
    expect(first.notes.join('\n')).toMatch(/vda: walked whole \(no earlier point/);
    expect(first.files).toBeGreaterThan(1200);
  });

  it('catalogs an unchanged point from nothing but its disk map', async () => {
    const notes = await expectDeltaEqualsFullWalk(true);
    expect(notes.join('\n')).toMatch(/vda: 0 entries in 0 changed folders/);
  });

  it('equals a full walk after files, folders, links and names changed', async () => {
    const payload = join(dir, 'payload.txt');
    await writeFile(payload, 'new content\n'.repeat(500));
    await debugfs([
      `write ${payload} /data/new-file.txt`,
      'rm /etc/hostname',
      'mkdir /newdir',
      `write ${payload} /newdir/a.txt`,
      'mkdir /newdir/sub',
      `write ${payload} /newdir/sub/b.txt`,
      'set_inode_field /data/big/f0005 mtime 20200101000000',
      'set_inode_field /data/big/f0006 size 7',
      `write ${payload} /data/big/zz-added`,
      'symlink /data/link2 /a/target/that/is/quite/long/for/sure/more/than/sixty/characters/x',
      'unlink /deep/level-0/level-1',
      'ln /old-name /new-name',
      'unlink /old-name',
      'ln /data/keep.txt /data/renamed.txt',
      'unlink /data/keep.txt',
      'rm /data/replace-me',
      'mkdir /data/replace-me',
      `write ${payload} /data/replace-me/now-a-folder.txt`,
      'rm /data/folder-to-file/inside.txt',
      'rmdir /data/folder-to-file',
      `write ${payload} /data/folder-to-file`,
      'set_inode_field / mtime 20240101000000',
    ]);
    await expectDeltaEqualsFullWalk(true);
  });

  it('equals a full walk on top of an incremental basis, after more changes', async () => {
    const payload = join(dir, 'payload2.txt');
    await writeFile(payload, randomBytes(300_000));
    await debugfs([
      `write ${payload} /newdir/sub/c.bin`,
      'rm /newdir/a.txt',
      'mkdir /new-name/sub/deeper',
      `write ${payload} "/Ünïcødé ☃/added.bin"`,
      'set_inode_field /data/big mtime 20230101000000',
      'unlink /data/big/f0100',
    ]);
    await expectDeltaEqualsFullWalk(true);
  });

  it('equals a full walk after raw writes over the inode table', async () => {
    // Garbage over inode table bytes, as a bad write or a crash could leave: the delta must
    // see exactly what a full walk sees, or hand over to one.
    const fh = await open(image, 'r+');
    const gd = Buffer.alloc(64);
    await fh.read(gd, 0, 64, 4096);
    const table = gd.readUInt32LE(8);
    await fh.write(randomBytes(512), 0, 512, table * 4096 + 20 * 256);
    await fh.close();
    await expectDeltaEqualsFullWalk(false);
  });
});
