/**
 * File and volume restores from a real backup of the lab's lab-web-01 (libvirt backup API + NBD
 * into a repository), checked against the files the lab recipe put on its disk: content,
 * path modes, conflict policies, timestamps, modes and owners, reads limited to the files'
 * chunks, and a volume as raw and qcow2 equal to the partition's bytes. Then the same through
 * the engine's handlers, as the console and the CLI call them.
 */
import { lstat, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Job } from '../../../shared/domain/jobs';
import { dispatch } from '../../../src-main/engine/api/dispatch';
import { createHandlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { startServer } from '../../../src-main/server/serve';
import {
  restoreFilesToFolder,
  type FileRestoreSettings,
} from '../../../src-main/engine/restore/file-restore';
import { copyToSink, createImageSink } from '../../../src-main/engine/restore/image-export';
import { FileSystemPointSource } from '../../../src-main/engine/restore/point-file-source';
import { openPointVolumes } from '../../../src-main/engine/restore/point-volumes';
import { run } from '../../harness/exec';
import {
  ALICE_UID,
  LAB_DISKS,
  LAB_FILE_MTIME,
  UNICODE_NAME,
  WEB_NOTES,
  WEB_REPORT,
  deterministicBytes,
} from '../../harness/image-recipes';
import { fullBackupOfLabVm } from '../backup/backup-helpers';
import { PASSPHRASE, initRepo } from '../repository/helpers';
import { listTree, openCountingRepository, sha256File, sha256Of } from './restore-fixtures';

const lab = inject('lab');
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;
const web = lab.vms.find((v) => v.name === 'lab-web-01')!;
const MiB = 1024 * 1024;

let scratch: string;
let repoDir: string;
let pointId: string;
let counted: Awaited<ReturnType<typeof openCountingRepository>>;
let repository: Repository;

const hooks = () => ({
  signal: new AbortController().signal,
  progress: () => undefined,
  log: () => undefined,
});

function settings(dest: string, over: Partial<FileRestoreSettings>): FileRestoreSettings {
  return {
    paths: ['/vda1/home/alice'],
    dest,
    conflict: 'skip',
    pathMode: { kind: 'preserve' },
    restoreTimestamps: true,
    restorePermissions: true,
    restoreOwnership: true,
    ...over,
  };
}

async function restore(over: Partial<FileRestoreSettings> & { dest: string }) {
  const source = await FileSystemPointSource.open(repository, pointId, ['vda']);
  try {
    return await restoreFilesToFolder(source, settings(over.dest, over), hooks());
  } finally {
    await source.close();
  }
}

/** A partition of the VM's qcow2 as qemu sees it (--image-opts): a raw window on the image. */
function labPartitionOpts(partition: { offsetBytes: number; sizeBytes: number }): string {
  return [
    'driver=raw',
    `offset=${partition.offsetBytes}`,
    `size=${partition.sizeBytes}`,
    'file.driver=qcow2',
    `file.file.filename=${web.disks[0]!.path}`,
  ].join(',');
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-restore-web-'));
  repoDir = join(scratch, 'repo');
  pointId = await fullBackupOfLabVm(host1.uri, web, await initRepo(repoDir));
  counted = await openCountingRepository(repoDir);
  repository = counted.repository;
}, 120_000);

