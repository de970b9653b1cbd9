/**
 * Restores from fabricated images whose names attack the destination: "..", a "/" or NUL inside
 * a name, backslashes, over-long names, a FIFO, a symlink out of the destination and a folder of
 * the same name behind it, a symlink planted in the destination beforehand, and Windows device
 * names on FAT. Nothing may be written outside the destination, and every refused item is
 * reported by name and reason, in a restore to a folder and in a tar or zip download.
 */
import { mkdir, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileRestoreSettings } from '../../../src-main/engine/restore/file-restore';
import { restoreFilesToFolder } from '../../../src-main/engine/restore/file-restore';
import { FileSystemPointSource } from '../../../src-main/engine/restore/point-file-source';
import { planRestore } from '../../../src-main/engine/restore/restore-plan';
import { tarStream } from '../../../src-main/engine/restore/tar-stream';
import { zipStream } from '../../../src-main/engine/restore/zip-stream';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { run } from '../../harness/exec';
import { scratchDir } from '../filesystems/fs-fixtures';
import { initRepo } from '../repository/helpers';
import {
  GOOD_TEXT,
  LONG_NAME,
  hostileExt4Image,
  listTree,
  pointFromImage,
} from './restore-fixtures';

let scratch: { path: string; remove: () => Promise<void> };
let repository: Repository;
let outside: string;
let ext4Point: string;
let fatPoint: string;

const hooks = () => ({
  signal: new AbortController().signal,
  progress: () => undefined,
  log: () => undefined,
});

function settings(dest: string, over: Partial<FileRestoreSettings> = {}): FileRestoreSettings {
  return {
    paths: ['/vda'],
    dest,
    conflict: 'overwrite',
    pathMode: { kind: 'strip', levels: 1 },
    restoreTimestamps: true,
    restorePermissions: true,
    restoreOwnership: true,
    ...over,
  };
}

async function withSource<T>(
  point: string,
  work: (source: FileSystemPointSource) => Promise<T>,
): Promise<T> {
  const source = await FileSystemPointSource.open(repository, point, ['vda']);
  try {
    return await work(source);
  } finally {
    await source.close();
  }
}

beforeAll(async () => {
  scratch = await scratchDir('restore-hostile');
  outside = join(scratch.path, 'outside');
  await mkdir(outside);
  repository = await initRepo(join(scratch.path, 'repo'));
  ext4Point = await pointFromImage(
    repository,
    await hostileExt4Image(scratch.path, outside),
    'vda',
  );
  const fat = join(scratch.path, 'fat.img');
  await run('truncate', ['-s', '8M', fat]);
  await run('mkfs.vfat', ['-n', 'ODD', fat]);
  const plain = join(scratch.path, 'plain.txt');
  await writeFile(plain, 'plain\r\n');
  for (const name of ['aux.txt', 'com1.log', 'Normal name.txt'])
    await run('mcopy', ['-i', fat, '-D', 'o', plain, `::${name}`], {
      env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
    });
  fatPoint = await pointFromImage(repository, fat, 'vda');
}, 60_000);

afterAll(async () => {
  await repository?.close();
  await scratch?.remove();
});

