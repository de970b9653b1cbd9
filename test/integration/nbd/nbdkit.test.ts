import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdClient, type NbdConnectOptions } from '../../../src-main/engine/nbd/client';
import { NbdDiskReader, readChangedRanges } from '../../../src-main/engine/nbd/disk-reader';
import { BASE_ALLOCATION, readExtents } from '../../../src-main/engine/nbd/extents';
import {
  nbdinfoMap,
  runBinary,
  sha256,
  startNbdkit,
  type RunningServer,
} from '../../harness/nbd-servers';

const MiB = 1024 * 1024;
let dir: string;
let socketCount = 0;
const servers: RunningServer[] = [];
const clients: NbdClient[] = [];

async function nbdkit(pluginArgs: string[], extra: string[] = []) {
  const socketPath = join(dir, `kit${socketCount++}.sock`);
  const server = await startNbdkit(pluginArgs, { socketPath }, extra);
  servers.push(server);
  return { server, socketPath };
}

async function connectTo(socketPath: string, options: Partial<NbdConnectOptions> = {}) {
  const client = await NbdClient.connect({ endpoint: { socketPath }, ...options });
  clients.push(client);
  return client;
}

/** nbdkit's pattern plugin: every 8-byte big-endian word holds its own offset. */
function patternBytes(offset: number, length: number): Buffer {
  const first = offset - (offset % 8);
  const words = Buffer.alloc(Math.ceil((offset + length - first) / 8) * 8);
  for (let i = 0; i < words.length; i += 8) words.writeBigUInt64BE(BigInt(first + i), i);
  return words.subarray(offset - first, offset - first + length);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-nbd-kit-'));
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(servers.map((s) => s.stop()));
  await rm(dir, { recursive: true, force: true });
});

describe('NBD client against nbdkit', () => {
  it('rebuilds a sparse random disk byte for byte as libnbd reads it, with the same map', async () => {
    const { server, socketPath } = await nbdkit([
      'sparse-random',
      '64M',
      'seed=4242',
      'percent=15',
    ]);
    const client = await connectTo(socketPath, { metaContexts: [BASE_ALLOCATION] });
    const disk = Buffer.alloc(client.size);
    let bytesRead = 0;
    for await (const { offset, data } of readChangedRanges(client, {
      chunk: 2 * MiB,
      concurrency: 12,
    })) {
      disk.set(data, offset);
      bytesRead += data.length;
    }
    const reference = await runBinary('nbdcopy', [server.uri, '-']);
    expect(sha256(disk)).toBe(sha256(reference));
    expect(bytesRead).toBeLessThan(client.size / 2); // holes were skipped

    const map = await readExtents(client, { context: BASE_ALLOCATION });
    expect(map).toEqual(await nbdinfoMap(server.uri));
  });

  it('reads through simple replies when structured replies are off (--no-sr)', async () => {
    const { socketPath } = await nbdkit(['pattern', '16M'], ['--no-sr']);
    const client = await connectTo(socketPath, { metaContexts: [BASE_ALLOCATION] });
    expect(client.structuredReplies).toBe(false);
    expect(client.metaContexts.size).toBe(0);
    const reader = new NbdDiskReader(client);
    const got = await reader.read(12_345, 3 * MiB + 7);
    expect(Buffer.from(got).equals(patternBytes(12_345, 3 * MiB + 7))).toBe(true);
    await expect(readExtents(client, { context: BASE_ALLOCATION })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('honours the server block size limits: aligns small reads and splits large ones', async () => {
    const { socketPath } = await nbdkit(
      [
        'pattern',
        '8M',
        'blocksize-minimum=4096',
        'blocksize-maximum=65536',
        'blocksize-error-policy=error',
      ],
      ['--filter=blocksize-policy'],
    );
    const client = await connectTo(socketPath);
    expect(client.blockSize).toMatchObject({ minimum: 4096, maximum: 65536 });
    expect(client.maxRequestBytes).toBe(65536);
    const reader = new NbdDiskReader(client);
    for (const [offset, length] of [
      [100, 10],
      [4095, 2],
      [70_000, 300_001],
    ] as const) {
      expect(
        Buffer.from(await reader.read(offset, length)).equals(patternBytes(offset, length)),
      ).toBe(true);
    }
    await expect(client.read(100, 10)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('reports a server read error as such and keeps the connection usable', async () => {
    const { socketPath } = await nbdkit(
      ['pattern', '4M', 'error-pread=EIO', 'error-pread-rate=100%'],
      ['--filter=error'],
    );
    const client = await connectTo(socketPath, { metaContexts: [BASE_ALLOCATION] });
    await expect(client.read(4096, 4096)).rejects.toMatchObject({
      code: 'HYPERVISOR_ERROR',
      message: expect.stringMatching(/failed READ at offset 4096.*EIO/),
    });
    const map = await readExtents(client, { context: BASE_ALLOCATION });
    expect(map).toEqual([{ offset: 0, length: 4 * MiB, flags: 0 }]);
  });

  it('times out, cancels, and fails pending reads when the server dies, without hanging', async () => {
    const { server, socketPath } = await nbdkit(['memory', '16M', 'rdelay=3'], ['--filter=delay']);

    const slow = await connectTo(socketPath, { requestTimeoutMs: 300 });
    await expect(slow.read(0, 4096)).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/did not answer READ at offset 0 within 0.3 s/),
    });

    const client = await connectTo(socketPath, { maxInFlight: 4 });
    const controller = new AbortController();
    const cancelled = client.read(0, 4096, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(1000);

    // Six reads: four on the wire, two waiting for a slot. Kill the server under them.
    const pending = Array.from({ length: 6 }, (_, i) => client.read(i * MiB, MiB));
    await new Promise((r) => setTimeout(r, 100));
    server.process.kill('SIGKILL');
    const outcomes = await Promise.allSettled(pending);
    expect(Date.now() - started).toBeLessThan(2500);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as Error & { code: string };
      expect(reason.code).toBe('CONNECT_FAILED');
      expect(reason.message).toMatch(
        /closed the connection during READ at offset \d+ \(length 1048576\)/,
      );
    }
  });

  it('says that the server requires TLS instead of failing obscurely', async () => {
    const psk = join(dir, 'keys.psk');
    await writeFile(psk, 'hyperkeep:0123456789abcdef0123456789abcdef\n', { mode: 0o600 });
    const { socketPath } = await nbdkit(['memory', '1M'], ['--tls=require', `--tls-psk=${psk}`]);
    await expect(NbdClient.connect({ endpoint: { socketPath } })).rejects.toMatchObject({
      code: 'CONNECT_FAILED',
      message: expect.stringMatching(/requires TLS/),
    });
  });

  it('rejects a server without the fixed newstyle handshake with a clear message', async () => {
    const { socketPath } = await nbdkit(['memory', '1M'], ['--mask-handshake=0']);
    await expect(NbdClient.connect({ endpoint: { socketPath } })).rejects.toMatchObject({
      code: 'HYPERVISOR_ERROR',
      message: expect.stringMatching(/does not support the fixed newstyle NBD handshake/),
    });
  });
});
