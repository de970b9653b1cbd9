import type { Engine } from '../engine';
import { diffPoints, searchFiles } from '../file-catalog/catalog-search';
import type { HandlerGroup } from './handlers';

type CatalogChannel =
  'points.volumes' | 'files.list' | 'files.search' | 'files.versions' | 'files.diff';

/** Browsing the file catalog of restore points (issue 5): folders, search, versions, diff. */
export function catalogHandlers(engine: Engine): HandlerGroup<CatalogChannel> {
  const catalog = engine.fileCatalog;
  const { queries } = catalog;
  return {
    'points.volumes': ({ vm, pointId }) =>
      queries.volumes(queries.point(vm, { pointId })).map(({ volumeId: _id, ...volume }) => volume),
    'files.list': ({ vm, pointId, at, path, offset, limit }) =>
      queries.list(queries.point(vm, { pointId, at }), path, { offset, limit }),
    'files.search': (request) => searchFiles(engine.db, queries, request),
    'files.versions': ({ vm, path }) => queries.versions(vm, path),
    'files.diff': (request) => diffPoints(engine.db, queries, request),
  };
}
