import { afterEach, describe, expect, it } from 'vitest';
import { NbdClient, type NbdConnectOptions } from '../../../../src-main/engine/nbd/client';
import { readExtents } from '../../../../src-main/engine/nbd/extents';
import {
  blockStatusChunk,
  chunk,
  dataChunk,
  doneChunk,
  errorChunk,
  holeChunk,
  optionReply,
  simpleReply,
  startScriptedServer,
  type Script,
  type ScriptedServer,
} from './scripted-nbd-server';

let server: ScriptedServer | undefined;
let client: NbdClient | undefined;

afterEach(async () => {
  await client?.close().catch(() => undefined);
  await server?.close();
  client = undefined;
  server = undefined;
});

async function connect(
  script: Script,
  options: Partial<NbdConnectOptions> = {},
): Promise<NbdClient> {
  server = await startScriptedServer(script);
  client = await NbdClient.connect({ endpoint: { socketPath: server.socketPath }, ...options });
  return client;
}

function fill(length: number, byte: number): Buffer {
  return Buffer.alloc(length, byte);
}

describe('NBD client reply handling', () => {
  it('matches replies to requests by handle, whatever order the server answers in', async () => {
    const held: { handle: bigint; offset: number; length: number }[] = [];
    const c = await connect({
      onRequest(req, socket) {
        held.push(req);
        if (held.length < 3) return;
        // Answer the last request first; split the first one into out-of-order pieces and a hole.
        const [a, b, last] = held as [typeof req, typeof req, typeof req];
        socket.write(dataChunk(last.handle, last.offset, fill(last.length, 3), true));
        socket.write(dataChunk(b.handle, b.offset, fill(b.length, 2), true));
        socket.write(dataChunk(a.handle, a.offset + 2048, fill(2048, 1)));
        socket.write(holeChunk(a.handle, a.offset + 1024, 1024));
        socket.write(dataChunk(a.handle, a.offset, fill(1024, 1)));
        socket.write(doneChunk(a.handle));
      },
    });
    const [a, b, last] = await Promise.all([
      c.read(0, 4096),
      c.read(8192, 4096),
      c.read(65536, 512),
    ]);
    expect(Buffer.from(a)).toEqual(Buffer.concat([fill(1024, 1), fill(1024, 0), fill(2048, 1)]));
    expect(Buffer.from(b)).toEqual(fill(4096, 2));
    expect(Buffer.from(last)).toEqual(fill(512, 3));
  });

  it('never has more requests on the wire than maxInFlight', async () => {
    let outstanding = 0;
    let most = 0;
    const c = await connect(
      {
        onRequest(req, socket) {
          outstanding++;
          most = Math.max(most, outstanding);
          setTimeout(() => {
            outstanding--;
            socket.write(dataChunk(req.handle, req.offset, fill(req.length, 7), true));
          }, 5);
        },
      },
      { maxInFlight: 3 },
    );
    const reads = await Promise.all(Array.from({ length: 20 }, (_, i) => c.read(i * 4096, 4096)));
    expect(reads.every((r) => r.length === 4096 && r[0] === 7)).toBe(true);
    expect(most).toBe(3);
  });

  it('drops the connection on a data chunk longer than the request, without reading it', async () => {
    const c = await connect({
      onRequest(req, socket) {
        // Claims ~4 GiB of payload and sends none: a client that trusted it would wait forever.
        socket.write(chunk(1, 1, req.handle, Buffer.alloc(0), 0xffff_fff0));
      },
    });
    await expect(c.read(0, 4096)).rejects.toMatchObject({
      code: 'HYPERVISOR_ERROR',
      message: expect.stringMatching(/invalid reply .*more data than the 4096 bytes requested/),
    });
    await expect(c.read(0, 4096)).rejects.toMatchObject({ code: 'HYPERVISOR_ERROR' });
  });

  it('drops the connection on a reply to a handle it never sent', async () => {
    const c = await connect({
      onRequest(req, socket) {
        socket.write(dataChunk(req.handle + 1000n, req.offset, fill(req.length, 1), true));
      },
    });
    await expect(c.read(0, 512)).rejects.toThrow(
      /reply for handle \d+, which has no request pending/,
    );
  });

  it('rejects overlapping chunks and a success that left bytes unsent', async () => {
    const overlapping = await connect({
      onRequest(req, socket) {
        socket.write(dataChunk(req.handle, req.offset, fill(1024, 1)));
        socket.write(dataChunk(req.handle, req.offset + 512, fill(1024, 1), true));
      },
    });
    await expect(overlapping.read(0, 2048)).rejects.toThrow(/chunks overlap at offset 512/);
    await server?.close();

    const short = await connect({
      onRequest(req, socket) {
        socket.write(dataChunk(req.handle, req.offset, fill(1000, 1)));
        socket.write(doneChunk(req.handle));
      },
    });
    await expect(short.read(0, 2048)).rejects.toThrow(/claimed success after 1000 of 2048 bytes/);
  });

  it('reports a server error with its message and stays usable', async () => {
    let first = true;
    const c = await connect({
      onRequest(req, socket) {
        if (first) socket.write(errorChunk(req.handle, 5, 'disk on fire'));
        else socket.write(dataChunk(req.handle, req.offset, fill(req.length, 9), true));
        first = false;
      },
    });
    await expect(c.read(4096, 512)).rejects.toMatchObject({
      code: 'HYPERVISOR_ERROR',
      message:
        'NBD server failed READ at offset 4096 (length 512) with EIO (input/output error): disk on fire',
    });
    expect((await c.read(0, 512))[0]).toBe(9);
  });

  it('rejects an error chunk whose message runs past the chunk', async () => {
    const c = await connect({
      onRequest(req, socket) {
        const payload = Buffer.alloc(10);
        payload.writeUInt32BE(5, 0);
        payload.writeUInt16BE(4000, 4); // says 4000 bytes of message, the chunk holds 4
        socket.write(chunk(1, 0x8001, req.handle, payload));
      },
    });
    await expect(c.read(0, 512)).rejects.toThrow(/message of 4000 bytes runs past the chunk/);
  });

  it('reads data sent as simple replies when structured replies are refused', async () => {
    const c = await connect({
      structuredReplies: false,
      onRequest(req, socket) {
        socket.write(simpleReply(req.handle, 0, fill(req.length, 4)));
      },
    });
    expect(c.structuredReplies).toBe(false);
    expect(Buffer.from(await c.read(512, 1024))).toEqual(fill(1024, 4));
  });

  it('coalesces block status over windows and clips descriptors past the request', async () => {
    const size = 8 * 1024 * 1024;
    const c = await connect(
      {
        size,
        contexts: { 'base:allocation': 7 },
        onRequest(req, socket) {
          // Answers 1 MiB per request (a partial answer is allowed); near the end it describes far
          // past the request, which the client clips.
          const MiB = 1024 * 1024;
          const flags = req.offset < 4 * MiB ? 0 : 3;
          const descriptors: [number, number][] =
            req.offset >= 6 * MiB
              ? [
                  [MiB, flags],
                  [0xffff_0000, flags],
                ]
              : [[MiB, flags]];
          socket.write(blockStatusChunk(req.handle, 7, descriptors));
        },
      },
      { metaContexts: ['base:allocation'] },
    );
    const extents = await readExtents(c, { context: 'base:allocation' });
    expect(extents).toEqual([
      { offset: 0, length: 4 * 1024 * 1024, flags: 0 },
      { offset: 4 * 1024 * 1024, length: 4 * 1024 * 1024, flags: 3 },
    ]);
  });

  it('rejects block status for a context it never selected and zero-length descriptors', async () => {
    const c = await connect(
      {
        contexts: { 'base:allocation': 1 },
        onRequest(req, socket) {
          socket.write(blockStatusChunk(req.handle, 2, [[4096, 0]]));
        },
      },
      { metaContexts: ['base:allocation'] },
    );
    await expect(c.blockStatus(0, 4096)).rejects.toThrow(/context id 2, which was not selected/);
    await server?.close();

    const zero = await connect(
      {
        contexts: { 'base:allocation': 1 },
        onRequest(req, socket) {
          socket.write(blockStatusChunk(req.handle, 1, [[0, 0]]));
        },
      },
      { metaContexts: ['base:allocation'] },
    );
    await expect(zero.blockStatus(0, 4096)).rejects.toThrow(/descriptor of zero length/);
  });

  it('refuses an oversized option reply during the handshake', async () => {
    server = await startScriptedServer({
      goReply: Buffer.concat([optionReply(7, 3).subarray(0, 16), Buffer.from([0x40, 0, 0, 0])]),
      onRequest: () => undefined,
    });
    await expect(
      NbdClient.connect({ endpoint: { socketPath: server.socketPath } }),
    ).rejects.toMatchObject({
      code: 'HYPERVISOR_ERROR',
      message: expect.stringMatching(/option reply of 1073741824 bytes exceeds/),
    });
  });

  it('says so when the peer is not an NBD server at all', async () => {
    server = await startScriptedServer({
      greeting: Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'),
      onRequest: () => undefined,
    });
    await expect(
      NbdClient.connect({ endpoint: { socketPath: server.socketPath } }),
    ).rejects.toThrow(/is not an NBD server/);
  });

  it('refuses requests outside the export before sending anything', async () => {
    const c = await connect({ size: 65536, onRequest: () => undefined });
    await expect(c.read(65000, 1024)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(c.read(-1, 10)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(c.read(0, 64 * 1024 * 1024)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
