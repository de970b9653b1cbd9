/**
 * Incremental cataloging: a point whose volume's previous point left a walk basis is cataloged
 * from what changed (inode-delta.ts). It must give exactly the catalog and the file index a full
 * walk gives: each point here is cataloged both ways, on ext4 images changed by debugfs (files,
 * folders, renames, links, subtrees gone, a big folder) and by raw writes over the inode table.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, symlink, link, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../harness/exec';
import { initRepo, makeTempDir } from '../repository/helpers';
import { DeltaCheck } from './delta-fixtures';

const VM = { uuid: '5e1d0c3a-0000-4000-8000-00000000d001', name: 'delta-vm' };

let dir: string;
let image: string;
let check: DeltaCheck;

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

beforeAll(async () => {
  dir = await makeTempDir('catalog-delta');
  const tree = join(dir, 'tree');
  await makeTree(tree);
  image = join(dir, 'vda.raw');
  await run('truncate', ['-s', '64M', image]);
  await run('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', tree, image]);
  check = new DeltaCheck(await initRepo(join(dir, 'repo')), VM, { vda: image });
});

afterAll(async () => {
  check?.remove();
  await rm(dir, { recursive: true, force: true });
});

describe('incremental cataloging of ext volumes', () => {
  it('walks the first point whole and keeps a basis for the next', async () => {
    const first = await check.catalogWith(check.incremental, await check.storePoint());
    expect(first.notes.join('\n')).toMatch(/vda: walked whole \(no earlier point/);
    expect(first.files).toBeGreaterThan(1200);
  });

  it('catalogs an unchanged point from nothing but its disk map', async () => {
    const notes = await check.expectDeltaEqualsFullWalk('vda', true);
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
    await check.expectDeltaEqualsFullWalk('vda', true);
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
    await check.expectDeltaEqualsFullWalk('vda', true);
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
    await check.expectDeltaEqualsFullWalk('vda', false);
  });
});
