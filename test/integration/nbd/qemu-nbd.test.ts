import { randomFillSync } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import { NbdClient } from '../../../src-main/engine/nbd/client';
import { NbdDiskReader, readChangedRanges } from '../../../src-main/engine/nbd/disk-reader';
import {
  BASE_ALLOCATION,
  dirtyBitmapContext,
  readExtents,
} from '../../../src-main/engine/nbd/extents';
import {
  freePort,
  nbdinfoMap,
  run,
  sha256,
  startQemuNbd,
  type RunningServer,
} from '../../harness/nbd-servers';

const MiB = 1024 * 1024;
let dir: string;
const servers: RunningServer[] = [];
const clients: NbdClient[] = [];

async function serve(...args: Parameters<typeof startQemuNbd>): Promise<RunningServer> {
  const server = await startQemuNbd(...args);
  servers.push(server);
  return server;
}

async function connectTo(
  socketPath: string,
  options: Partial<Parameters<typeof NbdClient.connect>[0]> = {},
) {
  const client = await NbdClient.connect({ endpoint: { socketPath }, ...options });
  clients.push(client);
  return client;
}

/** A raw file of `size` zeros with random bytes in `regions`, converted to qcow2 by qemu-img. */
async function makeQcow2(name: string, size: number, regions: [number, number][]): Promise<string> {
  const raw = join(dir, `${name}.raw`);
  const file = await open(raw, 'w');
  await file.truncate(size);
  for (const [offset, length] of regions) {
    await file.write(randomFillSync(Buffer.alloc(length)), 0, length, offset);
  }
  await file.close();
  const image = join(dir, `${name}.qcow2`);
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, image]);
  await rm(raw);
  return image;
}

/** Everything the client yields, laid into a zeroed buffer: the disk as a backup would restore it. */
async function reassemble(
  client: NbdClient,
  options: Parameters<typeof readChangedRanges>[1] = {},
) {
  const disk = Buffer.alloc(client.size);
  let bytesRead = 0;
  let lastOffset = -1;
  for await (const { offset, data } of readChangedRanges(client, options)) {
    expect(offset).toBeGreaterThan(lastOffset);
    lastOffset = offset;
    disk.set(data, offset);
    bytesRead += data.length;
  }
  return { disk, bytesRead };
}

let image: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-nbd-qemu-'));
  image = await makeQcow2('disk', 64 * MiB, [
    [1 * MiB, 2 * MiB],
    [20 * MiB + 4096, 10_000], // inside one 64 KiB qcow2 cluster, unaligned
    [63 * MiB, 512 * 1024],
  ]);
  await run('qemu-io', ['-f', 'qcow2', '-c', 'write -z 40M 1M', image]);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(servers.map((s) => s.stop()));
  await rm(dir, { recursive: true, force: true });
});

