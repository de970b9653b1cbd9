/**
 * HTTPS to a vSphere server whose certificate is pinned by its SHA-256 fingerprint. vCenter and
 * ESX mostly run with self-signed certificates, so instead of a CA the administrator accepts the
 * fingerprint once. Every connection is verified right after the TLS handshake, before a single
 * request byte (a password in a Login) is written to it.
 */
import { createHash } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { HyperkeepError } from '../../../../shared/errors';

export interface PresentedCertificate {
  /** SHA-256 of the DER certificate, colon-separated upper-case hex. */
  fingerprint: string;
  subject: string;
  validTo: string;
}

export interface HttpsReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpsRequest {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string | Readable;
  signal?: AbortSignal;
  /** Largest reply body accepted; a longer one is cut off with an error. */
  maxBytes: number;
}

const CONNECT_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 120_000;

/** `AB:CD:…` from any spelling (colons, spaces, lower case); undefined when not 32 bytes of hex. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}

function describeCertificate(socket: TLSSocket): PresentedCertificate | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return undefined;
  const fingerprint = normalizeFingerprint(createHash('sha256').update(cert.raw).digest('hex'))!;
  const subject = Object.entries(cert.subject ?? {})
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
  return { fingerprint, subject, validTo: new Date(cert.valid_to).toISOString() };
}

export class PinnedHttps {
  /** The certificate the server presented on the last connection. */
  presented: PresentedCertificate | undefined;
  private readonly agent: Agent;
  private readonly expected: string | undefined;

  constructor(
    readonly url: URL,
    certificateFingerprint: string | undefined,
  ) {
    this.expected =
      certificateFingerprint === undefined || certificateFingerprint.trim() === ''
        ? undefined
        : normalizeFingerprint(certificateFingerprint);
    if (certificateFingerprint?.trim() && this.expected === undefined) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `"${certificateFingerprint}" is not a SHA-256 certificate fingerprint (64 hexadecimal digits)`,
        { field: 'certificateFingerprint' },
      );
    }
    this.agent = new Agent({ keepAlive: true, maxSockets: 8 });
    // Agent calls createConnection(options, callback) and waits for the callback when it returns
    // nothing: the socket reaches the HTTP layer only once its certificate has been checked.
    (this.agent as unknown as { createConnection: unknown }).createConnection = (
      _options: unknown,
      done: (err: Error | null, socket?: Duplex) => void,
    ): undefined => {
      this.verifiedSocket().then(
        (socket) => done(null, socket),
        (err: unknown) => done(err as Error),
      );
      return undefined;
    };
  }

  private get where(): string {
    return `${this.url.hostname}:${this.port}`;
  }

  private get port(): number {
    return this.url.port === '' ? 443 : Number(this.url.port);
  }

  private verifiedSocket(): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({
        host: this.url.hostname,
        port: this.port,
        ...(/^[\d.:]+$/.test(this.url.hostname) ? {} : { servername: this.url.hostname }),
        // Trust comes from the pinned fingerprint, checked below, not from a CA.
        rejectUnauthorized: false,
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new HyperkeepError(
            'CONNECT_FAILED',
            `Cannot connect to the vSphere server at ${this.where}: no answer within ${CONNECT_TIMEOUT_MS / 1000} s`,
          ),
        );
      }, CONNECT_TIMEOUT_MS);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          new HyperkeepError(
            'CONNECT_FAILED',
            `Cannot connect to the vSphere server at ${this.where}: ${err.code === 'ECONNREFUSED' ? 'connection refused — is the address and port right?' : err.message}`,
          ),
        );
      });
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        const presented = describeCertificate(socket);
        this.presented = presented;
        const failure = this.checkPin(presented);
        if (failure) {
          socket.destroy();
          reject(failure);
          return;
        }
        socket.removeAllListeners('error');
        resolve(socket);
      });
    });
  }

  private checkPin(presented: PresentedCertificate | undefined): HyperkeepError | undefined {
    if (!presented) {
      return new HyperkeepError(
        'CONNECT_FAILED',
        `The vSphere server at ${this.where} presented no TLS certificate`,
      );
    }
    if (this.expected === undefined) {
      return new HyperkeepError(
        'CONNECT_FAILED',
        `The vSphere server at ${this.where} presented a certificate that is not accepted yet ` +
          `(SHA-256 fingerprint ${presented.fingerprint}, ${presented.subject}, valid to ${presented.validTo}). ` +
          'Compare it with the fingerprint shown on the server and accept it to connect.',
        { certificate: presented },
      );
    }
    if (presented.fingerprint !== this.expected) {
      return new HyperkeepError(
        'CONNECT_FAILED',
        `The vSphere server at ${this.where} presented a certificate with SHA-256 fingerprint ` +
          `${presented.fingerprint}, but the accepted fingerprint is ${this.expected}. The certificate ` +
          'was replaced or the connection is being intercepted: if the server got a new certificate, ' +
          'check it and accept the new fingerprint in the hypervisor settings.',
        { certificate: presented, expectedFingerprint: this.expected },
      );
    }
    return undefined;
  }

  request(req: HttpsRequest): Promise<HttpsReply> {
    return new Promise((resolve, reject) => {
      const outgoing = httpsRequest(
        {
          host: this.url.hostname,
          port: this.port,
          method: req.method,
          path: req.path,
          headers: req.headers,
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
          ...(req.signal ? { signal: req.signal } : {}),
        },
        (reply) => {
          const parts: Buffer[] = [];
          let total = 0;
          reply.on('data', (chunk: Buffer) => {
            total += chunk.length;
            if (total > req.maxBytes) {
              reply.destroy(
                new HyperkeepError(
                  'HYPERVISOR_ERROR',
                  `The vSphere server sent more than ${req.maxBytes} bytes for ${req.method} ${req.path}`,
                ),
              );
              return;
            }
            parts.push(chunk);
          });
          reply.once('error', reject);
          reply.once('end', () =>
            resolve({
              status: reply.statusCode ?? 0,
              headers: reply.headers,
              body: Buffer.concat(parts),
            }),
          );
        },
      );
      outgoing.once('timeout', () =>
        outgoing.destroy(
          new HyperkeepError(
            'TIMEOUT',
            `The vSphere server at ${this.where} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`,
          ),
        ),
      );
      outgoing.once('error', (err) => {
        if (err instanceof HyperkeepError) reject(err);
        else if (req.signal?.aborted)
          reject(
            new HyperkeepError('CANCELLED', 'The request to the vSphere server was cancelled'),
          );
        else
          reject(
            new HyperkeepError(
              'CONNECT_FAILED',
              `Lost the connection to the vSphere server at ${this.where}: ${err.message}`,
            ),
          );
      });
      const body = req.body;
      if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body))
        outgoing.end(body);
      else body.pipe(outgoing);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