describe('restoring hostile names to a folder', () => {
  it('writes nothing outside the destination and reports each refused item', async () => {
    const dest = join(scratch.path, 'dest-ext4');
    const result = await withSource(ext4Point, (source) =>
      restoreFilesToFolder(source, settings(dest), hooks()),
    );
    expect(await readdir(outside)).toEqual([]);
    const tree = await listTree(dest);
    expect(tree.get('good.txt')).toBe('file');
    expect(tree.get('..x')).toBe('file');
    expect(tree.get(LONG_NAME)).toBe('file');
    expect(tree.get('docs/inner.txt')).toBe('file');
    // Folders are made first: the folder "evil" and its file land inside the destination, and
    // the symlink of the same name, which would point outside, is refused rather than swapped in.
    expect(tree.get('evil')).toBe('dir');
    expect(tree.get('evil/payload')).toBe('file');
    // A symlink is restored as a link with its target text, which the restore never follows.
    expect(tree.get('out-link')).toBe('symlink');
    expect(await readlink(join(dest, 'out-link'))).toBe(outside);
    expect([...tree.keys()].filter((p) => p.includes('hk-partial'))).toEqual([]);

    const reasons = new Map(result.skipped.map((s) => [s.path, s.reason]));
    // The file system reader never lists an entry named ".." (nor "."): it cannot be selected.
    expect(tree.has('..')).toBe(false);
    expect(reasons.get('/vda/SLASH/NAME')).toMatch(/contains "\/"/);
    expect(reasons.get('/vda/NUL\\u0000NAME')).toMatch(/NUL byte/);
    expect(reasons.get('/vda/back\\\\slash')).toMatch(/contains "\\"/);
    expect(reasons.get('/vda/fifo')).toMatch(/FIFOs/);
    expect([...reasons.values()].some((r) => /longer than 255 bytes/.test(r))).toBe(true);
    expect(reasons.get('/vda/evil')).toMatch(/folder of that name is in the way/);
    expect(result.failed).toBe(0);
  });

  it('never follows a symlink already in the destination', async () => {
    const dest = join(scratch.path, 'dest-planted');
    await mkdir(dest);
    // A link where the restore will want the folder "docs".
    await symlink(outside, join(dest, 'docs'));
    const result = await withSource(ext4Point, (source) =>
      restoreFilesToFolder(source, settings(dest, { paths: ['/vda/docs'] }), hooks()),
    );
    expect(await readdir(outside)).toEqual([]);
    expect(result.files).toBe(0);
    expect(result.skipped).toEqual(
      expect.arrayContaining([
        { path: '/vda/docs/inner.txt', reason: expect.stringMatching(/symbolic link/) },
      ]),
    );
  });

  it('refuses Windows device names coming from a FAT volume', async () => {
    const dest = join(scratch.path, 'dest-fat');
    const result = await withSource(fatPoint, (source) =>
      restoreFilesToFolder(source, settings(dest), hooks()),
    );
    expect([...(await listTree(dest)).keys()]).toEqual(['Normal name.txt']);
    const reasons = result.skipped.map((s) => `${s.path}: ${s.reason}`).join('\n');
    expect(reasons).toMatch(/aux\.txt.*reserved device name/i);
    expect(reasons).toMatch(/com1\.log.*reserved device name/i);
  });
});

describe('downloading hostile names as an archive', () => {
  it('tar holds only safe relative names and lists what it left out', async () => {
    const tar = join(scratch.path, 'download.tar');
    await withSource(ext4Point, async (source) => {
      const plan = await planRestore(source, {
        paths: ['/vda'],
        pathMode: { kind: 'preserve' },
        windowsDestination: false,
      });
      const parts: Uint8Array[] = [];
      for await (const block of tarStream(source, plan)) parts.push(block);
      await writeFile(tar, Buffer.concat(parts));
    });
    const { stdout } = await run('tar', ['-tf', tar]);
    const names = stdout.trim().split('\n');
    expect(names).toContain('vda/good.txt');
    expect(names).toContain(`vda/${LONG_NAME}`);
    expect(names).toContain('HYPERKEEP-SKIPPED.txt');
    for (const name of names) {
      expect(name.startsWith('/')).toBe(false);
      expect(name.split('/')).not.toContain('..');
    }
    const out = join(scratch.path, 'untar');
    await mkdir(out);
    await run('tar', ['-xf', tar, '-C', out]);
    expect(await readdir(outside)).toEqual([]);
    const { stdout: listing } = await run('cat', [join(out, 'HYPERKEEP-SKIPPED.txt')]);
    expect(listing).toMatch(/\/vda\/SLASH\/NAME\t.*contains "\/"/);
    expect(listing).toMatch(/\/vda\/fifo\t/);
    const { stdout: good } = await run('cat', [join(out, 'vda/good.txt')]);
    expect(good).toBe(GOOD_TEXT);
  });

  it('zip holds the same safe names and extracts to the same content', async () => {
    const zip = join(scratch.path, 'download.zip');
    await withSource(ext4Point, async (source) => {
      const plan = await planRestore(source, {
        paths: ['/vda/good.txt', '/vda/docs'],
        pathMode: { kind: 'strip', levels: 1 },
        windowsDestination: false,
      });
      const parts: Uint8Array[] = [];
      for await (const block of zipStream(source, plan)) parts.push(block);
      await writeFile(zip, Buffer.concat(parts));
    });
    const out = join(scratch.path, 'unzip');
    await mkdir(out);
    await run('unzip', ['-q', zip, '-d', out]);
    expect([...(await listTree(out)).keys()].sort()).toEqual([
      'docs',
      'docs/inner.txt',
      'good.txt',
    ]);
    const { stdout } = await run('unzip', ['-t', zip]);
    expect(stdout).toMatch(/No errors detected/);
  });
});

afterAll(async () => {
  await rm(join(scratch.path, 'dest-ext4'), { recursive: true, force: true });
});
