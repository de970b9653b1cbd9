/**
 * Incremental cataloging of volumes the Linux kernel changed, as a running guest changes them:
 * ext4 and XFS images are loop-mounted, filled, then changed between points (new, grown,
 * fragmented, renamed, moved and removed files and folders, links, a folder grown to thousands
 * of entries). Each point is cataloged from what changed and whole; both must hold the same.
 * Needs root and loop devices (as the lab does); skipped elsewhere.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../harness/exec';
import { SMALL_XFS_ENV } from '../filesystems/xfs-fixtures';
import { initRepo, makeTempDir } from '../repository/helpers';
import { DeltaCheck } from './delta-fixtures';
import { changeFilesAndFolders, fillVolume, growFolderAndFragmentFile } from './volume-changes';

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
      await fillVolume(root, 3200);
      await symlink(`/${'far/'.repeat(40)}away`, join(root, 'home/alice/long-link'));
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
    await changeMounted(image, mnt, changeFilesAndFolders);
    await check.expectDeltaEqualsFullWalk('vdb', true);
  }, 120_000);

  it('equals a full walk after a folder grows to over a thousand entries and a file fragments', async () => {
    await changeMounted(image, mnt, (root) => growFolderAndFragmentFile(root, 1000));
    await check.expectDeltaEqualsFullWalk('vdb', true);
  }, 120_000);
});
