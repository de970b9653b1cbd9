import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src-renderer/api/api-error';
import { decodeResult } from '../../../../src-renderer/api/envelope';
import { postInvoke } from '../../../../src-renderer/api/http-transport';

// A real HTTP server answering the way `hyperkeep serve` and a wrong server would.
let server: Server;
let base: string;
const seen: { path: string; body: string; contentType: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', body, contentType: req.headers['content-type'] });
      if (req.url === '/console/api/invoke/hypervisor.list') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, value: [] }));
      } else if (req.url === '/console/api/invoke/app.info') {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: { code: 'UNAUTHORIZED', message: 'Token?' } }));
      } else {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<h1>Not found</h1>');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/console/?token=abc#/vms`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return err;
}

describe('postInvoke', () => {
  it('POSTs JSON next to the page, without its query or hash', async () => {
    const answer = await postInvoke(base, 'hypervisor.list', {});
    expect(decodeResult('hypervisor.list', answer.body, answer.status)).toEqual([]);
    expect(seen.at(-1)).toEqual({
      path: '/console/api/invoke/hypervisor.list',
      body: '{}',
      contentType: 'application/json',
    });
  });

  it('reads the error envelope of a 401', async () => {
    const answer = await postInvoke(base, 'app.info', {});
    const err = await rejection(
      Promise.resolve().then(() => decodeResult('app.info', answer.body, answer.status)),
    );
    expect(err.code).toBe('UNAUTHORIZED');
  });

  it('explains a page served by something that is not Hyperkeep', async () => {
    const err = await rejection(postInvoke(base, 'vm.list', {}));
    expect(err.code).toBe('ENGINE_UNREACHABLE');
    expect(err.message).toMatch(/HTTP 404 Not Found to vm\.list, not a Hyperkeep reply/);
  });

  it('explains an engine that is not running', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await rejection(postInvoke(`http://127.0.0.1:${port}/`, 'vm.list', {}));
    expect(err.code).toBe('ENGINE_UNREACHABLE');
    expect(err.message).toMatch(/^Cannot reach the Hyperkeep engine at http:\/\/127\.0\.0\.1:\d+/);
  });
});
