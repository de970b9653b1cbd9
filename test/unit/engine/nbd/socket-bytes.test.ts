import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SocketBytes } from '../../../../src-main/engine/nbd/socket-bytes';

/** Delivers `stream` the way net.Socket's onread does: piece by piece through one reused buffer. */
function deliver(
  bytes: SocketBytes,
  stream: Buffer,
  from: number,
  to: number,
  piece: number,
): void {
  const { buffer, callback } = bytes.onread;
  for (let at = from; at < to; at += piece) {
    const n = Math.min(piece, to - at, buffer.length);
    stream.copy(buffer, 0, at, at + n);
    callback(n, buffer);
    // The socket reuses its buffer: anything SocketBytes kept without copying is now wrong.
    buffer.fill(0xee);
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
});
