/**
 * Incremental cataloging of volumes the Linux kernel changed, as a running guest changes them:
 * ext4 and XFS images are loop-mounted, filled, then changed between points (new, grown,
 * fragmented, renamed, moved and removed files and folders, links, a folder grown to thousands
 * of entries). Each point is cataloged from what changed and whole; both must hold the same.
 * Needs root and loop devices (as the lab does); skipped elsewhere.
 */
import { existsSync } from 'node:fs';
import {
  appendFile,
  chmod,
  link,
  mkdir,
  open,
  rename,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../harness/exec';
import { SMALL_XFS_ENV } from '../filesystems/xfs-fixtures';
import { initRepo, makeTempDir } from '../repository/helpers';
import { DeltaCheck } from './delta-fixtures';

const canMount = process.getuid?.() === 0 && existsSync('/dev/loop-control');

const KINDS = [
  { kind: 'ext4', mkfs: ['mkfs.ext4', '-q', '-F'], env: {} },
  { kind: 'xfs', mkfs: ['mkfs.xfs', '-q', '-f'], env: SMALL_XFS_ENV },
] as const;

/** Mounts the image, runs `change` on the mount point, unmounts (the kernel flushes all). */
async function changeMounted(image: string, mnt: string, change: (root: string) => Promise<void>) {
  await run('mount', ['-o', 'loop', image, mnt]);
  try {
    await change(mnt);
  } finally {
    await run('umount', [mnt]);
  }
}

describe.skipIf(!canMount).each(KINDS)('$kind changed by the kernel', ({ kind, mkfs, env }) => {
  let dir: string;
  let image: string;
  let mnt: string;
  let check: DeltaCheck;

  beforeAll(async () => {
    dir = await makeTempDir(`delta-kernel-${kind}`);
    image = join(dir, 'vdb.raw');
    mnt = join(dir, 'mnt');
    await mkdir(mnt);
    await run('truncate', ['-s', '160M', image]);
    await run(mkfs[0], [...mkfs.slice(1), image], { env: { ...process.env, ...env } });
    await changeMounted(image, mnt, async (root) => {
      for (let i = 0; i < 3200; i++) {
        const folder = join(root, `d${i % 8}`, `s${i % 5}`);
        await mkdir(folder, { recursive: true });
        await writeFile(join(folder, `f${i}.txt`), `${i}\n`.repeat(i % 500));
      }
      await mkdir(join(root, 'home/alice/projects/alpha'), { recursive: true });
      await writeFile(join(root, 'home/alice/notes.txt'), 'notes\n');
      await link(join(root, 'home/alice/notes.txt'), join(root, 'd0/notes-link'));
      await symlink(`/${'far/'.repeat(40)}away`, join(root, 'home/alice/long-link'));
      await writeFile(join(root, 'home/alice/projects/alpha/main.c'), 'int main;\n');
    });
    check = new DeltaCheck(
      await initRepo(join(dir, 'repo')),
      { uuid: crypto.randomUUID(), name: `k-${kind}` },
      { vdb: image },
    );
    const first = await check.catalogWith(check.incremental, await check.storePoint());
    expect(first.notes.join('\n')).toMatch(/vdb: walked whole \(no earlier point/);
  }, 120_000);

  afterAll(async () => {
    check?.remove();
    await run('umount', [mnt]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('equals a full walk after files and folders are created, grown, moved and removed', async () => {
    await changeMounted(image, mnt, async (root) => {
      await writeFile(join(root, 'd1/s1/new.txt'), 'new\n');
      await appendFile(join(root, 'd2/s2/f2.txt'), 'more\n'.repeat(5000));
      await rm(join(root, 'd3/s3'), { recursive: true });
      await rename(join(root, 'home/alice/projects'), join(root, 'd4/moved-projects'));
      await rename(join(root, 'd5/s0/f5.txt'), join(root, 'd5/s0/renamed.txt'));
      await chmod(join(root, 'd6/s1/f6.txt'), 0o600);
      await utimes(join(root, 'd7/s2/f7.txt'), new Date('2020-02-02'), new Date('2020-02-02'));
      await link(join(root, 'd1/s1/new.txt'), join(root, 'home/alice/new-link'));
      await mkdir(join(root, 'fresh/a/b/c'), { recursive: true });
      await writeFile(join(root, 'fresh/a/b/c/deep.txt'), 'deep\n');
      await symlink('../notes.txt', join(root, 'home/alice/short-link'));
    });
    await check.expectDeltaEqualsFullWalk('vdb', true);
  }, 120_000);

  it('equals a full walk after a folder grows to over a thousand entries and a file fragments', async () => {
    await changeMounted(image, mnt, async (root) => {
      const big = join(root, 'd0/s0');
      for (let i = 0; i < 1000; i++) await writeFile(join(big, `many-${i}.dat`), `${i}`);
      // Written back to front in pieces with gaps: its block map outgrows the inode.
      const fh = await open(join(root, 'home/alice/fragmented.bin'), 'w');
      for (let i = 60; i >= 0; i--) await fh.write(Buffer.alloc(4096, i), 0, 4096, i * 131072);
      await fh.close();
      await rm(join(root, 'd4/moved-projects'), { recursive: true });
    });
    await check.expectDeltaEqualsFullWalk('vdb', true);
  }, 120_000);
});
