import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as nodeCrypto from 'node:crypto';
import * as nodeZlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { chunkId } from '../../../../src-main/engine/repository/keys';
import {
  assembleBlock,
  openSealedChunk,
  type AssembleJob,
} from '../../../../src-main/engine/repository/open-sealed-chunk';
import {
  ChunkOpenError,
  OpenWorkerPool,
} from '../../../../src-main/engine/repository/open-worker-pool';
import {
  MAIN_THREAD_MODULES,
  compressAndSeal,
  openSealed,
  unpackPayloadSync,
} from '../../../../src-main/engine/repository/sealing';

const mods = { zlib: nodeZlib, crypto: nodeCrypto };
const idKey = randomBytes(32);

/** Incompressible bytes a seed reproduces. */
function noise(seed: string, length: number): Uint8Array {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return new Uint8Array(
    createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length)),
  );
}

function text(length: number): Uint8Array {
  return new Uint8Array(
    Buffer.from('a restore reads what a backup wrote. '.repeat(length / 32 + 1)).subarray(
      0,
      length,
    ),
  );
}

/** A chunk sealed the way the backup seals it, with its id. */
function seal(data: Uint8Array, encrypt: boolean, key: Uint8Array) {
  const id = chunkId(idKey, data);
  return { id, sealed: compressAndSeal(MAIN_THREAD_MODULES, { encrypt, key, level: 3 }, id, data) };
}

describe('openSealedChunk', () => {
  for (const encrypt of [true, false]) {
    it(`opens what compressAndSeal sealed (${encrypt ? 'encrypted' : 'plain + MAC'})`, () => {
      const key = randomBytes(32);
      for (const data of [text(300_000), noise('x', 200_000), new Uint8Array(10)]) {
        const { id, sealed } = seal(data, encrypt, key);
        const opened = openSealedChunk(mods, { encrypt, key }, id, sealed, data.length);
        expect(Buffer.from(opened).equals(data)).toBe(true);
        // The same bytes as the main thread's openSealed + unpackPayloadSync.
        const reference = unpackPayloadSync(
          openSealed({ encrypt, key, level: 3 }, id, sealed),
          data.length,
        );
        expect(Buffer.from(opened).equals(reference)).toBe(true);
      }
    });
  }

  it('refuses an altered chunk, a chunk opened under another id, and a zstd bomb', () => {
    const key = randomBytes(32);
    const data = text(100_000);
    const { id, sealed } = seal(data, true, key);
    const altered = Uint8Array.from(sealed);
    altered[40]! ^= 1;
    const open =
      (bytes: Uint8Array, aad = id, max = data.length) =>
      () =>
        openSealedChunk(mods, { encrypt: true, key }, aad, bytes, max);
    expect(open(altered)).toThrow(
      expect.objectContaining({
        name: 'SealError',
        message: expect.stringMatching(/authentication failed/),
      }),
    );
    expect(open(sealed, randomBytes(32))).toThrow(expect.objectContaining({ name: 'SealError' }));
    expect(open(sealed, id, 1000)).toThrow(
      expect.objectContaining({ name: 'SealError', message: expect.stringMatching(/zstd/) }),
    );
  });
});

/** Three chunks laid out over a 1 MiB block whose last run passes the block's end. */
function blockJob(encrypt: boolean, key: Uint8Array) {
  const chunks = [text(400_000), noise('b', 300_000), noise('c', 600_000)];
  const sealed = chunks.map((c) => seal(c, encrypt, key));
  // One "pack read" holding all three, as the disk reader merges adjacent chunks.
  const span = Buffer.concat(sealed.map((s) => s.sealed));
  let at = 0;
  const job: AssembleJob = {
    length: 1024 * 1024,
    overflow: 200_000,
    spans: [new Uint8Array(span)],
    chunks: sealed.map((s, i) => {
      const c = {
        id: s.id.toString('hex'),
        span: 0,
        offset: at,
        length: s.sealed.length,
        rawLength: chunks[i]!.length,
      };
      at += s.sealed.length;
      return c;
    }),
    pieces: [
      { chunk: 0, from: 1000, length: 300_000, at: 4096 },
      { chunk: 1, from: 0, length: 300_000, at: 400_000 },
      // 348_576 bytes up to the end of the block, 200_000 past it.
      { chunk: 2, from: 0, length: 548_576, at: 700_000 },
    ],
  };
  const expected = new Uint8Array(job.length + job.overflow);
  expected.set(chunks[0]!.subarray(1000, 301_000), 4096);
  expected.set(chunks[1]!, 400_000);
  expected.set(chunks[2]!.subarray(0, 548_576), 700_000);
  return { job, expected };
}

