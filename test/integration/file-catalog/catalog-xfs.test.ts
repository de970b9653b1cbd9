/**
 * A restore point of a Rocky Linux guest, whose root file system is XFS (the RHEL family's
 * default): cataloged as a backup does, it says which OS it holds and where the volume is
 * mounted, lists folders with owners from the guest's /etc/passwd, and restores files from the
 * catalog's extents equal to the originals and equal to what parsing the file system gives.
 */
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDb } from '../../../src-main/engine/catalog/catalog';
import { detectGuestFacts } from '../../../src-main/engine/file-catalog/catalog-phase';
import {
  catalogPoint,
  type CatalogPointResult,
} from '../../../src-main/engine/file-catalog/catalog-point';
import { CatalogQueries } from '../../../src-main/engine/file-catalog/catalog-queries';
import { FileCatalog } from '../../../src-main/engine/file-catalog/file-catalog';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { CatalogPointSource } from '../../../src-main/engine/restore/catalog-file-source';
import { FileSystemPointSource } from '../../../src-main/engine/restore/point-file-source';
import { run } from '../../harness/exec';
import { mkfsXfsFromProto, protoFromHostDir, type ProtoNode } from '../filesystems/xfs-fixtures';
import { initRepo, makeTempDir, seededBytes } from '../repository/helpers';
import {
  listTree,
  pointFromImage,
  restoreWith,
  sha256File,
  sha256Of,
} from '../restore/restore-fixtures';

const MiB = 1024 * 1024;
const FS_UUID = '3f0e8a52-6c1d-4b7e-9a0f-5d2c7b1e4a90';
const BIG = seededBytes('xfs catalog big', 3 * MiB + 777);
const VM = { uuid: '7d0c2a4e-1b3f-4c5d-8e9f-0000000000f5', name: 'rocky-01' };

let dir: string;
let repository: Repository;
let db: CatalogDb;
let catalog: FileCatalog;
let pointId: string;
let result: CatalogPointResult;

/** A 96 MiB MBR disk whose partition 1 (at 1 MiB) holds XFS with a small Rocky Linux root. */
async function makeRockyDisk(): Promise<string> {
  const root = join(dir, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'usr/lib'), { recursive: true });
  await mkdir(join(root, 'home/alice/docs'), { recursive: true });
  await mkdir(join(root, 'srv/data'), { recursive: true });
  await writeFile(
    join(root, 'usr/lib/os-release'),
    [
      'NAME="Rocky Linux"',
      'VERSION="9.4 (Blue Onyx)"',
      'ID="rocky"',
      'PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"',
      '',
    ].join('\n'),
  );
  // As on RHEL and kin: /etc/os-release is a relative symlink into /usr/lib.
  await symlink('../usr/lib/os-release', join(root, 'etc/os-release'));
  await writeFile(join(root, 'etc/hostname'), 'rocky-01\n');
  await writeFile(join(root, 'etc/fstab'), `UUID=${FS_UUID} / xfs defaults 0 0\n`);
  await writeFile(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n',
  );
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nalice:x:1000:\n');
  await writeFile(join(root, 'home/alice/docs/report.txt'), 'quarterly numbers\n');
  await writeFile(join(root, 'home/alice/notes.txt'), 'remember the milk\n');
  // Legal on Linux, not on Windows: a restore must keep it as it is.
  await writeFile(join(root, 'home/alice/why?.txt'), 'because\n');
  await writeFile(join(root, 'srv/data/big.bin'), BIG);
  await writeFile(join(root, 'srv/data/empty'), '');
  const tree = await protoFromHostDir(root);
  const owned = (nodes: ProtoNode[]): ProtoNode[] =>
    nodes.map((n) =>
      n.kind === 'file'
        ? { ...n, uid: 1000, gid: 1000 }
        : n.kind === 'dir'
          ? { ...n, children: owned(n.children) }
          : n,
    );
  const home = tree.find((n) => n.name === 'home');
  if (home?.kind === 'dir') home.children = owned(home.children);

  const fsImage = join(dir, 'fs.img');
  await mkfsXfsFromProto(fsImage, '80M', tree, join(dir, 'root.proto'), [
    '-L',
    'root',
    '-m',
    `uuid=${FS_UUID}`,
  ]);
  const disk = join(dir, 'disk.img');
  await run('truncate', ['-s', '96M', disk]);
  await run('sh', ['-c', 'echo "start=2048, size=163840, type=83" | sfdisk -q "$1"', 'sh', disk]);
  await run('dd', [
    `if=${fsImage}`,
    `of=${disk}`,
    'bs=1M',
    'seek=1',
    'conv=notrunc,sparse',
    'status=none',
  ]);
  await rm(fsImage);
  await rm(root, { recursive: true, force: true });
  return disk;
}

