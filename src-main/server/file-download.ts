import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PathMode } from '../../shared/domain/restore';
import { HyperkeepError, toErrorData } from '../../shared/errors';
import type { Engine } from '../engine/engine';
import { CatalogPointSource } from '../engine/restore/catalog-file-source';
import type { PointFileSource } from '../engine/restore/point-file-source';
import { findRestorePoint } from '../engine/restore/point-lookup';
import { planRestore } from '../engine/restore/restore-plan';
import { tarStream } from '../engine/restore/tar-stream';
import { zipStream } from '../engine/restore/zip-stream';

export const FILE_DOWNLOAD_PATH = '/api/download/files';
const MAX_PATHS = 10_000;

/** Status codes of the errors a download can answer with before its first byte. */
function statusOf(err: unknown): number {
  if (!(err instanceof HyperkeepError)) return 500;
  return err.code === 'NOT_FOUND' ? 404 : err.code === 'INVALID_INPUT' ? 400 : 500;
}

function parseRequest(url: URL): {
  vm: string;
  pointId: string;
  paths: string[];
  format: 'tar' | 'zip';
  pathMode: PathMode;
} {
  const vm = url.searchParams.get('vm');
  const pointId = url.searchParams.get('point');
  const paths = url.searchParams.getAll('path').filter((p) => p !== '');
  const format = url.searchParams.get('format') ?? 'tar';
  const strip = Number(url.searchParams.get('strip') ?? '0');
  if (!vm || !pointId || paths.length === 0)
    throw new HyperkeepError(
      'INVALID_INPUT',
      'Name the VM (vm=), the restore point (point=) and at least one path (path=).',
    );
  if (paths.length > MAX_PATHS)
    throw new HyperkeepError('INVALID_INPUT', `Select at most ${MAX_PATHS} paths per download.`);
  if (format !== 'tar' && format !== 'zip')
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Unknown archive format "${format}": use tar or zip.`,
    );
  if (!Number.isInteger(strip) || strip < 0 || strip > 255)
    throw new HyperkeepError('INVALID_INPUT', 'strip= must be a whole number of levels (0–255).');
  return {
    vm,
    pointId,
    paths,
    format,
    pathMode: strip > 0 ? { kind: 'strip', levels: strip } : { kind: 'preserve' },
  };
}

/**
 * GET /api/download/files?vm=&point=&path=…[&path=…]&format=tar|zip[&strip=N]: the selected files
 * of a restore point as one archive, streamed while it is read from the repository. Names follow
 * the same rules as a restore to a folder; what was left out is listed inside the archive.
 * The caller (serve.ts) has checked the Host header and the session token.
 */
export async function handleFileDownload(
  engine: Engine,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () =>
    abort.abort(new HyperkeepError('CANCELLED', 'The download was interrupted.')),
  );
  let source: PointFileSource | undefined;
  try {
    if (req.method !== 'GET') throw new HyperkeepError('INVALID_INPUT', 'Use GET.');
    const request = parseRequest(url);
    const point = findRestorePoint(engine, request.vm, request.pointId);
    const repository = await engine.repositories.get(point.repository);
    source = await CatalogPointSource.open(
      repository,
      engine.fileCatalog,
      point.id,
      point.disks.map((d) => d.name),
    );
    const plan = await planRestore(source, {
      paths: request.paths,
      pathMode: request.pathMode,
      // Escapes (.., /, \, NUL) are refused as for a folder; names Windows merely dislikes
      // ("aux", "a:b") are kept, as the extracting tool renames them where it must.
      windowsDestination: false,
      signal: abort.signal,
    });
    const fileName = `${point.vmName}-${point.id}`.replace(/[^A-Za-z0-9._-]/g, '_');
    res.writeHead(200, {
      ...headers,
      'Content-Type': request.format === 'tar' ? 'application/x-tar' : 'application/zip',
      'Content-Disposition': `attachment; filename="${fileName}.${request.format}"`,
      'Cache-Control': 'no-store',
    });
    const stream =
      request.format === 'tar'
        ? tarStream(source, plan, abort.signal)
        : zipStream(source, plan, abort.signal);
    for await (const block of stream) {
      if (block.length === 0) continue;
      if (!res.write(block)) await once(res, 'drain', { signal: abort.signal });
    }
    res.end();
  } catch (err) {
    if (!res.headersSent) {
      res.writeHead(statusOf(err), {
        ...headers,
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
      });
      res.end(JSON.stringify({ ok: false, error: toErrorData(err) }));
    } else {
      // Half an archive must not look like a whole one: cut the connection.
      res.destroy(err instanceof Error ? err : undefined);
    }
  } finally {
    await source?.close();
  }
}
