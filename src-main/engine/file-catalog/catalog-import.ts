import { toErrorData } from '../../../shared/errors';
import type { Repository } from '../repository/repository';
import type { VolumeIngest } from './catalog-ingest';
import type { CatalogRecord } from './catalog-record';
import type { FileCatalog } from './file-catalog';
import { decodePointIndex } from './point-index-object';

export interface RebuildResult {
  /** Points whose file index was loaded from the repository. */
  loaded: number;
  /** Points without a file index (taken before cataloging, or cataloging failed). */
  missing: number;
  /** Points already cataloged here. */
  present: number;
  warnings: string[];
}

/**
 * After `repo attach` on a fresh home: loads each point's file index from the repository into the
 * catalog, oldest first (so unchanged files share rows as they did when backed up), without
 * reading any disk.
 */
export async function rebuildFileCatalog(
  catalog: FileCatalog,
  repository: Repository,
  repositoryName: string,
): Promise<RebuildResult> {
  const result: RebuildResult = { loaded: 0, missing: 0, present: 0, warnings: [] };
  for (const manifest of await repository.listPoints()) {
    if (catalog.hasPoint(manifest.id)) {
      result.present++;
      continue;
    }
    let data: Uint8Array | null;
    try {
      data = await repository.getFileIndex(manifest.id);
    } catch (err) {
      result.warnings.push(toErrorData(err).message);
      continue;
    }
    if (!data) {
      result.missing++;
      continue;
    }
    const ingest = catalog.beginPoint({
      repository: repositoryName,
      pointId: manifest.id,
      vmUuid: manifest.vm.uuid,
      vmName: manifest.vm.name,
      time: manifest.startedAt,
    });
    if (!ingest) continue;
    try {
      const index = decodePointIndex(data, manifest.id);
      let current = null as { volume: number; writer: VolumeIngest } | null;
      let batch: CatalogRecord[] = [];
      const flush = () => {
        if (current && batch.length > 0) current.writer.add(batch);
        batch = [];
      };
      for (const { volume, record } of index.records()) {
        if (current?.volume !== volume) {
          flush();
          current = { volume, writer: ingest.beginVolume(index.header.volumes[volume]!.name) };
        }
        batch.push(record);
        if (batch.length >= 2000) {
          flush();
          // Let requests in between batches: a large index takes seconds to load.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      flush();
      for (const v of index.header.volumes) ingest.addVolume(v);
      ingest.finish(index.header.accounts, index.header.guest);
      result.loaded++;
    } catch (err) {
      ingest.abandon();
      result.warnings.push(toErrorData(err).message);
    }
  }
  return result;
}
