/**
 * The fast restore paths on a real partitioned ext4 disk stored in a repository: a file of a
 * cataloged point read straight from the catalog's extents (equal to the original, reading only
 * about its own chunks), the same folder restored through the catalog and by parsing the file
 * system, and a whole disk streamed block by block through the decoding threads (equal to the
 * source per qemu-img compare; a damaged chunk fails the restore and leaves no file).
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDb } from '../../../src-main/engine/catalog/catalog';
import { catalogPoint } from '../../../src-main/engine/file-catalog/catalog-point';
import { FileCatalog } from '../../../src-main/engine/file-catalog/file-catalog';
import { RepoKeys } from '../../../src-main/engine/repository/backend';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { CatalogPointSource } from '../../../src-main/engine/restore/catalog-file-source';
import { copyToSink, createImageSink } from '../../../src-main/engine/restore/image-export';
import { FileSystemPointSource } from '../../../src-main/engine/restore/point-file-source';
import { run } from '../../harness/exec';
import { initRepo, seededBytes } from '../repository/helpers';
import {
  listTree,
  openCountingRepository,
  pointFromImage,
  restoreWith,
  sha256File,
  sha256Of,
} from './restore-fixtures';

const MiB = 1024 * 1024;
/** Small chunks, so "about the file's chunks" is a tight bound. */
const MAX_CHUNK = MiB;
const BIG = seededBytes('catalog-restore big', 6 * MiB + 12345);

let scratch: string;
let image: string;
let repoDir: string;
let pointId: string;
let db: CatalogDb;
let catalog: FileCatalog;
let counted: Awaited<ReturnType<typeof openCountingRepository>>;
let repository: Repository;

/**
 * A 96 MiB disk: MBR, one partition at 1 MiB holding ext4 with a 6 MiB file of random bytes,
 * a sparse file, a tree of small files and a symlink, and ~20 MiB of other data around them.
 */
async function makeDisk(dir: string): Promise<string> {
  const staging = join(dir, 'staging');
  await mkdir(join(staging, 'data', 'nested'), { recursive: true });
  await writeFile(join(staging, 'data', 'big.bin'), BIG);
  for (let i = 0; i < 20; i++)
    await writeFile(join(staging, `filler-${i}.bin`), seededBytes(`filler ${i}`, MiB));
  for (let i = 0; i < 30; i++)
    await writeFile(
      join(staging, 'data', 'nested', `note-${i}.txt`),
      `note ${i}\n`.repeat(i * 50 + 1),
    );
  await run('sh', [
    '-c',
    'printf tail | dd of="$1" bs=1 seek=5000000 conv=notrunc status=none',
    'sh',
    join(staging, 'data', 'sparse.bin'),
  ]);
  await run('ln', ['-s', 'big.bin', join(staging, 'data', 'link')]);
  const fs = join(dir, 'fs.img');
  await run('truncate', ['-s', '80M', fs]);
  await run('mkfs.ext4', ['-q', '-F', '-d', staging, fs]);
  const disk = join(dir, 'disk.img');
  await run('truncate', ['-s', '96M', disk]);
  await run('sh', ['-c', 'echo "start=2048, size=163840, type=83" | sfdisk -q "$1"', 'sh', disk]);
  await run('dd', [
    `if=${fs}`,
    `of=${disk}`,
    'bs=1M',
    'seek=1',
    'conv=notrunc,sparse',
    'status=none',
  ]);
  await rm(staging, { recursive: true, force: true });
  await rm(fs);
  return disk;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-fast-restore-'));
  image = await makeDisk(scratch);
  repoDir = join(scratch, 'repo');
  const writer = await initRepo(repoDir, {
    chunker: { minSize: 64 * 1024, avgSize: 256 * 1024, maxSize: MAX_CHUNK },
  });
  try {
    pointId = await pointFromImage(writer, image, 'vda');
    db = openCatalog(join(scratch, 'catalog.sqlite'));
    catalog = new FileCatalog(db);
    const result = await catalogPoint({
      catalog,
      repository: writer,
      repositoryName: 'default',
      manifest: await writer.getPoint(pointId),
    });
    expect(result.volumes.find((v) => v.name === 'vda1')).toMatchObject({
      indexed: true,
      offsetBytes: MiB,
    });
  } finally {
    await writer.close();
  }
  counted = await openCountingRepository(repoDir);
  repository = counted.repository;
}, 180_000);