const hash = (data: Uint8Array) => chunkId(idKey, data);

describe('assembleBlock', () => {
  it('places the pieces, zeroes the gaps of a reused buffer and returns the overflow apart', () => {
    const key = randomBytes(32);
    const { job, expected } = blockJob(true, key);
    const out = new Uint8Array(job.length).fill(0xee);
    const overflow = new Uint8Array(job.overflow);
    assembleBlock(openSealedChunk, mods, { encrypt: true, key }, hash, job, out, overflow, true);
    expect(Buffer.from(out).equals(expected.subarray(0, job.length))).toBe(true);
    expect(Buffer.from(overflow).equals(expected.subarray(job.length))).toBe(true);
  });

  it('names the damaged chunk', () => {
    const key = randomBytes(32);
    const { job } = blockJob(false, key);
    const c = job.chunks[1]!;
    job.spans[0]![c.offset + 100]! ^= 0xff;
    const run = () =>
      assembleBlock(
        openSealedChunk,
        mods,
        { encrypt: false, key },
        hash,
        job,
        new Uint8Array(job.length),
        new Uint8Array(job.overflow),
        false,
      );
    expect(run).toThrow(expect.objectContaining({ name: 'SealError', chunk: 1 }));
  });
});

describe('OpenWorkerPool', () => {
  const key = randomBytes(32);
  const pool = new OpenWorkerPool({ encrypt: true, key }, idKey, 2);
  afterAll(() => pool.close());

  it('builds blocks and opens chunks on worker threads, with the hash checked there', async () => {
    const { job, expected } = blockJob(true, key);
    const reuse = new ArrayBuffer(job.length);
    new Uint8Array(reuse).fill(7);
    const built = await Promise.all([
      pool.assemble({ ...job, reuse }),
      pool.assemble(blockJob(true, key).job),
    ]);
    for (const { data, overflow } of built) {
      expect(Buffer.from(data).equals(expected.subarray(0, job.length))).toBe(true);
      expect(Buffer.from(overflow).equals(expected.subarray(job.length))).toBe(true);
    }
    // Single chunks: the first few on this thread, then on the workers (which hash them).
    for (let i = 0; i < 12; i++) {
      const data = noise(`single ${i}`, 70_000);
      const { id, sealed } = seal(data, true, key);
      const opened = await pool.open(id, sealed, data.length);
      expect(Buffer.from(opened.data).equals(data)).toBe(true);
      if (opened.id) expect(Buffer.from(opened.id).equals(id)).toBe(true);
    }
  });

  it('decompresses whole chunks in place, and recovers from damaged zstd data', async () => {
    const plainKey = randomBytes(32);
    const plainPool = new OpenWorkerPool({ encrypt: false, key: plainKey }, idKey, 1);
    try {
      const data = text(500_000);
      const good = seal(data, false, plainKey);
      // Authentic (the MAC is right) but its zstd frame cut short: what a writer bug would leave.
      const frame = nodeZlib.zstdCompressSync(data);
      const plaintext = Buffer.concat([Buffer.of(1), frame.subarray(0, frame.length - 9)]);
      const mac = nodeCrypto
        .createHmac('sha256', plainKey)
        .update(Uint8Array.of(0, 32))
        .update(good.id)
        .update(plaintext)
        .digest();
      const bad = Buffer.concat([Buffer.of(0), plaintext, mac]);
      const job = (sealed: Uint8Array): AssembleJob => ({
        length: 1024 * 1024,
        overflow: 0,
        spans: [new Uint8Array(sealed)],
        chunks: [
          {
            id: good.id.toString('hex'),
            span: 0,
            offset: 0,
            length: sealed.length,
            rawLength: data.length,
          },
        ],
        pieces: [
          { chunk: 0, from: 0, length: data.length, at: 65_536 },
          { chunk: 0, from: 0, length: data.length, at: 524_288 },
        ],
      });
      const expected = new Uint8Array(1024 * 1024);
      expected.set(data, 65_536);
      expected.set(data, 524_288);
      const first = await plainPool.assemble(job(good.sealed));
      expect(Buffer.from(first.data).equals(expected)).toBe(true);
      const error = await plainPool.assemble(job(bad)).catch((err: unknown) => err);
      expect(error).toMatchObject({
        chunk: 0,
        message: expect.stringMatching(/zstd data is damaged/),
      });
      const again = await plainPool.assemble({
        ...job(good.sealed),
        reuse: first.data.buffer as ArrayBuffer,
      });
      expect(Buffer.from(again.data).equals(expected)).toBe(true);
    } finally {
      await plainPool.close();
    }
  });

  it('fails a block with a damaged chunk with the chunk index', async () => {
    const { job } = blockJob(true, key);
    job.spans[0]![job.chunks[2]!.offset + 20]! ^= 1;
    const error = await pool.assemble(job).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ChunkOpenError);
    expect(error).toMatchObject({
      chunk: 2,
      message: expect.stringMatching(/authentication failed/),
    });
  });
});

