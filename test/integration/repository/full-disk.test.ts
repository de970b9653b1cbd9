import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import { run } from '../../harness/exec';
import type { Repository } from '../../../src-main/engine/repository/repository';
import {
  hashFile,
  hashReader,
  initRepo,
  makeExt4Image,
  makeTempDir,
  seededBytes,
  writeImage,
  TEST_VM,
} from './helpers';

/**
 * A repository on a real 20 MiB tmpfs, so the kernel itself answers ENOSPC. Mounting needs root
 * (our machines and CI run as root); without it this file fails at the mount with mount's words.
 */
describe('a repository whose file system fills up', () => {
  let dir: string;
  let mountPoint: string;
  let mounted = false;
  let repo: Repository;
  let image: string;
  let first: string;

  beforeAll(async () => {
    dir = await makeTempDir('repo-full');
    mountPoint = join(dir, 'mnt');
    await mkdir(mountPoint);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=20m,mode=0700', 'tmpfs', mountPoint]);
    mounted = true;
    image = await makeExt4Image(dir, 32, 12e6);
    repo = await initRepo(join(mountPoint, 'repo'), { packTargetSize: 2 * 1024 * 1024 });
    const writer = await repo.startPoint({ vm: TEST_VM });
    await writeImage(writer, 'vda', image);
    first = (await writer.commit({ consistency: 'crash-consistent' })).id;
  });

  afterAll(async () => {
    await repo?.close();
    if (mounted) await run('umount', [mountPoint]);
    await rm(dir, { recursive: true, force: true });
  });

  it('fails the backup with a clear error and leaves the repository verifiable', async () => {
    const { stdout } = await run('df', ['-B1', '--output=avail', mountPoint]);
    const free = Number(stdout.trim().split('\n')[1]);
    // More incompressible data than there is room for.
    const data = seededBytes('too-big', Math.ceil((free + 8 * 2 ** 20) / 2 ** 20) * 2 ** 20);
    const writer = await repo.startPoint({ vm: TEST_VM });
    const disk = writer.addDisk({ name: 'vdb', sizeBytes: data.length });
    const err = await (async () => {
      for (let off = 0; off < data.length; off += 2 ** 20)
        await disk.writeExtent(off, data.subarray(off, off + 2 ** 20));
      await writer.commit({ consistency: 'crash-consistent' });
    })().catch((e: unknown) => e);
    await writer.abort();
    expect(err).toBeInstanceOf(HyperkeepError);
    expect((err as HyperkeepError).details?.reason).toBe('NO_SPACE');
    expect((err as HyperkeepError).message).toMatch(
      /^No space left on the storage holding the repository at .*: free space or prune/,
    );

    expect((await repo.listPoints()).map((p) => p.id)).toEqual([first]);
    expect(await repo.verify({ readData: true })).toMatchObject({ ok: true, points: 1 });
    expect(await hashReader(await repo.openDisk(first, 'vda'))).toBe(await hashFile(image));

    // One page left, whatever the failed backup left: room for gc's lock, not for a new index.
    // gc must still run, since freeing space is what the error asks for: it deletes what the
    // failed backup wrote before it writes anything, then a backup that fits commits.
    const filler = join(mountPoint, 'filler');
    await run('sh', ['-c', 'cat /dev/zero > "$1" 2>/dev/null || true', 'sh', filler]);
    await run('truncate', ['-s', '-4096', filler]);
    const gc = await repo.gc();
    expect(gc.freedBytes).toBeGreaterThan(0);
    const next = await repo.startPoint({ vm: TEST_VM });
    const small = next.addDisk({ name: 'vdb', sizeBytes: 2 ** 20 });
    await small.writeExtent(0, seededBytes('fits', 2 ** 20));
    await next.commit({ consistency: 'crash-consistent' });
    expect(await repo.verify({ readData: true })).toMatchObject({ ok: true, points: 2 });
  });

  it('restores with not one byte free, and gc says what can free space', async () => {
    const filler = join(mountPoint, 'filler-all');
    await run('sh', ['-c', 'cat /dev/zero > "$1" 2>/dev/null || true', 'sh', filler]);
    try {
      const { stdout } = await run('df', ['-B1', '--output=avail', mountPoint]);
      expect(Number(stdout.trim().split('\n')[1])).toBe(0);
      expect(await hashReader(await repo.openDisk(first, 'vda'))).toBe(await hashFile(image));
      // Pruning cannot free space here: the message says what can, not "prune".
      const err = await repo.gc().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HyperkeepError);
      expect((err as HyperkeepError).details?.reason).toBe('NO_SPACE');
      expect((err as HyperkeepError).message).toMatch(
        /not even for the small lock file that gc needs: free some space on that storage by other means/,
      );
    } finally {
      await rm(filler, { force: true });
    }
  });
});