afterAll(async () => {
  await repository?.close();
  db?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('file restore from the catalog', () => {
  it('restores a file equal to the original from its extents, reading only its chunks', async () => {
    counted.reset();
    const source = await CatalogPointSource.open(repository, catalog, pointId, ['vda']);
    expect(source).toBeInstanceOf(CatalogPointSource);
    const dest = join(scratch, 'one');
    const result = await restoreWith(source, dest, ['/vda1/data/big.bin']);
    expect(result).toMatchObject({ files: 1, bytes: BIG.length, skipped: [] });
    const restored = [...(await listTree(dest)).keys()].find((p) => p.endsWith('big.bin'))!;
    expect(await sha256File(join(dest, restored))).toBe(sha256Of(BIG));
    // The file's chunks (random bytes: stored ≈ raw) plus at most one partly used chunk at
    // each end and the disk map; parsing the file system would add superblock, group
    // descriptors, inode table and directory chunks on top.
    const read = counted.packBytesRead();
    expect(read).toBeGreaterThanOrEqual(BIG.length);
    expect(read).toBeLessThan(BIG.length + 2 * MAX_CHUNK + 64 * 1024);
  });

  it('restores a folder the same as parsing the file system does', async () => {
    const viaCatalog = join(scratch, 'tree-catalog');
    const viaParser = join(scratch, 'tree-parser');
    const a = await restoreWith(
      await CatalogPointSource.open(repository, catalog, pointId, ['vda']),
      viaCatalog,
      ['/vda1/data'],
    );
    const b = await restoreWith(
      await FileSystemPointSource.open(repository, pointId, ['vda']),
      viaParser,
      ['/vda1/data'],
    );
    expect(a).toMatchObject({ files: b.files, folders: b.folders, symlinks: 1, skipped: [] });
    const tree = await listTree(viaCatalog);
    expect(tree).toEqual(await listTree(viaParser));
    const paths = [...tree.keys()];
    expect(paths.find((p) => p.endsWith('data/nested/note-29.txt'))).toBeDefined();
    expect(tree.get(paths.find((p) => p.endsWith('data/sparse.bin'))!)).toBe('file');
    for (const [path, type] of tree) {
      if (type !== 'file') continue;
      expect(await sha256File(join(viaCatalog, path))).toBe(
        await sha256File(join(viaParser, path)),
      );
      const [x, y] = await Promise.all([stat(join(viaCatalog, path)), stat(join(viaParser, path))]);
      expect({ mode: x.mode, mtime: x.mtimeMs, size: x.size }).toEqual({
        mode: y.mode,
        mtime: y.mtimeMs,
        size: y.size,
      });
    }
  });

  it('parses the file system for a point that is not cataloged', async () => {
    const writer = await initRepo(join(scratch, 'repo-uncataloged'));
    try {
      const id = await pointFromImage(writer, image, 'vda');
      const source = await CatalogPointSource.open(writer, catalog, id, ['vda']);
      expect(source).toBeInstanceOf(FileSystemPointSource);
      await source.close();
    } finally {
      await writer.close();
    }
  });
});

describe('whole-disk restore through the decoding threads', () => {
  const copy = async (dest: string, format: 'raw' | 'qcow2') => {
    const reader = await repository.openDisk(pointId, 'vda');
    const sink = await createImageSink(format, dest, reader.size, { overwrite: false });
    return copyToSink(reader, sink, {
      signal: new AbortController().signal,
      progress: () => undefined,
    });
  };

  it('writes the disk as raw and qcow2 equal to the source image', async () => {
    for (const format of ['raw', 'qcow2'] as const) {
      const dest = join(scratch, `restored.${format}`);
      expect(await copy(dest, format)).toBe(96 * MiB);
      const { stdout } = await run('qemu-img', ['compare', '-f', 'raw', '-F', format, image, dest]);
      expect(stdout).toMatch(/Images are identical/);
    }
  });

  it('fails clearly on a damaged chunk and leaves no file behind', async () => {
    // Damage bytes near the start of the largest pack: inside one of its data blobs.
    const packs = (await readdir(join(repoDir, 'packs'), { recursive: true }))
      .map((p) => p.split('/').pop()!)
      .filter((n) => /^[0-9a-f]{64}$/.test(n));
    const sized = await Promise.all(
      packs.map(async (id) => {
        const path = join(repoDir, ...RepoKeys.pack(id).split('/'));
        return { path, size: (await stat(path)).size };
      }),
    );
    const path = sized.sort((x, y) => y.size - x.size)[0]!.path;
    await run('sh', [
      '-c',
      'printf "\\377\\377\\377\\377" | dd of="$1" bs=1 seek=5000 conv=notrunc status=none',
      'sh',
      path,
    ]);
    const dest = join(scratch, 'damaged.raw');
    await expect(copy(dest, 'raw')).rejects.toThrow(/is damaged \(authentication failed/);
    expect((await readdir(scratch)).filter((n) => n.startsWith('damaged'))).toEqual([]);
  });
});
