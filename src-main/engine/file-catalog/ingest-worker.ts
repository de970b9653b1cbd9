import { createRequire } from 'node:module';
import { HyperkeepError } from '../../../shared/errors';
import { EvalWorker } from '../repository/eval-worker';
import { TYPE_CODES, storedAttributes } from './catalog-record';
import { volumeIngestProgram } from './volume-ingest';

/**
 * The worker: its own connection to the catalog file, and the same volume ingest the engine's
 * thread uses (volume-ingest.ts, shipped as source). Records arrive as a JSON array of point
 * index lines (point-index-object.ts: the fields below follow its layout), which the walk
 * encodes anyway for the repository's copy.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
// esbuild (tsx) names classes through this helper; elsewhere it is simply unused.
var __name = (target, value) => Object.defineProperty(target, 'name', { value, configurable: true });
const Database = process.getBuiltinModule('node:module').createRequire(workerData.sqlite)(workerData.sqlite);
const program = (${volumeIngestProgram.toString()})({
  typeCodes: workerData.typeCodes,
  storedAttributes: (${storedAttributes.toString()}),
  corrupt: (message) => Object.assign(new Error(message), { corrupt: true }),
});
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = ' + workerData.cacheSize);
// Statement journals and the temporary b-trees of 'IN (SELECT … json_each)' spill to temporary
// files past 64 KiB: 100k+ writes per 66k files, most of the ingest's system time. In memory
// they are a few hundred KiB, and nothing durable lives there (WAL and synchronous unchanged).
db.pragma('temp_store = MEMORY');
const st = new program.VolumeStatements(db);
const ingest = new program.VolumeIngest(st, new Map(), workerData.volumeId, workerData.seq, workerData.prevSeq);
const types = workerData.typeCodes;
parentPort.on('message', (m) => {
  try {
    if (m.kind === 'add') {
      const lines = JSON.parse(m.text);
      const records = new Array(lines.length);
      for (let i = 0; i < lines.length; i++) {
        const f = lines[i];
        records[i] = { parent: f[1], name: f[2], type: types[f[3]], size: f[4], mtimeMs: f[5], mode: f[6], uid: f[7],
          gid: f[8], owner: f[9], acl: f[10], link: f[11], attrs: f[12], fsId: f[13],
          extents: f[14] === null ? null : Buffer.from(f[14], 'base64') };
      }
      ingest.add(records);
      parentPort.postMessage({ seq: m.seq, files: ingest.files });
    } else {
      const big = [];
      for (const [pathId, entries] of ingest.folderEntries) if (entries >= m.bigFolder) big.push([pathId, entries]);
      // Copies this ingest's pages into the database here: otherwise the engine's thread finds
      // the write-ahead log past SQLite's auto-checkpoint size at its next commit and copies
      // them itself (megabytes and an fsync, a 100 ms pause right after a full walk).
      db.pragma('wal_checkpoint(PASSIVE)');
      db.close();
      parentPort.postMessage({ seq: m.seq, files: ingest.files, big });
    }
  } catch (err) {
    parentPort.postMessage({ seq: m.seq, error: String((err && err.message) || err), corrupt: !!(err && err.corrupt) });
  }
});
`;

interface Reply {
  seq: number;
  files?: number;
  /** finish: [path node, entries] of the folders with at least `bigFolder` entries. */
  big?: [number, number][];
  error?: string;
  corrupt?: boolean;
}

/** Where the worker loads better-sqlite3 from; null when it cannot be located (then no worker). */
export function sqliteModulePath(): string | null {
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3');
  } catch {
    return null;
  }
}

/** Batches sent and not yet written: the walk waits beyond this (bounded memory). */
const MAX_IN_FLIGHT = 3;

export interface VolumeTarget {
  /** The catalog's SQLite file (the worker opens its own connection to it). */
  path: string;
  volumeId: number;
  seq: number;
  prevSeq: number | null;
  /** SQLite page cache of the worker's connection (the `cache_size` pragma's value). */
  cacheSize: number;
}

/**
 * The records of one volume written by a worker thread, so the catalog's SQLite work runs
 * beside the walk instead of between its reads (it was half of the engine thread's time).
 * SQLite (WAL) lets the engine read the catalog meanwhile; its writes wait for at most one of
 * the worker's batches.
 */
export class VolumeIngestWorker {
  private readonly worker: EvalWorker<Reply>;
  private readonly inFlight: Promise<Reply>[] = [];
  private failure: Error | null = null;
  files = 0;

  constructor(target: VolumeTarget, sqlite: string) {
    this.worker = new EvalWorker<Reply>({
      source: WORKER_SOURCE,
      name: 'hyperkeep-catalog-ingest',
      workerData: {
        ...target,
        sqlite,
        typeCodes: TYPE_CODES,
      },
      replyError: (reply) =>
        reply.error === undefined
          ? null
          : new HyperkeepError(
              'INTERNAL',
              `The file catalog could not store the volume's files: ${reply.error}`,
              reply.corrupt ? { reason: 'CORRUPT' } : undefined,
            ),
      gone: (cause) =>
        new HyperkeepError(
          'INTERNAL',
          'error' in cause
            ? `The file catalog's writer thread failed: ${cause.error.message}`
            : `The file catalog's writer thread stopped (exit code ${cause.exitCode})`,
        ),
    });
  }

  /**
   * Sends a batch: `text` is a JSON array of point index lines. Returns at once unless
   * MAX_IN_FLIGHT batches are still being written; a failed batch fails a later call.
   */
  async add(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    const sent = this.worker.call({ kind: 'add', text });
    sent.then(
      (reply) => (this.files = reply.files ?? this.files),
      (err: Error) => (this.failure ??= err),
    );
    this.inFlight.push(sent);
    while (this.inFlight.length > MAX_IN_FLIGHT) await this.inFlight.shift();
  }

  /** Waits for every batch; returns the big folders' sizes, and stops the thread. */
  async finish(bigFolder: number): Promise<[number, number][]> {
    try {
      for (const sent of this.inFlight.splice(0)) await sent;
      if (this.failure) throw this.failure;
      const reply = await this.worker.call({ kind: 'finish', bigFolder });
      this.files = reply.files ?? this.files;
      return reply.big ?? [];
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops the thread; what it committed stays for gc (as with an abandoned point). */
  async abort(): Promise<void> {
    this.inFlight.length = 0;
    await this.worker.terminate();
  }
}