describe('NBD client against qemu-nbd', () => {
  it('reads allocated data only, and the disk it rebuilds equals qemu-img convert -O raw', async () => {
    const socketPath = join(dir, 'disk.sock');
    await serve(image, { socketPath });
    const client = await connectTo(socketPath, { metaContexts: [BASE_ALLOCATION] });
    expect(client.size).toBe(64 * MiB);
    expect(client.structuredReplies).toBe(true);

    const { disk, bytesRead } = await reassemble(client, { chunk: MiB, concurrency: 8 });
    await run('qemu-img', ['convert', '-O', 'raw', image, join(dir, 'disk.raw')]);
    const expected = await readFile(join(dir, 'disk.raw'));
    expect(sha256(disk)).toBe(sha256(expected));
    // 2 MiB + one 64 KiB cluster + 512 KiB: the holes were skipped, not read.
    expect(bytesRead).toBe(2 * MiB + 64 * 1024 + 512 * 1024);

    // The same export as a RandomAccessReader: odd offsets and lengths, and one read past 32 MiB.
    const reader = new NbdDiskReader(client);
    for (const [offset, length] of [
      [0, 1],
      [1 * MiB - 3, 4099],
      [20 * MiB + 4000, 10_300],
      [64 * MiB - 7, 7],
      [0, 40 * MiB],
    ] as const) {
      const got = await reader.read(offset, length);
      expect(Buffer.from(got).equals(expected.subarray(offset, offset + length))).toBe(true);
    }
    await expect(reader.read(64 * MiB - 1, 2)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('reports the same base:allocation map as nbdinfo --map', async () => {
    const socketPath = join(dir, 'map.sock');
    const server = await serve(image, { socketPath });
    const client = await connectTo(socketPath, { metaContexts: [BASE_ALLOCATION] });
    const ours = await readExtents(client, { context: BASE_ALLOCATION });
    expect(ours).toEqual(await nbdinfoMap(server.uri));
    expect(ours.some((e) => e.flags === 3)).toBe(true);
  });

  it('reads only the blocks dirty in a qemu dirty bitmap, matching nbdinfo', async () => {
    const base = await makeQcow2('inc', 64 * MiB, [[0, 2 * MiB]]);
    await run('qemu-img', ['bitmap', '--add', base, 'b0']);
    await run('qemu-io', [
      '-f',
      'qcow2',
      '-c',
      'write -P 0xcd 5M 128k',
      '-c',
      'write -P 0xce 30M 4k',
      base,
    ]);
    const socketPath = join(dir, 'inc.sock');
    const server = await serve(base, { socketPath }, ['-B', 'b0']);
    const context = dirtyBitmapContext('b0');
    const client = await connectTo(socketPath, { metaContexts: [BASE_ALLOCATION, context] });

    const dirty = await readExtents(client, { context });
    expect(dirty).toEqual(await nbdinfoMap(server.uri, context));
    expect(dirty.filter((e) => e.flags === 1).map((e) => [e.offset, e.length])).toEqual([
      [5 * MiB, 128 * 1024],
      [30 * MiB, 64 * 1024], // the bitmap's 64 KiB granularity
    ]);

    const pieces: { offset: number; data: Uint8Array }[] = [];
    for await (const piece of readChangedRanges(client, { bitmap: 'b0' })) pieces.push(piece);
    expect(pieces.map((p) => [p.offset, p.data.length])).toEqual([
      [5 * MiB, 128 * 1024],
      [30 * MiB, 64 * 1024],
    ]);
    expect(pieces[0]?.data.every((b) => b === 0xcd)).toBe(true);
    expect(pieces[1]?.data.subarray(0, 4096).every((b) => b === 0xce)).toBe(true);

    await expect(readExtents(client, { context: dirtyBitmapContext('missing') })).rejects.toThrow(
      /does not provide metadata context "qemu:dirty-bitmap:missing".*qemu-nbd -B/,
    );
  });

  it('names the exports a server offers when asked for one it does not have', async () => {
    const socketPath = join(dir, 'named.sock');
    await serve(image, { socketPath }, ['-x', 'vda'], 'vda');
    const failure = NbdClient.connect({ endpoint: { socketPath }, exportName: 'vdb' });
    await expect(failure).rejects.toBeInstanceOf(HyperkeepError);
    await expect(failure).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/has no export named "vdb" \(the server offers: "vda"\)/),
    });
    const client = await connectTo(socketPath, { exportName: 'vda' });
    expect(client.exportName).toBe('vda');
  });

  it('connects over TCP on 127.0.0.1', async () => {
    const port = await freePort();
    await serve(image, { port });
    const client = await NbdClient.connect({ endpoint: { host: '127.0.0.1', port } });
    clients.push(client);
    const data = await client.read(63 * MiB, 512 * 1024);
    const expected = await readFile(join(dir, 'disk.raw'));
    expect(Buffer.from(data).equals(expected.subarray(63 * MiB, 63 * MiB + 512 * 1024))).toBe(true);
  });

  it('says clearly when nothing listens on the socket', async () => {
    await expect(
      NbdClient.connect({ endpoint: { socketPath: join(dir, 'nobody.sock') } }),
    ).rejects.toMatchObject({
      code: 'CONNECT_FAILED',
      message: expect.stringMatching(/no such socket/),
    });
  });

  it('reads a 256 MiB image at speed, and fails every pending read when qemu-nbd dies', async () => {
    // Patterns written by qemu-io (one pass, no flushes): cheaper than random data + convert.
    const big = join(dir, 'big.qcow2');
    await run('qemu-img', ['create', '-f', 'qcow2', big, '256M']);
    await run('qemu-io', [
      '-t',
      'unsafe',
      '-f',
      'qcow2',
      '-c',
      'write -P 0x5a 0 120M',
      '-c',
      'write -P 0xa5 120M 120M',
      big,
    ]);
    const socketPath = join(dir, 'big.sock');
    const server = await serve(big, { socketPath });
    const client = await connectTo(socketPath, { metaContexts: [BASE_ALLOCATION] });
    const started = performance.now();
    let bytes = 0;
    for await (const { offset, data } of readChangedRanges(client, {
      chunk: 4 * MiB,
      concurrency: 8,
    })) {
      bytes += data.length;
      const pattern = offset < 120 * MiB ? 0x5a : 0xa5;
      expect([data[0], data[data.length - 1]]).toEqual([pattern, pattern]);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `NBD read throughput from qemu-nbd: ${(bytes / MiB / seconds).toFixed(0)} MiB/s (${bytes / MiB} MiB in ${seconds.toFixed(2)} s)`,
    );
    expect(bytes).toBe(240 * MiB);

    // Now kill the server while reads are in flight: every one must reject, none may hang.
    const victim = await connectTo(socketPath, { metaContexts: [BASE_ALLOCATION] });
    const pending = Array.from({ length: 12 }, (_, i) => victim.read(i * 8 * MiB, 8 * MiB));
    server.process.kill('SIGKILL');
    const outcomes = await Promise.allSettled(pending);
    const failures = outcomes
      .filter((o) => o.status === 'rejected')
      .map((o) => o.reason as HyperkeepError);
    expect(failures.length).toBeGreaterThan(0);
    for (const err of failures) {
      expect(err.code).toBe('CONNECT_FAILED');
      expect(err.message).toMatch(
        /NBD server at .* closed the connection during READ at offset \d+/,
      );
    }
    await expect(victim.read(0, 4096)).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });
});
