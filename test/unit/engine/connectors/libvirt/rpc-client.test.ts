/**
 * The RPC layer against a scripted peer on a real unix socket: libvirtd itself never answers out
 * of order on demand, sends hostile lengths or stays silent, so those behaviours are played here.
 * The real daemon is exercised in test/integration/connectors/libvirt.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../../../shared/errors';
import {
  encodePacket,
  KEEPALIVE_PROGRAM,
  MessageStatus,
  MessageType,
  PacketDecoder,
  REMOTE_PROGRAM,
  type Packet,
} from '../../../../../src-main/engine/connectors/libvirt/packet';
import {
  CONNECT_GET_HOSTNAME,
  invoke,
} from '../../../../../src-main/engine/connectors/libvirt/procedures';
import { RpcClient } from '../../../../../src-main/engine/connectors/libvirt/rpc-client';
import { RpcConnection } from '../../../../../src-main/engine/connectors/libvirt/rpc-connection';
import { unixSocketTransport } from '../../../../../src-main/engine/connectors/libvirt/transport';
import { XdrWriter } from '../../../../../src-main/engine/connectors/libvirt/xdr';

interface Peer {
  path: string;
  packets: Packet[];
  connections: number;
  sockets: net.Socket[];
}

type Script = (packet: Packet, socket: net.Socket, peer: Peer) => void;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

async function startPeer(script: Script): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'hk-rpc-'));
  const peer: Peer = { path: join(dir, 'sock'), packets: [], connections: 0, sockets: [] };
  const server = net.createServer((socket) => {
    peer.connections++;
    peer.sockets.push(socket);
    const decoder = new PacketDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const p of decoder.push(chunk)) {
        peer.packets.push(p);
        script(p, socket, peer);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(peer.path, resolve));
  cleanups.push(() => {
    for (const s of peer.sockets) s.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return peer;
}

function reply(socket: net.Socket, call: Packet, body: Buffer, status: number = MessageStatus.OK) {
  socket.write(encodePacket({ ...call.header, type: MessageType.REPLY, status }, body));
}

const hostnameBody = (name: string): Buffer => new XdrWriter().string(name, 1024).toBuffer();

/** A remote_error as libvirtd encodes it. */
function remoteError(code: number, message: string): Buffer {
  const w = new XdrWriter();
  w.int(code)
    .int(10)
    .optional(message, (x, m) => x.string(m, 4096))
    .int(2);
  w.bool(false); // dom
  w.bool(false).bool(false).bool(false); // str1..3
  w.int(0).int(0);
  w.bool(false); // net
  return w.toBuffer();
}

async function connectTo(peer: Peer): Promise<RpcConnection> {
  const stream = await unixSocketTransport([peer.path]).open(AbortSignal.timeout(2000));
  const connection = new RpcConnection(stream, `the libvirt socket ${peer.path}`);
  cleanups.push(() => connection.close());
  return connection;
}

async function rejection(promise: Promise<unknown>): Promise<HyperkeepError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(HyperkeepError);
    return err as HyperkeepError;
  }
  throw new Error('expected a rejection');
}

