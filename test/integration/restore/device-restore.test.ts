/**
 * FIG. 13B: a volume restored onto a block device of this host (loop devices here). The device
 * must be named twice, must not be mounted and must be large enough; the bytes written equal
 * the volume. Skipped where loop devices cannot be created (not root, no /dev/loop-control).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../../shared/domain/jobs';
import { dispatch } from '../../../src-main/engine/api/dispatch';
import { createHandlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import { run } from '../../harness/exec';
import { scratchDir } from '../filesystems/fs-fixtures';
import { homeWithPoint } from './restore-fixtures';

function canUseLoopDevices(): boolean {
  try {
    execFileSync('losetup', ['-f'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

const loops: string[] = [];
let scratch: { path: string; remove: () => Promise<void> };
let image: string;
let engine: Engine;
let pointId: string;

async function loopDevice(sizeMiB: number): Promise<string> {
  const file = join(scratch.path, `loop-${loops.length}.img`);
  await run('truncate', ['-s', `${sizeMiB}M`, file]);
  const { stdout } = await run('losetup', ['-f', '--show', file]);
  loops.push(stdout.trim());
  return stdout.trim();
}

async function call(channel: string, request: unknown): Promise<Job> {
  const result = await dispatch(createHandlers(engine), channel, request);
  if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
  return result.value as Job;
}

describe.runIf(canUseLoopDevices())('volume restore onto a block device', () => {
  beforeAll(async () => {
    scratch = await scratchDir('restore-device');
    const staging = join(scratch.path, 'staging');
    await mkdir(staging);
    await writeFile(join(staging, 'hello.txt'), 'hello from the volume\n');
    image = join(scratch.path, 'disk.img');
    await run('truncate', ['-s', '16M', image]);
    await run('mkfs.ext4', ['-q', '-F', '-d', staging, image]);
    const made = await homeWithPoint(scratch.path, image, 'device-vm');
    pointId = made.pointId;
    engine = Engine.open({ home: made.home, mode: 'cli' });
  }, 60_000);

  afterAll(async () => {
    await engine?.close();
    for (const loop of loops) await run('losetup', ['-d', loop]).catch(() => undefined);
    await scratch?.remove();
  });

  const request = (device: string, confirmDevice = device) => ({
    vm: 'device-vm',
    pointId,
    volume: 'vda',
    device,
    confirmDevice,
  });

  it('refuses a device that is too small, mounted, or not confirmed', async () => {
    const small = await loopDevice(8);
    await expect(call('restore.volumeToDevice', request(small))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/less than the 16777216 bytes/),
    });
    const target = await loopDevice(20);
    await expect(call('restore.volumeToDevice', request(target, '/dev/sda'))).rejects.toMatchObject(
      {
        message: expect.stringMatching(/does not repeat/),
      },
    );
    await run('mkfs.ext4', ['-q', '-F', target]);
    const mnt = join(scratch.path, 'mnt');
    await mkdir(mnt);
    await run('mount', [target, mnt]);
    try {
      await expect(call('restore.volumeToDevice', request(target))).rejects.toMatchObject({
        message: expect.stringMatching(/is mounted on .*mnt\. Unmount it first/),
      });
    } finally {
      await run('umount', [mnt]);
    }
  });

  it('writes the volume onto a free device byte for byte', async () => {
    const target = await loopDevice(20);
    // Old bytes on the device must be overwritten, zeros included.
    await run('dd', ['if=/dev/urandom', `of=${target}`, 'bs=1M', 'count=20', 'status=none']);
    const job = await engine.jobs.wait((await call('restore.volumeToDevice', request(target))).id);
    expect(job.status).toBe('succeeded');
    expect(job.bytesDone).toBe(16 * 1024 * 1024);
    await run('cmp', ['-n', String(16 * 1024 * 1024), image, target]);
  });
});