beforeAll(async () => {
  dir = await makeTempDir('catalog-xfs');
  const disk = await makeRockyDisk();
  repository = await initRepo(join(dir, 'repo'));
  pointId = await pointFromImage(repository, disk, 'vda', VM);
  db = openCatalog(join(dir, 'catalog.sqlite'));
  catalog = new FileCatalog(db);
  result = await catalogPoint({
    catalog,
    repository,
    repositoryName: 'default',
    manifest: await repository.getPoint(pointId),
    detectGuest: detectGuestFacts,
  });
}, 180_000);

afterAll(async () => {
  await repository?.close();
  db?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('file catalog of an XFS guest', () => {
  it('indexes the XFS volume, finds it mounted at / and knows the OS', () => {
    expect(result.warnings).toEqual([]);
    expect(result.volumes).toEqual([
      expect.objectContaining({
        name: 'vda1',
        indexed: true,
        filesystem: 'xfs',
        label: 'root',
        mountPoint: '/',
        offsetBytes: MiB,
        files: 11, // everything but folders: 10 files and a symlink
      }),
    ]);
    expect(catalog.guestOsByPoint([pointId]).get(pointId)).toMatchObject({
      family: 'linux',
      name: 'Rocky Linux 9.4 (Blue Onyx)',
      hostname: 'rocky-01',
    });
  });

  it('lists folders like ls -l: names, sizes, modes, owners from the guest', () => {
    const queries = new CatalogQueries(db);
    const point = queries.point(VM.uuid, { pointId });
    const rows = (path: string) =>
      queries
        .list(point, path)
        .entries.map((e) => [e.name, e.type, e.size, e.mode, e.owner, e.linkTarget])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(rows('/vda1/home/alice')).toEqual([
      ['docs', 'dir', 0, 0o755, 'root', undefined],
      ['notes.txt', 'file', 18, 0o644, 'alice', undefined],
      ['why?.txt', 'file', 8, 0o644, 'alice', undefined],
    ]);
    expect(rows('/vda1/srv/data')).toEqual([
      ['big.bin', 'file', BIG.length, 0o644, 'root', undefined],
      ['empty', 'file', 0, 0o644, 'root', undefined],
    ]);
    expect(rows('/vda1/etc').find((r) => r[0] === 'os-release')).toEqual([
      'os-release',
      'symlink',
      21,
      0o777,
      'root',
      '../usr/lib/os-release',
    ]);
  });

  it('restores a file from its cataloged extents, equal to the original', async () => {
    const dest = join(dir, 'one');
    const source = await CatalogPointSource.open(repository, catalog, pointId, ['vda']);
    expect(source).toBeInstanceOf(CatalogPointSource);
    const done = await restoreWith(source, dest, ['/vda1/srv/data/big.bin']);
    expect(done).toMatchObject({ files: 1, bytes: BIG.length, skipped: [] });
    const restored = [...(await listTree(dest)).keys()].find((p) => p.endsWith('big.bin'))!;
    expect(await sha256File(join(dest, restored))).toBe(sha256Of(BIG));
  });

  it('restores a folder through the catalog the same as parsing the file system', async () => {
    const viaCatalog = join(dir, 'tree-catalog');
    const viaParser = join(dir, 'tree-parser');
    const a = await restoreWith(
      await CatalogPointSource.open(repository, catalog, pointId, ['vda']),
      viaCatalog,
      ['/vda1/home'],
    );
    const b = await restoreWith(
      await FileSystemPointSource.open(repository, pointId, ['vda']),
      viaParser,
      ['/vda1/home'],
    );
    expect(a).toMatchObject({ files: 3, folders: b.folders, skipped: [] });
    expect(b).toMatchObject({ files: 3, skipped: [] });
    const tree = await listTree(viaCatalog);
    expect(tree).toEqual(await listTree(viaParser));
    expect([...tree.keys()].some((p) => p.endsWith('home/alice/why?.txt'))).toBe(true);
    const report = [...tree.keys()].find((p) => p.endsWith('docs/report.txt'))!;
    expect(await sha256File(join(viaCatalog, report))).toBe(sha256Of('quarterly numbers\n'));
  });
});
