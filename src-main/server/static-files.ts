import { createReadStream, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Serves the built renderer; any path outside it (`..`, encoded or not) is a 404, never a read. */
export function serveStatic(
  root: string,
  urlPath: string,
  res: ServerResponse,
  headers: Record<string, string>,
): void {
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath);
  } catch {
    relative = '\0';
  }
  if (relative.includes('\0')) return notFound(res);
  if (relative === '/' || relative === '') relative = '/index.html';
  const path = normalize(join(root, relative));
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return notFound(res);
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return notFound(res);
    size = stat.size;
  } catch {
    return notFound(res);
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
    'Content-Length': String(size),
    'Cache-Control': relative.startsWith('/assets/')
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
  });
  createReadStream(path).pipe(res);
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('Not found');
}