afterAll(async () => {
  await repository?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('file restore from a lab-web-01 backup', () => {
  it('restores one file equal to the original, reading little more than its chunks', async () => {
    const dest = join(scratch, 'one');
    counted.reset();
    const result = await restore({
      dest,
      paths: ['/vda1/home/alice/docs/data.bin'],
      pathMode: { kind: 'keepLast', levels: 1 },
    });
    expect(result).toMatchObject({ files: 1, bytes: MiB, skipped: [] });
    expect(await sha256File(join(dest, 'data.bin'))).toBe(sha256Of(deterministicBytes(7, MiB)));
    const read = counted.packBytesRead();
    // The file (1 MiB, incompressible) plus the ext4 metadata chunks on the way to it: far
    // from the disk's data, which a full restore would read.
    expect(read).toBeGreaterThanOrEqual(MiB);
    expect(read).toBeLessThan(4 * MiB);
  });

  it('restores a folder with "remove 3 levels", times, modes and owners', async () => {
    const dest = join(scratch, 'alice');
    const result = await restore({ dest, pathMode: { kind: 'strip', levels: 3 } });
    expect(result.skipped).toEqual([]);
    const tree = await listTree(dest);
    expect([...tree.keys()].sort()).toEqual(
      [
        'docs',
        'docs/data.bin',
        'docs/report.txt',
        'empty.txt',
        'latest-report',
        'notes.txt',
        UNICODE_NAME,
      ].sort(),
    );
    expect(await readFile(join(dest, 'notes.txt'), 'utf8')).toBe(WEB_NOTES);
    expect(await readFile(join(dest, 'docs/report.txt'), 'utf8')).toBe(WEB_REPORT);
    expect(await readFile(join(dest, UNICODE_NAME), 'utf8')).toBe('Ünïcödé content ✓\n');
    expect((await lstat(join(dest, 'empty.txt'))).size).toBe(0);
    expect(await readlink(join(dest, 'latest-report'))).toBe('docs/report.txt');
    const notes = await lstat(join(dest, 'notes.txt'));
    expect(notes.mtime.getTime()).toBe(LAB_FILE_MTIME.getTime());
    expect((await lstat(join(dest, 'docs'))).mtime.getTime()).toBe(LAB_FILE_MTIME.getTime());
    expect(notes.mode & 0o777).toBe(0o644);
    if (process.getuid?.() === 0 && lab.user) expect(notes.uid).toBe(ALICE_UID);
  });

  it('keeps a local edit with "skip" and restores beside it with "rename"', async () => {
    const dest = join(scratch, 'alice');
    await writeFile(join(dest, 'notes.txt'), 'edited locally\n');
    const skipped = await restore({
      dest,
      paths: ['/vda1/home/alice/notes.txt'],
      pathMode: { kind: 'keepLast', levels: 1 },
    });
    expect(skipped.files).toBe(0);
    expect(skipped.skipped).toEqual([
      { path: '/vda1/home/alice/notes.txt', reason: 'it already exists in the destination' },
    ]);
    expect(await readFile(join(dest, 'notes.txt'), 'utf8')).toBe('edited locally\n');
    const renamed = await restore({
      dest,
      paths: ['/vda1/home/alice/notes.txt', '/vda1/home/alice/docs/report.txt'],
      pathMode: { kind: 'keepLast', levels: 1 },
      conflict: 'rename',
    });
    expect(renamed.files).toBe(2);
    expect(await readFile(join(dest, 'notes (1).txt'), 'utf8')).toBe(WEB_NOTES);
    expect(await readFile(join(dest, 'report.txt'), 'utf8')).toBe(WEB_REPORT);
    expect(await readFile(join(dest, 'notes.txt'), 'utf8')).toBe('edited locally\n');
  });
});

describe('volume restore from a lab-web-01 backup', () => {
  it('writes vda1 as raw and qcow2 equal to the partition on the VM disk', async () => {
    const partition = web.disks[0]!.partitions!.find((p) => p.number === 1)!;
    const labPartition = labPartitionOpts(partition);
    const volumes = await openPointVolumes(repository, pointId, ['vda']);
    try {
      const vda1 = volumes.find('vda1');
      expect(vda1.size).toBe(partition.sizeBytes);
      for (const format of ['raw', 'qcow2'] as const) {
        const out = join(scratch, `vda1.${format}`);
        await copyToSink(
          vda1.reader,
          await createImageSink(format, out, vda1.size, { overwrite: false }),
          { signal: new AbortController().signal, progress: () => undefined },
        );
        const { stdout } = await run('qemu-img', [
          'compare',
          '-U',
          '--image-opts',
          `driver=${format},file.filename=${out}`,
          labPartition,
        ]);
        expect(stdout).toContain('Images are identical');
      }
    } finally {
      await volumes.close();
    }
  });
});

describe('restores through the engine handlers', () => {
  it('runs restore.files and restore.disk as jobs and refuses what it cannot do safely', async () => {
    const home = join(scratch, 'home');
    const engine = Engine.open({ home, mode: 'cli' });
    const handlers = createHandlers(engine);
    const call = async (channel: string, request: unknown) => {
      const result = await dispatch(handlers, channel, request);
      if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
      return result.value as Job;
    };
    try {
      await call('repo.attach', { name: 'default', location: repoDir, passphrase: PASSPHRASE });
      const base = { vm: 'lab-web-01', pointId };
      await expect(
        call('restore.files', {
          ...base,
          paths: ['/vda1/etc'],
          destination: 'guest',
          dest: '/tmp',
        }),
      ).rejects.toMatchObject({
        // No hypervisor is registered in this engine: the VM to write into cannot be found.
        code: 'NOT_FOUND',
        message: expect.stringMatching(/registered libvirt hypervisors/),
      });
      await expect(
        call('restore.volumeToDevice', {
          ...base,
          volume: 'vda1',
          device: '/dev/null',
          confirmDevice: '/dev/nul',
        }),
      ).rejects.toMatchObject({ message: expect.stringMatching(/does not repeat/) });
      await expect(
        call('restore.volumeToDevice', {
          ...base,
          volume: 'vda1',
          device: '/dev/null',
          confirmDevice: '/dev/null',
        }),
      ).rejects.toMatchObject({ message: expect.stringMatching(/not a block device/) });

      const dest = join(scratch, 'via-job');
      const started = await call('restore.files', {
        ...base,
        paths: ['/vda1/etc', '/vda1/var/www/html/index.html'],
        dest,
        pathMode: { kind: 'strip', levels: 1 },
      });
      const job = await engine.jobs.wait(started.id);
      expect(job.status).toBe('succeeded');
      expect(job.bytesTotal).toBeGreaterThan(0);
      expect(job.bytesDone).toBe(job.bytesTotal);
      // Every file of the recipe's /etc, and index.html.
      const etcFiles = LAB_DISKS['web-01-vda'].volumes[0]!.tree.filter(
        (e) => e.path.startsWith('/etc/') && !('dir' in e),
      ).length;
      expect(job.result).toMatchObject({ files: etcFiles + 1, skipped: [] });
      expect(await readFile(join(dest, 'etc/hostname'), 'utf8')).toBe('lab-web-01\n');
      expect(await readFile(join(dest, 'var/www/html/index.html'), 'utf8')).toContain('lab-web-01');

      const disk = join(scratch, 'vda.qcow2');
      const diskJob = await engine.jobs.wait(
        (await call('restore.disk', { ...base, disk: 'vda', format: 'qcow2', dest: disk })).id,
      );
      expect(diskJob.status).toBe('succeeded');
      const { stdout } = await run('qemu-img', [
        'compare',
        '-U',
        '-F',
        'qcow2',
        disk,
        web.disks[0]!.path,
      ]);
      expect(stdout).toContain('Images are identical');
      await expect(
        call('restore.disk', { ...base, disk: 'vda', format: 'raw', dest: disk }),
      ).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });

      const vmdk = join(scratch, 'vda1.vmdk');
      const volumeJob = await engine.jobs.wait(
        (await call('restore.volume', { ...base, volume: 'vda1', format: 'vmdk', dest: vmdk })).id,
      );
      expect(volumeJob.status).toBe('succeeded');
      const partition = web.disks[0]!.partitions!.find((p) => p.number === 1)!;
      const { stdout: sameVolume } = await run('qemu-img', [
        'compare',
        '-U',
        '--image-opts',
        `driver=vmdk,file.filename=${vmdk}`,
        labPartitionOpts(partition),
      ]);
      expect(sameVolume).toContain('Images are identical');
      await expect(
        call('restore.volume', { ...base, volume: 'vda9', dest: join(scratch, 'x.raw') }),
      ).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: expect.stringMatching(/no volume vda9/),
      });

      // The browser console's download: the same selection as one tar over `serve`.
      const server = await startServer({ engine, rendererDir: scratch, token: 'download-token' });
      try {
        const query = new URLSearchParams({ vm: 'lab-web-01', point: pointId, format: 'tar' });
        query.append('path', '/vda1/home/alice/docs');
        query.append('path', '/vda1/etc/hostname');
        const url = `${server.url}/api/download/files?${query.toString()}`;
        expect((await fetch(url)).status).toBe(401);
        const response = await fetch(url, { headers: { Authorization: 'Bearer download-token' } });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-disposition')).toMatch(
          /attachment; filename=".*\.tar"/,
        );
        const tar = join(scratch, 'download.tar');
        await writeFile(tar, Buffer.from(await response.arrayBuffer()));
        const { stdout: names } = await run('tar', ['-tf', tar]);
        expect(names.trim().split('\n').sort()).toEqual([
          'vda1/etc/hostname',
          'vda1/home/alice/docs/',
          'vda1/home/alice/docs/data.bin',
          'vda1/home/alice/docs/report.txt',
        ]);
        const { stdout: report } = await run('tar', [
          '-xOf',
          tar,
          'vda1/home/alice/docs/report.txt',
        ]);
        expect(report).toBe(WEB_REPORT);
        const missing = await fetch(url.replace(pointId, 'no-such-point'), {
          headers: { Authorization: 'Bearer download-token' },
        });
        expect(missing.status).toBe(404);
      } finally {
        await server.close();
      }
    } finally {
      await engine.close();
    }
  });
});
