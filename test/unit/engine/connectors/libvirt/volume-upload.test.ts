/**
 * Client→server streams (STORAGE_VOL_UPLOAD) against a scripted peer answering as libvirtd does:
 * REPLY to the call, silence while data flows, a STREAM packet confirming our finish or abort, or
 * a STREAM ERROR packet when the host fails mid-way. The real daemon is exercised by
 * test/integration/restore-vm/restore-vm.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StorageVolRef } from '../../../../../src-main/engine/connectors/libvirt/backup-procedures';
import { UPLOAD_PACKET_BYTES } from '../../../../../src-main/engine/connectors/libvirt/outgoing-stream';
import {
  encodePacket,
  MessageStatus,
  MessageType,
  PacketDecoder,
  type Packet,
} from '../../../../../src-main/engine/connectors/libvirt/packet';
import {
  CONNECT_GET_HOSTNAME,
  invoke,
} from '../../../../../src-main/engine/connectors/libvirt/procedures';
import {
  invokeUpload,
  STORAGE_VOL_UPLOAD,
} from '../../../../../src-main/engine/connectors/libvirt/restore-procedures';
import { RpcConnection } from '../../../../../src-main/engine/connectors/libvirt/rpc-connection';
import type { StreamProducer } from '../../../../../src-main/engine/connectors/libvirt/outgoing-stream';
import { XdrReader, XdrWriter } from '../../../../../src-main/engine/connectors/libvirt/xdr';

const VOL: StorageVolRef = { pool: 'p', name: 'disk.img', key: '/images/disk.img' };

type Send = (header: Partial<Packet['header']>, body?: Buffer) => void;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

async function peerWith(
  script: (p: Packet, send: Send) => void,
): Promise<{ connection: RpcConnection; seen: Packet[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'hk-upload-'));
  const path = join(dir, 'sock');
  const seen: Packet[] = [];
  const server = net.createServer((socket) => {
    const decoder = new PacketDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const p of decoder.push(chunk)) {
        seen.push(p);
        script(p, (header, body) =>
          socket.write(encodePacket({ ...p.header, ...header }, body ?? Buffer.alloc(0))),
        );
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const socket = net.connect(path);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const connection = new RpcConnection(socket, `the test socket ${path}`);
  cleanups.push(() => {
    connection.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { connection, seen };
}

const remoteError = (message: string): Buffer =>
  new XdrWriter()
    .int(38)
    .int(18)
    .optional(message, (x, m) => x.string(m, 4096))
    .int(2)
    .bool(false)
    .bool(false)
    .bool(false)
    .bool(false)
    .int(0)
    .int(0)
    .bool(false)
    .toBuffer();

/** libvirtd's side: REPLY to calls, a STREAM OK/ERROR packet answering our finish or abort. */
function uploadServer(failAfterPackets?: number): (p: Packet, send: Send) => void {
  let data = 0;
  return (p, send) => {
    if (p.header.type === MessageType.CALL && p.header.procedure === 59) {
      send({ type: MessageType.REPLY }, new XdrWriter().string('host', 100).toBuffer());
    } else if (p.header.type === MessageType.CALL) {
      send({ type: MessageType.REPLY });
    } else if (p.header.status === MessageStatus.CONTINUE) {
      if (++data === failAfterPackets) {
        send(
          { type: MessageType.STREAM, status: MessageStatus.ERROR },
          remoteError('No space left on device'),
        );
      }
    } else if (p.header.status === MessageStatus.OK) {
      send({ type: MessageType.STREAM, status: MessageStatus.OK });
    } else {
      send(
        { type: MessageType.STREAM, status: MessageStatus.ERROR },
        remoteError('stream aborted at client request'),
      );
    }
  };
}

function upload(connection: RpcConnection, produce: StreamProducer): Promise<void> {
  const args = { vol: VOL, offset: 0, length: 0, flags: 1 };
  return invokeUpload(connection, STORAGE_VOL_UPLOAD, args, produce, { timeoutMs: 2_000 });
}

const streamPackets = (seen: Packet[]) => seen.filter((p) => p.header.type !== MessageType.CALL);

describe('volume upload stream', () => {
  it('sends data in bounded packets, holes as hole packets, then finishes once confirmed', async () => {
    const { connection, seen } = await peerWith(uploadServer());
    const big = Buffer.alloc(UPLOAD_PACKET_BYTES + 10, 7);
    await upload(connection, async (sink) => {
      await sink.data(big);
      await sink.hole(1 << 30);
      await sink.data(Buffer.from('tail'));
    });
    const packets = streamPackets(seen);
    expect(packets.map((p) => [p.header.type, p.header.status, p.body.length])).toEqual([
      [MessageType.STREAM, MessageStatus.CONTINUE, UPLOAD_PACKET_BYTES],
      [MessageType.STREAM, MessageStatus.CONTINUE, 10],
      [MessageType.STREAM_HOLE, MessageStatus.CONTINUE, 12],
      [MessageType.STREAM, MessageStatus.CONTINUE, 4],
      [MessageType.STREAM, MessageStatus.OK, 0],
    ]);
    expect(new XdrReader(packets[2]!.body, 'hole').hyper()).toBe(1n << 30n);
    expect(new Set(seen.map((p) => p.header.serial)).size).toBe(1);
  });

  it("stops the producer with the host's error when libvirt fails the stream mid-way", async () => {
    const { connection, seen } = await peerWith(uploadServer(2));
    let sent = 0;
    const failed = upload(connection, async (sink) => {
      for (let i = 0; i < 10_000; i++) {
        await sink.data(Buffer.alloc(1024, 1));
        sent++;
        await new Promise((r) => setImmediate(r));
      }
    });
    await expect(failed).rejects.toThrow(/No space left on device/);
    expect(sent).toBeLessThan(10_000);
    // The server dropped the stream itself: no abort packet follows its error.
    expect(streamPackets(seen).some((p) => p.header.status === MessageStatus.ERROR)).toBe(false);
    await expect(invoke(connection, CONNECT_GET_HOSTNAME, undefined)).resolves.toBe('host');
  });

  it('aborts the stream when the producer fails, and the connection stays usable', async () => {
    const { connection, seen } = await peerWith(uploadServer());
    const failed = upload(connection, async (sink) => {
      await sink.data(Buffer.from('some'));
      throw new Error('repository unreadable');
    });
    await expect(failed).rejects.toThrow('repository unreadable');
    const last = streamPackets(seen).at(-1)!;
    expect([last.header.type, last.header.status]).toEqual([
      MessageType.STREAM,
      MessageStatus.ERROR,
    ]);
    await expect(invoke(connection, CONNECT_GET_HOSTNAME, undefined)).resolves.toBe('host');
  });
});
