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

/**
 * Changes a running guest makes to a mounted volume, shared by the incremental cataloging tests
 * of each file system (catalog-delta-kernel.test.ts, catalog-delta-ntfs.test.ts): the first
 * fill, then rounds of changes between points.
 */

/** `files` files in d0..d7/s0..s4 (file i in d{i%8}/s{i%5}), and alice's home with links. */
export async function fillVolume(root: string, files: number): Promise<void> {
  for (let i = 0; i < files; i++) {
    const folder = join(root, `d${i % 8}`, `s${i % 5}`);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `f${i}.txt`), `${i}\n`.repeat(i % 500));
  }
  await mkdir(join(root, 'home/alice/projects/alpha'), { recursive: true });
  await writeFile(join(root, 'home/alice/notes.txt'), 'notes\n');
  await link(join(root, 'home/alice/notes.txt'), join(root, 'd0/notes-link'));
  await writeFile(join(root, 'home/alice/projects/alpha/main.c'), 'int main;\n');
}

/** Files and folders created, grown, removed, moved, renamed, re-permissioned, linked. */
export async function changeFilesAndFolders(root: string): Promise<void> {
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
}

/**
 * d0/s0 grown by `entries` files (past a thousand: the folder's index changes form), a file
 * written back to front in pieces with gaps (its block map outgrows the inode), and the
 * moved projects removed.
 */
export async function growFolderAndFragmentFile(root: string, entries: number): Promise<void> {
  const big = join(root, 'd0/s0');
  for (let i = 0; i < entries; i++) await writeFile(join(big, `many-${i}.dat`), `${i}`);
  const fh = await open(join(root, 'home/alice/fragmented.bin'), 'w');
  for (let i = 60; i >= 0; i--) await fh.write(Buffer.alloc(4096, i), 0, 4096, i * 131072);
  await fh.close();
  await rm(join(root, 'd4/moved-projects'), { recursive: true });
}
