import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SocketBytes } from '../../../../src-main/engine/nbd/socket-bytes';

/**
 * Delivers `stream` the way net.Socket's onread does: piece by piece into the buffer that
 * `onread.buffer()` named last (Node asks again after each callback).
 */
function deliver(
  bytes: SocketBytes,
  stream: Buffer,
  from: number,
  to: number,
  piece: number,
): void {
  const { callback } = bytes.onread;
  let target = bytes.onread.buffer();
  for (let at = from; at < to;) {
    const n = Math.min(piece, to - at, target.length);
    target.set(stream.subarray(at, at + n));
    callback(n, target);
    at += n;
    const next = bytes.onread.buffer();
    // The socket reuses its buffer: anything SocketBytes kept of it without copying is now wrong.
    if (next === target) next.fill(0xee);
    target = next;
  }
}

/** Reads `total` bytes back in a fixed mix of read() and readInto(), as the NBD loop does. */
async function consume(bytes: SocketBytes, total: number): Promise<Buffer> {
  const out = Buffer.alloc(total);
  const sizes = [4, 12, 65_536, 20, 300_000, 8, 1_000_000];
  let at = 0;
  for (let i = 0; at < total; i++) {
    const n = Math.min(sizes[i % sizes.length]!, total - at);
    if (n <= 20) out.set(await bytes.read(n), at);
    else await bytes.readInto(out, at, n);
    at += n;
  }
  return out;
}

describe('SocketBytes', () => {
  it('returns every byte in order when a burst arrives before anyone reads', async () => {
    const bytes = new SocketBytes();
    const stream = randomBytes(3 * 1024 * 1024 + 77);
    // Nothing awaited: all 3 MiB spill aside, growing the spill buffer past its usual size.
    deliver(bytes, stream, 0, stream.length, 65_536);
    expect((await consume(bytes, stream.length)).equals(stream)).toBe(true);
    // Drained: the next bytes still arrive intact (the buffer was shrunk back).
    deliver(bytes, stream, 0, 1000, 333);
    expect(Buffer.from(await bytes.read(1000)).equals(stream.subarray(0, 1000))).toBe(true);
  });

  it('returns every byte in order when reads and arrivals interleave', async () => {
    const bytes = new SocketBytes();
    const stream = randomBytes(4 * 1024 * 1024);
    const reading = consume(bytes, stream.length);
    // Odd piece sizes, a pause after each so the reader moves between spill and direct copies.
    for (let at = 0; at < stream.length; at += 100_003) {
      deliver(bytes, stream, at, Math.min(at + 100_003, stream.length), 7_777 + (at % 50_000));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await reading).equals(stream)).toBe(true);
  });

  it('has the socket read a large awaited payload straight into its destination', async () => {
    const bytes = new SocketBytes();
    const stream = randomBytes(2 * 1024 * 1024 + 5);
    const out = Buffer.alloc(stream.length);
    deliver(bytes, stream, 0, 10, 10); // the start arrives before anyone waits for it
    const reading = bytes.readInto(out, 0, stream.length);
    // Nothing queued any more: the next socket read lands in `out` itself, after its first 10 bytes.
    const next = bytes.onread.buffer();
    expect(next.buffer).toBe(out.buffer);
    expect(next.byteOffset).toBe(out.byteOffset + 10);
    deliver(bytes, stream, 10, stream.length, 100_000);
    await reading;
    expect(out.equals(stream)).toBe(true);
    // Done: reads go back to the shared buffer.
    expect(bytes.onread.buffer().buffer).not.toBe(out.buffer);
  });
});
