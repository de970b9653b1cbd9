/**
 * The file catalog built from real restore points: the lab's disk images (GPT + ext4 with a user
 * tree; MBR with NTFS + FAT) stored in a repository, cataloged the way a backup job does, then
 * browsed through the engine's handlers. A changed file gives a second version without doubling
 * the entry table; a damaged superblock is recorded as not indexed while the job succeeds; a
 * fresh home attached to the repository browses the same without reading any disk.
 */
import { open, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FileEntry } from '../../../shared/domain/files';
import { dispatch } from '../../../src-main/engine/api/dispatch';
import { createHandlers, type Handlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import { catalogBackupPoint } from '../../../src-main/engine/file-catalog/catalog-phase';
import { run } from '../../harness/exec';
import {
  LAB_DISKS,
  LAB_FILE_MTIME,
  UNICODE_NAME,
  WEB_NOTES,
  type TreeEntry,
} from '../../harness/image-recipes';
import { ensureImages } from '../../harness/images';
import { PASSPHRASE, makeTempDir, writeImage } from '../repository/helpers';

const lab = inject('lab');
const WEB = { uuid: '7d5c1f0e-0000-4000-8000-00000000a001', name: 'cat-web' };
const WIN = { uuid: '7d5c1f0e-0000-4000-8000-00000000a002', name: 'cat-win' };
const webTree = LAB_DISKS['web-01-vda'].volumes[0]!.tree as TreeEntry[];

let dir: string;
let engine: Engine;
let handlers: Handlers;
let webRaw: string;
let winRaw: string;
let damagedRaw: string;
const points: Record<string, string> = {};

async function call(h: Handlers, channel: string, payload: unknown): Promise<unknown> {
  const result = await dispatch(h, channel, payload);
  if (!result.ok) throw new Error(`${channel}: ${result.error.message}`);
  return result.value;
}

/** Children of `dir` in a recipe tree (the folders the recipe implies included). */
function recipeChildren(tree: TreeEntry[], dir: string): string[] {
  const names = new Set<string>();
  for (const e of tree) {
    if (!e.path.startsWith(`${dir}/`)) continue;
    names.add(e.path.slice(dir.length + 1).split('/')[0]!);
  }
  return [...names].sort();
}

/** Stores raw images as a point of `vm` and catalogs it inside a job, as a backup does. */
async function backupImages(
  vm: { uuid: string; name: string },
  disks: Record<string, string>,
): Promise<{ pointId: string; warnings: string[]; status: string; log: string }> {
  const repository = await engine.repositories.get('default');
  const writer = await repository.startPoint({ vm });
  for (const [name, raw] of Object.entries(disks)) await writeImage(writer, name, raw);
  const manifest = await writer.commit({ consistency: 'crash-consistent' });
  engine.repositories.recordPoint('default', manifest);
  const job = engine.jobs.start('backup', `Backup of ${vm.name}`, async (ctx) => {
    const task = ctx.task(vm.uuid, vm.name);
    await catalogBackupPoint(engine, ctx, task, {
      repository,
      repositoryName: 'default',
      manifest,
    });
    task.finish('succeeded');
  });
  const done = await engine.jobs.wait(job.id);
  const log = engine.jobs.log(job.id);
  return { pointId: manifest.id, warnings: done.warnings, status: done.status, log };
}

async function list(h: Handlers, vm: string, path: string, pointId?: string): Promise<FileEntry[]> {
  const listing = (await call(h, 'files.list', { vm, path, ...(pointId ? { pointId } : {}) })) as {
    entries: FileEntry[];
  };
  return listing.entries;
}

const entryCount = (e: Engine) =>
  (e.db.prepare('SELECT count(*) AS n FROM fc_entries').get() as { n: number }).n;

beforeAll(async () => {
  dir = await makeTempDir('file-catalog');
  const images = await ensureImages(join(lab.dir, 'images'));
  webRaw = join(dir, 'web.raw');
  winRaw = join(dir, 'win.raw');
  damagedRaw = join(dir, 'pgdata.raw');
  await run('qemu-img', ['convert', '-O', 'raw', images['web-01-vda'].path, webRaw]);
  await run('qemu-img', ['convert', '-O', 'raw', images['win-01-vda'].path, winRaw]);
  await run('qemu-img', ['convert', '-O', 'raw', images['db-01-vdb'].path, damagedRaw]);
  // A superblock whose block size field is impossible: the magic still says ext4.
  const fh = await open(damagedRaw, 'r+');
  await fh.write(Buffer.from([40, 0, 0, 0]), 0, 4, 1024 + 24);
  await fh.close();
  engine = Engine.open({ home: join(dir, 'home'), mode: 'cli' });
  handlers = createHandlers(engine);
  await call(handlers, 'repo.init', {
    name: 'default',
    location: join(dir, 'repo'),
    encrypt: true,
    passphrase: PASSPHRASE,
  });
});

afterAll(async () => {
  await engine?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('file catalog of real restore points', () => {
  it('catalogs a GPT + ext4 disk as the recipe says and records a damaged volume as not indexed', async () => {
    const result = await backupImages(WEB, { vda: webRaw, vdb: damagedRaw });
    points.web1 = result.pointId;
    expect(result.status).toBe('succeeded');
    expect(result.warnings.join('\n')).toMatch(/Volume vdb was not indexed: .*block size/);

    const volumes = (await call(handlers, 'points.volumes', {
      vm: WEB.name,
      pointId: result.pointId,
    })) as {
      name: string;
      indexed: boolean;
      filesystem?: string;
      error?: string;
      files?: number;
    }[];
    expect(volumes.map((v) => [v.name, v.indexed, v.filesystem])).toEqual([
      ['vda1', true, 'ext4'],
      ['vdb', false, undefined],
    ]);
    expect(volumes[0]!.files).toBe(webTree.filter((e) => !('dir' in e)).length);
    expect(volumes[1]!.error).toMatch(/block size out of range/);
    // engine/guest read the guest's /etc/fstab: the root volume is mounted at /.
    expect(volumes[0]).toMatchObject({ mountPoint: '/' });
    // … and its os-release and hostname: the point says which OS it holds.
    const [point] = (await call(handlers, 'points.list', { vm: WEB.name })) as {
      id: string;
      guestOs?: { family: string; name?: string; hostname?: string };
    }[];
    expect(point).toMatchObject({
      id: result.pointId,
      guestOs: { family: 'linux', name: expect.stringMatching(/^Debian GNU\/Linux/) },
    });

    for (const folder of ['/home/alice', '/home/alice/docs', '/etc', '/var/www/html']) {
      const names = (await list(handlers, WEB.name, `/vda1${folder}`)).map((e) => e.name);
      expect(names.sort(), folder).toEqual(recipeChildren(webTree, folder));
    }
    const alice = await list(handlers, WEB.name, '/vda1/home/alice');
    const byName = Object.fromEntries(alice.map((e) => [e.name, e]));
    expect(byName['latest-report']).toMatchObject({
      type: 'symlink',
      linkTarget: 'docs/report.txt',
    });
    expect(byName['docs']).toMatchObject({ type: 'dir', size: 0 });
    expect(byName['empty.txt']).toMatchObject({ type: 'file', size: 0 });
    expect(byName[UNICODE_NAME]).toMatchObject({
      type: 'file',
      path: `/vda1/home/alice/${UNICODE_NAME}`,
      mtime: LAB_FILE_MTIME.toISOString(),
    });
    const docs = await list(handlers, WEB.name, '/vda1/home/alice/docs');
    expect(docs.find((e) => e.name === 'data.bin')).toMatchObject({ size: 1 << 20, mode: 0o644 });
    await expect(list(handlers, WEB.name, '/vdb')).rejects.toThrow(/vdb .* was not indexed/);
  });

  it('catalogs an MBR disk with NTFS and FAT volumes', async () => {
    const result = await backupImages(WIN, { vda: winRaw });
    points.win = result.pointId;
    expect(result.warnings).toEqual([]);
    const volumes = (await call(handlers, 'points.volumes', {
      vm: WIN.name,
      pointId: result.pointId,
    })) as { name: string; filesystem?: string }[];
    expect(volumes.map((v) => [v.name, v.filesystem])).toEqual([
      ['vda1', 'ntfs'],
      ['vda2', 'fat32'],
    ]);
    const ntfs = (await list(handlers, WIN.name, '/vda1')).map((e) => e.name);
    expect(ntfs).toEqual(expect.arrayContaining(['README.txt', 'boot.ini', 'Überblick.txt']));
    const fatRoot = (await list(handlers, WIN.name, '/vda2')).map((e) => e.name);
    expect(fatRoot).toEqual(expect.arrayContaining(['Notes.txt', 'Documents']));
    const documents = await list(handlers, WIN.name, '/vda2/Documents');
    const fatTree = LAB_DISKS['win-01-vda'].volumes[1]!.tree as TreeEntry[];
    const sizeOf = (path: string) => {
      const e = fatTree.find((t) => t.path === path);
      return e && 'text' in e ? Buffer.byteLength(e.text) : -1;
    };
    expect(documents.map((e) => [e.name, e.size])).toEqual([
      ['A long file name for testing.txt', sizeOf('/Documents/A long file name for testing.txt')],
      ['budget-2024.csv', sizeOf('/Documents/budget-2024.csv')],
    ]);
    const readme = (await list(handlers, WIN.name, '/vda1/README.txt'))[0]!;
    expect(readme).toMatchObject({
      type: 'file',
      size: Buffer.byteLength('Windows system volume of lab-win-01.\r\n'),
    });
    expect(readme.owner).toBeDefined();
  });

  it('a second point of the Windows disk is cataloged from what changed on its NTFS volume', async () => {
    const text = 'Windows system volume of lab-win-01, patched.\r\n';
    const renewed = join(dir, 'README-v2.txt');
    await writeFile(renewed, text);
    await editPartition(winRaw, LAB_DISKS['win-01-vda'].volumes[0]!.sizeMiB, (part) =>
      run('ntfscp', ['-f', part, renewed, 'README.txt']),
    );
    const result = await backupImages(WIN, { vda: winRaw });
    points.win2 = result.pointId;
    expect(result.warnings).toEqual([]);
    expect(result.log).toMatch(
      new RegExp(`vda1: \\d+ entries in \\d+ changed folders indexed since point ${points.win}`),
    );
    expect(result.log).toMatch(/vda2: walked whole \(fat32 is walked whole at every point/);
    const readme = (await list(handlers, WIN.name, '/vda1/README.txt'))[0]!;
    expect(readme.size).toBe(Buffer.byteLength(text));
    expect(readme.owner).toBeDefined();
    const before = await list(handlers, WIN.name, '/vda1', points.win);
    const after = await list(handlers, WIN.name, '/vda1', points.win2);
    expect(after.map((e) => e.name)).toEqual(before.map((e) => e.name));
  });

  it('a second point after changing a file shows versions and a diff, sharing unchanged entries', async () => {
    const before = entryCount(engine);
    const changed = join(dir, 'notes-v2.txt');
    await writeFile(changed, 'Renewed the certificate.\n');
    await editPartition(webRaw, LAB_DISKS['web-01-vda'].volumes[0]!.sizeMiB, async (part) => {
      for (const c of ['rm /home/alice/notes.txt', `write ${changed} /home/alice/notes.txt`])
        await run('debugfs', ['-w', '-R', c, part]);
    });
    const result = await backupImages(WEB, { vda: webRaw, vdb: damagedRaw });
    points.web2 = result.pointId;
    const added = entryCount(engine) - before;
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThan(10); // notes.txt and the folders whose times changed

    const versions = (await call(handlers, 'files.versions', {
      vm: WEB.name,
      path: '/vda1/home/alice/notes.txt',
    })) as { pointId: string; changed: boolean; first: boolean; entry: FileEntry }[];
    expect(versions.map((v) => [v.pointId, v.entry.size, v.changed, v.first])).toEqual([
      [points.web2, 25, true, false],
      [points.web1, Buffer.byteLength(WEB_NOTES), false, true],
    ]);
    const report = (await call(handlers, 'files.versions', {
      vm: WEB.name,
      path: '/vda1/home/alice/docs/report.txt',
    })) as { changed: boolean; first: boolean }[];
    expect(report.map((v) => [v.changed, v.first])).toEqual([
      [false, false],
      [false, true],
    ]);

    const diff = (await call(handlers, 'files.diff', {
      vm: WEB.name,
      fromPointId: points.web1,
      toPointId: points.web2,
      path: '/vda1/home',
    })) as { added: FileEntry[]; removed: FileEntry[]; changed: FileEntry[] };
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    expect(diff.changed.map((e) => e.path)).toContain('/vda1/home/alice/notes.txt');
    expect(diff.changed.map((e) => e.path)).not.toContain('/vda1/home/alice/docs/report.txt');
  });

  it('searches names across points and VMs', async () => {
    const all = (await call(handlers, 'files.search', { pattern: '*NOTES*', allPoints: true })) as {
      hits: { vmName: string; pointId: string; entry: FileEntry }[];
    };
    const label = (id: string) => (id === points.web2 || id === points.win2 ? 'p2' : 'p1');
    const hits = all.hits.map((h) => `${h.vmName} ${label(h.pointId)} ${h.entry.path}`);
    expect(hits.sort()).toEqual(
      [
        'cat-web p1 /vda1/home/alice/notes.txt',
        'cat-web p2 /vda1/home/alice/notes.txt',
        `cat-web p2 /vda1/home/alice/${UNICODE_NAME}`,
        // One version in both Windows points: the hit names the newest.
        'cat-win p2 /vda2/Notes.txt',
      ].sort(),
    );
    const latest = (await call(handlers, 'files.search', {
      vm: WEB.name,
      pattern: 'report.txt',
    })) as {
      hits: { pointId: string }[];
    };
    expect(latest.hits.map((h) => h.pointId)).toEqual([points.web2]);
  });

  it('a fresh home attached to the repository browses the same without reading disks', async () => {
    const stored = await readdir(join(dir, 'repo', 'catalogs'));
    expect(stored.sort()).toEqual(Object.values(points).sort());
    const fresh = Engine.open({ home: join(dir, 'home2'), mode: 'cli' });
    try {
      const h = createHandlers(fresh);
      await call(h, 'repo.attach', {
        name: 'default',
        location: join(dir, 'repo'),
        passphrase: PASSPHRASE,
      });
      for (const pointId of [points.web1!, points.web2!]) {
        for (const folder of ['/', '/vda1', '/vda1/home/alice', '/vda1/home/alice/docs']) {
          expect(await list(h, WEB.name, folder, pointId)).toEqual(
            await list(handlers, WEB.name, folder, pointId),
          );
        }
        expect(await call(h, 'points.volumes', { vm: WEB.name, pointId })).toEqual(
          await call(handlers, 'points.volumes', { vm: WEB.name, pointId }),
        );
      }
      expect(await list(h, WIN.name, '/vda2/Documents')).toEqual(
        await list(handlers, WIN.name, '/vda2/Documents'),
      );
      // Rebuilt oldest first: unchanged files share rows as they did in the original home.
      expect(entryCount(fresh)).toBe(entryCount(engine));
    } finally {
      await fresh.close();
    }
  });
});

describe('pruning', () => {
  it('forgets the pruned point and its unshared versions; the other points stay browsable', async () => {
    const repository = await engine.repositories.get('default');
    const before = entryCount(engine);
    const web2Listing = await list(handlers, WEB.name, '/vda1/home/alice', points.web2);
    // What the prune job does with the points retention removes.
    await repository.deletePoints([points.web1!]);
    engine.repositories.forgetPoints('default', [points.web1!]);
    engine.fileCatalog.forgetPoints('default', [points.web1!]);

    expect(await readdir(join(dir, 'repo', 'catalogs'))).not.toContain(points.web1);
    await expect(list(handlers, WEB.name, '/vda1', points.web1)).rejects.toThrow(
      /no restore point/,
    );
    expect(await list(handlers, WEB.name, '/vda1/home/alice', points.web2)).toEqual(web2Listing);
    // The first version of notes.txt and of the folders around it were only in the pruned point.
    expect(entryCount(engine)).toBeLessThan(before);
    const versions = (await call(handlers, 'files.versions', {
      vm: WEB.name,
      path: '/vda1/home/alice/notes.txt',
    })) as { pointId: string }[];
    expect(versions.map((v) => v.pointId)).toEqual([points.web2]);
    await repository.gc();
    expect((await readdir(join(dir, 'repo', 'catalogs'))).sort()).toEqual(
      [points.web2!, points.win!, points.win2!].sort(),
    );
  });
});

/** Runs `edit` on a copy of partition 1 (1 MiB into the disk), then puts it back. */
async function editPartition(
  raw: string,
  sizeMiB: number,
  edit: (part: string) => Promise<unknown>,
): Promise<void> {
  const part = `${raw}.part1`;
  const offsetMiB = 1;
  await run('dd', [
    `if=${raw}`,
    `of=${part}`,
    'bs=1M',
    `skip=${offsetMiB}`,
    `count=${sizeMiB}`,
    'status=none',
  ]);
  await edit(part);
  await run('dd', [
    `if=${part}`,
    `of=${raw}`,
    'bs=1M',
    `seek=${offsetMiB}`,
    'conv=notrunc',
    'status=none',
  ]);
  await rm(part);
}