describe('OpenWorkerPool memory', () => {
  it('does not pile up pack bytes and decrypted copies in its workers', async () => {
    const key = randomBytes(32);
    const pool = new OpenWorkerPool({ encrypt: true, key }, idKey, 2);
    const rssAnon = async (): Promise<number> =>
      Number(/RssAnon:\s+(\d+) kB/.exec(await readFile('/proc/self/status', 'utf8'))![1]) * 1024;
    // Eight 1 MiB chunks, half noise and half text: each compresses to about half, as disks do.
    const chunks = Array.from({ length: 8 }, (_, i) =>
      Buffer.concat([noise(`memory ${i}`, 512 * 1024), text(512 * 1024)]),
    );
    const sealed = chunks.map((c) => seal(c, true, key));
    const span = Buffer.concat(sealed.map((s) => s.sealed));
    const block = (): AssembleJob => {
      let at = 0;
      return {
        length: 8 * 1024 * 1024,
        overflow: 0,
        spans: [new Uint8Array(span)],
        chunks: sealed.map((s, i) => {
          const c = { id: s.id.toString('hex'), span: 0, offset: at, length: s.sealed.length };
          at += s.sealed.length;
          return { ...c, rawLength: chunks[i]!.length };
        }),
        // The last chunk starts 1 byte late: opened apart, then copied (cut by the block's end).
        pieces: chunks.map((c, i) => ({
          chunk: i,
          from: 0,
          length: i === 7 ? c.length - 1 : c.length,
          at: i * c.length + (i === 7 ? 1 : 0),
        })),
      };
    };
    const restore = async (blocks: number): Promise<void> => {
      let reuse: ArrayBuffer[] = [];
      for (let i = 0; i < blocks; i += 2) {
        const built = await Promise.all(
          [0, 1].map((k) =>
            pool.assemble({ ...block(), ...(reuse[k] ? { reuse: reuse[k] } : {}) }),
          ),
        );
        reuse = built.map((b) => b.data.buffer as ArrayBuffer);
      }
    };
    try {
      await restore(4);
      const warm = await rssAnon();
      await restore(48);
      // Before: each worker's malloc arena filled to 64 MiB with spans and decrypted chunks
      // waiting for a garbage collection.
      expect((await rssAnon()) - warm).toBeLessThan(32 * 2 ** 20);
    } finally {
      await pool.close();
    }
  });
});
