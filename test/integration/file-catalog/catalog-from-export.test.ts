/**
 * Cataloging from a backed-up disk's export (catalogPoint's diskReaders), as the backup job does
 * for a running VM: the catalog equals the one built from the repository, and when the export
 * goes away mid-walk (qemu-nbd killed, as when the VM is shut down) the walk goes on from the
 * restore point, with a warning, and still indexes every file.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileEntry } from '../../../shared/domain/files';
import { openCatalog } from '../../../src-main/engine/catalog/catalog';
import { catalogPoint } from '../../../src-main/engine/file-catalog/catalog-point';
import { CatalogQueries } from '../../../src-main/engine/file-catalog/catalog-queries';
import { FileCatalog } from '../../../src-main/engine/file-catalog/file-catalog';
import type { RandomAccessReader } from '../../../src-main/engine/io/random-access';
import { NbdClient } from '../../../src-main/engine/nbd/client';
import { NbdDiskReader } from '../../../src-main/engine/nbd/disk-reader';
import type { PointManifest } from '../../../src-main/engine/repository/manifest';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { startQemuNbd, type RunningServer } from '../../harness/nbd-servers';
import { TEST_VM, initRepo, makeExt4Image, makeTempDir, writeImage } from '../repository/helpers';

let dir: string;
let image: string;
let repository: Repository;
let manifest: PointManifest;
let server: RunningServer | undefined;

/** qemu-nbd serving the image read-only on a socket of its own, and a reader of it. */
async function serve(name: string): Promise<NbdDiskReader> {
  const socketPath = join(dir, `${name}.sock`);
  server = await startQemuNbd(image, { socketPath }, ['--format=raw']);
  return new NbdDiskReader(await NbdClient.connect({ endpoint: { socketPath } }));
}

/** Catalogs the point into a fresh catalog; returns the result and every entry by path. */
async function catalogInto(name: string, diskReaders?: Map<string, RandomAccessReader>) {
  const db = openCatalog(join(dir, `${name}.sqlite`));
  try {
    const result = await catalogPoint({
      catalog: new FileCatalog(db),
      repository,
      repositoryName: 'default',
      manifest,
      ...(diskReaders ? { diskReaders } : {}),
    });
    const queries = new CatalogQueries(db);
    const point = queries.point(TEST_VM.uuid, { pointId: manifest.id });
    const entries = new Map<string, Pick<FileEntry, 'type' | 'size' | 'mtime'>>();
    const walk = (path: string): void => {
      for (const e of queries.list(point, path, { limit: 100_000 }).entries) {
        entries.set(e.path, { type: e.type, size: e.size, mtime: e.mtime });
        if (e.type === 'dir') walk(e.path);
      }
    };
    walk('/');
    return { result, entries };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dir = await makeTempDir('catalog-export');
  image = await makeExt4Image(dir, 64, 12e6);
  repository = await initRepo(join(dir, 'repo'));
  const writer = await repository.startPoint({ vm: TEST_VM });
  await writeImage(writer, 'vda', image);
  manifest = await writer.commit({ consistency: 'crash-consistent' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await repository?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('cataloging from the export of a backed-up disk', () => {
  it('gives the same catalog as the repository, and survives the export going away', async () => {
    const fromRepository = await catalogInto('repository');
    expect(fromRepository.result.files).toBeGreaterThan(200);
    expect(fromRepository.result.warnings).toEqual([]);

    const export1 = await serve('whole');
    const fromExport = await catalogInto('export', new Map([['vda', export1]]));
    await export1.close();
    await server?.stop();
    expect(fromExport.result.warnings).toEqual([]);
    expect(fromExport.entries).toEqual(fromRepository.entries);

    // The export dies after a few reads: the walk finishes from the restore point.
    const export2 = await serve('dying');
    let reads = 0;
    const dying: RandomAccessReader = {
      size: export2.size,
      read: (offset, length) => {
        if (++reads === 40) server?.process.kill('SIGKILL');
        return export2.read(offset, length);
      },
      close: () => export2.close(),
    };
    const afterDeath = await catalogInto('dying', new Map([['vda', dying]]));
    await export2.close().catch(() => undefined);
    expect(reads).toBeGreaterThanOrEqual(40);
    expect(afterDeath.result.volumes.every((v) => v.indexed)).toBe(true);
    expect(afterDeath.result.warnings).toEqual([
      expect.stringMatching(/^Disk vda was read from the restore point after its source failed/),
    ]);
    expect(afterDeath.entries).toEqual(fromRepository.entries);
  }, 120_000);
});
