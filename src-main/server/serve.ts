import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Result } from '../../shared/errors';
import { dispatch } from '../engine/api/dispatch';
import { createHandlers } from '../engine/api/handlers';
import type { Engine } from '../engine/engine';
import { writeServerEndpoint } from '../engine/home';
import { FILE_DOWNLOAD_PATH, handleFileDownload } from './file-download';
import { serveStatic } from './static-files';

export interface ServeOptions {
  engine: Engine;
  /** Folder with the built renderer (index.html + assets/). */
  rendererDir: string;
  host?: string;
  port?: number;
  /** A fixed token (tests); by default a new random one per start. */
  token?: string;
}

export interface RunningServer {
  url: string;
  /** The URL to open: it carries the token once, the server then sets a session cookie. */
  loginUrl: string;
  token: string;
  close(): Promise<void>;
}

const COOKIE = 'hyperkeep_session';
const MAX_BODY = 1 << 20;
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** `hyperkeep serve`: the renderer and the same contract the preload exposes, over HTTP + WebSocket. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const handlers = createHandlers(options.engine);
  const tokenBuffer = Buffer.from(token);

  const tokenMatches = (candidate: string | undefined): boolean => {
    if (!candidate) return false;
    const given = Buffer.from(candidate);
    return given.length === tokenBuffer.length && timingSafeEqual(given, tokenBuffer);
  };
  const authorized = (req: IncomingMessage): boolean => {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    return tokenMatches(bearer) || tokenMatches(readCookie(req, COOKIE));
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent)
        sendJson(res, 500, {
          ok: false,
          error: { code: 'INTERNAL', message: 'Internal server error' },
        });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!hostAllowed(req))
      return sendJson(res, 403, unauthorized('Unexpected Host header (DNS rebinding protection).'));
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null && req.method === 'GET' && !url.pathname.startsWith('/api/')) {
      if (!tokenMatches(queryToken))
        return sendJson(
          res,
          401,
          unauthorized(
            'The token in this URL is wrong or from an earlier start of `hyperkeep serve`.',
          ),
        );
      // Trade the URL's token for an HttpOnly cookie, and drop the token from the address bar.
      res.writeHead(303, {
        'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname,
      });
      return void res.end();
    }
    if (!authorized(req)) {
      return sendJson(
        res,
        401,
        unauthorized(
          'This Hyperkeep server needs its token: open the URL `hyperkeep serve` printed.',
        ),
      );
    }
    if (url.pathname === FILE_DOWNLOAD_PATH)
      return handleFileDownload(options.engine, url, req, res, SECURITY_HEADERS);
    if (url.pathname.startsWith('/api/invoke/')) {
      if (req.method !== 'POST')
        return sendJson(res, 405, {
          ok: false,
          error: { code: 'INVALID_INPUT', message: 'Use POST.' },
        });
      const channel = decodeURIComponent(url.pathname.slice('/api/invoke/'.length));
      const body = await readJson(req);
      const result = body.ok ? await dispatch(handlers, channel, body.value) : body;
      return sendJson(res, 200, result);
    }
    if (req.method !== 'GET')
      return sendJson(res, 405, {
        ok: false,
        error: { code: 'INVALID_INPUT', message: 'Use GET.' },
      });
    serveStatic(options.rendererDir, url.pathname, res, SECURITY_HEADERS);
  }

  function hostAllowed(req: IncomingMessage): boolean {
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') return true;
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
    return ['127.0.0.1', 'localhost', '[::1]'].includes(hostHeader);
  }

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/api/events' || !hostAllowed(req) || !authorized(req)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  });
  const unsubscribe = options.engine.events.onAny((event, payload) => {
    const message = JSON.stringify({ event, payload });
    for (const client of sockets.clients)
      if (client.readyState === client.OPEN) client.send(message);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const forgetEndpoint = writeServerEndpoint(options.engine.home, {
    url: base,
    token,
    pid: process.pid,
  });

  return {
    url: base,
    loginUrl: `${base}/?token=${token}`,
    token,
    close: async () => {
      unsubscribe();
      forgetEndpoint();
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function unauthorized(message: string): Result<never> {
  return { ok: false, error: { code: 'UNAUTHORIZED', message } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

async function readJson(req: IncomingMessage): Promise<Result<unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      return { ok: false, error: { code: 'INVALID_INPUT', message: 'Request body too large.' } };
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return {
      ok: false,
      error: { code: 'INVALID_INPUT', message: 'The request body is not valid JSON.' },
    };
  }
}
