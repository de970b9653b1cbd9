/**
 * Incremental cataloging of NTFS volumes changed as Windows changes them: the image is made
 * by mkntfs and mounted with ntfs-3g (FUSE), filled, then changed between points (new, grown,
 * renamed, moved and removed files and folders, hard links, symlinks, alternate data streams,
 * permissions that add security descriptors, a folder grown past a thousand entries). Each point
 * is cataloged from what changed and whole; both must hold the same. Needs root and /dev/fuse
 * (as the mount tests do); skipped elsewhere.
 */
import { existsSync } from 'node:fs';
import {
  chmod,
  link,
  mkdir,
  open,
  readFile,
  rm,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileReader } from '../../../src-main/engine/io/file-reader';
import { volumeRangesOf } from '../../../src-main/engine/filesystems/ntfs/mft-map';
import { ATTR } from '../../../src-main/engine/filesystems/ntfs/mft-record';
import { NtfsFileSystem } from '../../../src-main/engine/filesystems/ntfs/ntfs-filesystem';
import { SecureStream } from '../../../src-main/engine/filesystems/ntfs/secure-stream';
import { parseStandardInformation } from '../../../src-main/engine/filesystems/ntfs/attribute-values';
import { run } from '../../harness/exec';
import { initRepo, makeTempDir } from '../repository/helpers';
import { DeltaCheck } from './delta-fixtures';
import { changeFilesAndFolders, fillVolume, growFolderAndFragmentFile } from './volume-changes';
import { catalogDump } from '../../unit/engine/file-catalog/temp-catalog';

const canMount = process.getuid?.() === 0 && existsSync('/dev/fuse');

/** Mounts the image with ntfs-3g, runs `change`, unmounts (ntfs-3g writes everything back). */
async function changeMounted(image: string, mnt: string, change: (root: string) => Promise<void>) {
  // `permissions`: chmod writes a security descriptor, as Windows does when an ACL changes.
  await run('ntfs-3g', ['-o', 'permissions', image, mnt]);
  try {
    await change(mnt);
  } finally {
    await run('umount', [mnt]);
  }
}

/**
 * Where $Secure:$SDS entries lie in the image: the first one, and the one of the security
 * descriptor `path` uses.
 */
async function securityEntries(image: string, path: string) {
  const reader = await FileReader.open(image);
  const fs = await NtfsFileSystem.open(reader);
  try {
    const stream = await SecureStream.load((await fs.file(9)).attributes, fs.blockSize, reader);
    const si = (await fs.file((await fs.lookup(path)).id)).attributes.find(
      (a) => a.type === ATTR.standardInformation,
    );
    const id = parseStandardInformation(si!.value!, 0).securityId!;
    const entry = stream!.entryOf(id)!;
    return {
      first: volumeRangesOf(stream!.extents, 0, 20)[0]!.volumeOffset,
      /** The entry of `path`'s descriptor: its header, then the descriptor. */
      used: volumeRangesOf(stream!.extents, entry.offset, entry.length)[0]!.volumeOffset,
    };
  } finally {
    await fs.close();
  }
}

/**
 * The image offset of a UTF-16 name inside the first `blockSize` block that `accepts` (given
 * the image and the block's offset): where a raw write changes a name in place.
 */
async function findName(
  image: string,
  name: string,
  blockSize: number,
  accepts: (bytes: Buffer, block: number) => boolean,
): Promise<number> {
  const bytes = await readFile(image);
  const needle = Buffer.from(name, 'utf16le');
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1))
    if (accepts(bytes, at - (at % blockSize))) return at;
  throw new Error(`${name} is in no block the test looks for`);
}