describe('RpcConnection', () => {
  it('matches replies to calls by serial when the daemon answers out of order', async () => {
    const held: Packet[] = [];
    const peer = await startPeer((p, socket) => {
      held.push(p);
      if (held.length === 3) {
        for (const call of held.reverse())
          reply(socket, call, hostnameBody(`h${call.header.serial}`));
      }
    });
    const connection = await connectTo(peer);
    const names = await Promise.all(
      [1, 2, 3].map(() => invoke(connection, CONNECT_GET_HOSTNAME, undefined)),
    );
    expect(names).toEqual(['h1', 'h2', 'h3']);
    expect(peer.packets.map((p) => [p.header.program, p.header.procedure, p.header.type])).toEqual(
      Array(3).fill([REMOTE_PROGRAM, 59, MessageType.CALL]),
    );
  });

  it("turns remote_error into HyperkeepError carrying libvirt's code and message", async () => {
    const peer = await startPeer((p, socket) => {
      const notFound = p.header.serial === 1;
      const body = notFound
        ? remoteError(42, "Domain not found: no domain with matching name 'x'")
        : remoteError(1, 'internal error: something broke');
      reply(socket, p, body, MessageStatus.ERROR);
    });
    const connection = await connectTo(peer);
    const first = await rejection(invoke(connection, CONNECT_GET_HOSTNAME, undefined));
    expect(first.code).toBe('NOT_FOUND');
    expect(first.details).toMatchObject({ libvirtCode: 42, procedure: 'CONNECT_GET_HOSTNAME' });
    const second = await rejection(invoke(connection, CONNECT_GET_HOSTNAME, undefined));
    expect(second.code).toBe('HYPERVISOR_ERROR');
    expect(second.message).toBe('internal error: something broke');
  });

  it('answers the daemon’s keepalive PING with a PONG', async () => {
    let pong: () => void = () => undefined;
    const gotPong = new Promise<void>((resolve) => (pong = resolve));
    const peer = await startPeer((p) => {
      if (p.header.program === KEEPALIVE_PROGRAM && p.header.procedure === 2) pong();
    });
    await connectTo(peer);
    await new Promise((r) => setTimeout(r, 50));
    const ping = { program: KEEPALIVE_PROGRAM, version: 1, procedure: 1, serial: 0 };
    peer.sockets[0]!.write(encodePacket({ ...ping, type: MessageType.MESSAGE, status: 0 }));
    await gotPong;
    expect(peer.packets.at(-1)!.header).toMatchObject({ type: MessageType.MESSAGE, serial: 0 });
  });

  it('times out a call the daemon never answers, and stays usable', async () => {
    const peer = await startPeer((p, socket) => {
      if (p.header.serial === 1) return; // swallowed
      reply(socket, p, hostnameBody('late-but-fine'));
    });
    const connection = await connectTo(peer);
    const started = Date.now();
    const err = await rejection(
      invoke(connection, CONNECT_GET_HOSTNAME, undefined, { timeoutMs: 200 }),
    );
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/did not answer CONNECT_GET_HOSTNAME/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await invoke(connection, CONNECT_GET_HOSTNAME, undefined)).toBe('late-but-fine');
  });

  it('cancels a call through its AbortSignal', async () => {
    const peer = await startPeer(() => undefined);
    const connection = await connectTo(peer);
    const controller = new AbortController();
    const pending = invoke(connection, CONNECT_GET_HOSTNAME, undefined, {
      signal: controller.signal,
    });
    controller.abort();
    expect((await rejection(pending)).code).toBe('CANCELLED');
    expect(connection.inFlight).toBe(0);
  });

  it('fails every pending call at once when the daemon sends a hostile length', async () => {
    const peer = await startPeer((_p, socket) => socket.write(Buffer.from('7fffffff', 'hex')));
    const connection = await connectTo(peer);
    const err = await rejection(invoke(connection, CONNECT_GET_HOSTNAME, undefined));
    expect(err.code).toBe('CONNECT_FAILED');
    expect(err.message).toMatch(/does not speak the libvirt protocol.*2147483647 bytes/);
    expect(connection.isClosed).toBe(true);
  });

  it('fails pending calls when the daemon goes away mid-call', async () => {
    const peer = await startPeer((_p, socket) => socket.destroy());
    const connection = await connectTo(peer);
    const err = await rejection(invoke(connection, CONNECT_GET_HOSTNAME, undefined));
    expect(err.code).toBe('CONNECT_FAILED');
    expect(err.message).toMatch(/was lost.*libvirtd may have stopped or restarted/);
  });
});

describe('RpcClient', () => {
  it('gives up on a silent daemon with CONNECT_FAILED instead of hanging', async () => {
    const peer = await startPeer(() => undefined);
    const client = new RpcClient({
      transport: unixSocketTransport([peer.path]),
      handshake: async (c, signal) =>
        void (await invoke(c, CONNECT_GET_HOSTNAME, undefined, { signal })),
      handshakeTimeoutMs: 300,
    });
    const err = await rejection(client.connect());
    expect(err.code).toBe('CONNECT_FAILED');
    expect(err.message).toMatch(/no answer in time/);
  });

  it('reconnects and re-runs the handshake after the daemon dropped the connection', async () => {
    let handshakes = 0;
    const peer = await startPeer((p, socket, self) => {
      reply(socket, p, hostnameBody(`conn${self.connections}`));
      // The first connection dies right after answering its second call (handshake + one call).
      if (self.connections === 1 && self.packets.length === 2)
        setTimeout(() => socket.destroy(), 10);
    });
    const client = new RpcClient({
      transport: unixSocketTransport([peer.path]),
      handshake: async (c, signal) => {
        handshakes++;
        await invoke(c, CONNECT_GET_HOSTNAME, undefined, { signal });
      },
    });
    cleanups.push(() => void client.close());
    expect(await invoke(client, CONNECT_GET_HOSTNAME, undefined)).toBe('conn1');
    await new Promise((r) => setTimeout(r, 100));
    expect(client.isConnected).toBe(false);
    expect(await invoke(client, CONNECT_GET_HOSTNAME, undefined)).toBe('conn2');
    expect(handshakes).toBe(2);
  });

  it('replays a read-only call caught by a dropped connection once, on a fresh one', async () => {
    const peer = await startPeer((p, socket, self) => {
      // First connection: answer the handshake (serial 1), then die under the real call.
      if (self.connections === 1 && p.header.serial === 2) {
        socket.destroy();
        return;
      }
      reply(socket, p, hostnameBody(`conn${self.connections}`));
    });
    const client = new RpcClient({
      transport: unixSocketTransport([peer.path]),
      handshake: async (c, signal) =>
        void (await invoke(c, CONNECT_GET_HOSTNAME, undefined, { signal })),
    });
    cleanups.push(() => void client.close());
    expect(await invoke(client, CONNECT_GET_HOSTNAME, undefined)).toBe('conn2');
    expect(peer.connections).toBe(2);
  });

  it('names the socket and the likely cause when there is no daemon', async () => {
    const client = new RpcClient({
      transport: unixSocketTransport(['/nonexistent/hk/libvirt-sock']),
      handshake: async () => undefined,
    });
    const err = await rejection(client.connect());
    expect(err.code).toBe('CONNECT_FAILED');
    expect(err.message).toBe(
      'Cannot connect to the libvirt socket /nonexistent/hk/libvirt-sock: no libvirt socket at ' +
        '/nonexistent/hk/libvirt-sock — is libvirtd running?',
    );
  });
});