describe.skipIf(!canMount)('NTFS changed through ntfs-3g', () => {
  let dir: string;
  let image: string;
  let mnt: string;
  let check: DeltaCheck;

  beforeAll(async () => {
    dir = await makeTempDir('delta-ntfs');
    image = join(dir, 'vdb.raw');
    mnt = join(dir, 'mnt');
    await mkdir(mnt);
    await run('truncate', ['-s', '160M', image]);
    await run('mkntfs', ['-q', '-F', '-f', '-L', 'data', image]);
    await changeMounted(image, mnt, async (root) => {
      await fillVolume(root, 4000);
      await symlink('../notes.txt', join(root, 'home/alice/projects/notes-link'));
      // Streams enough to spill into extension records, listed by an $ATTRIBUTE_LIST.
      for (let i = 10; i < 34; i++) {
        const value = `${i}`.repeat(150);
        await run('setfattr', ['-n', `user.stream-${i}`, '-v', value, join(root, 'd2/s0/f10.txt')]);
      }
      // Names enough that the file's $ATTRIBUTE_LIST leaves its record for clusters of its own.
      await mkdir(join(root, 'links'));
      await writeFile(join(root, 'links/target.txt'), 'linked\n');
      for (let i = 0; i < 300; i++)
        await link(join(root, 'links/target.txt'), join(root, `links/a-long-hard-link-name-${i}`));
      await run('setfattr', [
        '-n',
        'user.Zone.Identifier',
        '-v',
        'ZoneId=3',
        join(root, 'd1/s1/f1.txt'),
      ]);
    });
    check = new DeltaCheck(
      await initRepo(join(dir, 'repo')),
      { uuid: crypto.randomUUID(), name: 'k-ntfs' },
      { vdb: image },
    );
    const first = await check.catalogWith(check.incremental, await check.storePoint());
    expect(first.notes.join('\n')).toMatch(/vdb: walked whole \(no earlier point/);
  }, 180_000);

  afterAll(async () => {
    check?.remove();
    await run('umount', [mnt]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('equals a full walk after files and folders are created, grown, moved, removed and re-permissioned', async () => {
    await changeMounted(image, mnt, async (root) => {
      await changeFilesAndFolders(root);
      await chmod(join(root, 'd6/s2'), 0o700);
      await run('setfattr', ['-n', 'user.extra', '-v', 'stream', join(root, 'd2/s2/f2.txt')]);
    });
    await check.expectDeltaEqualsFullWalk('vdb', true);
  }, 180_000);

  it('equals a full walk after a folder grows past a thousand entries and a file fragments', async () => {
    await changeMounted(image, mnt, (root) => growFolderAndFragmentFile(root, 1200));
    await check.expectDeltaEqualsFullWalk('vdb', true);
  }, 180_000);

  it('equals a full walk after a file with an attribute list outside its record gains and loses names', async () => {
    await changeMounted(image, mnt, async (root) => {
      for (let i = 300; i < 340; i++)
        await link(join(root, 'links/target.txt'), join(root, `links/a-long-hard-link-name-${i}`));
      for (let i = 0; i < 300; i += 7) await unlink(join(root, `links/a-long-hard-link-name-${i}`));
      await writeFile(join(root, 'links/target.txt'), 'linked, then changed\n');
    });
    await check.expectDeltaEqualsFullWalk('vdb', true);
    const listing = catalogDump(check.incremental, check.lastPointId!, 'vdb');
    const names = listing.filter((row) => row.includes('"path":"/links/a-long-hard-link-name-'));
    expect(names).toHaveLength(340 - 43);
    expect(names.every((row) => row.includes('"size":21'))).toBe(true);
  }, 180_000);

  it('lists a file again when only one of its extension records changed (a raw write)', async () => {
    // A stream's name in an extension record (base record number at byte 32 is not 0).
    const at = await findName(image, 'stream-33', 1024, (bytes, record) => {
      const isFile = bytes.toString('latin1', record, record + 4) === 'FILE';
      return isFile && bytes.readUInt32LE(record + 32) !== 0;
    });
    const fh = await open(image, 'r+');
    await fh.write(Buffer.from('X', 'utf16le'), 0, 2, at + 2 * 'stream-3'.length);
    await fh.close();
    await check.expectDeltaEqualsFullWalk('vdb', true);
    const listing = catalogDump(check.incremental, check.lastPointId!, 'vdb');
    expect(listing.find((row) => row.includes('"path":"/d2/s0/f10.txt"'))).toMatch(/stream-3X/);
  }, 180_000);

  it('lists a folder again when only its index blocks changed (a raw write)', async () => {
    // A name in the big folder's B+tree, changed in place: the folder's own record stays as it was.
    const at = await findName(image, 'many-700.dat', 4096, (bytes, block) => {
      return bytes.toString('latin1', block, block + 4) === 'INDX';
    });
    const fh = await open(image, 'r+');
    await fh.write(Buffer.from('X', 'utf16le'), 0, 2, at + 2 * 'many-70'.length);
    await fh.close();
    await check.expectDeltaEqualsFullWalk('vdb', true);
    const listing = catalogDump(check.incremental, check.lastPointId!, 'vdb');
    expect(listing.some((row) => row.includes('"path":"/d0/s0/many-70X.dat"'))).toBe(true);
  }, 180_000);

  it('shows the new owner of files whose security descriptor changed in place', async () => {
    // The descriptor chmod gave f6.txt alone: its owner SID's first sub-authority changes.
    const { used } = await securityEntries(image, '/d6/s1/f6.txt');
    const fh = await open(image, 'r+');
    const descriptor = Buffer.alloc(64);
    await fh.read(descriptor, 0, 64, used + 20);
    const subAuthority = used + 20 + descriptor.readUInt32LE(4) + 8;
    await fh.write(Buffer.from([0x77]), 0, 1, subAuthority);
    await fh.close();
    await check.expectDeltaEqualsFullWalk('vdb', true);
    const listing = catalogDump(check.incremental, check.lastPointId!, 'vdb');
    const f6 = listing.find((row) => row.includes('"path":"/d6/s1/f6.txt"'));
    expect(f6).toContain('"owner":"S-1-5-119-544"');
  }, 180_000);

  it('walks whole when $Secure was rewritten, so owners shown are never stale', async () => {
    // Damage the header of the first security descriptor entry: a full walk loses the owners of
    // every descriptor after it in the block, not only of the files using the damaged one.
    const { first } = await securityEntries(image, '/d6/s1/f6.txt');
    const fh = await open(image, 'r+');
    await fh.write(Buffer.alloc(20), 0, 20, first);
    await fh.close();
    const notes = await check.expectDeltaEqualsFullWalk('vdb', false);
    expect(notes.join('\n')).toMatch(
      /vdb: walked whole \(.*its security descriptors \(\$Secure\) were rewritten/,
    );
  }, 180_000);
});
