/**
 * Server→client streams (STORAGE_VOL_DOWNLOAD) against a scripted peer that speaks as libvirtd 9
 * was observed to: REPLY, CONTINUE data / HOLE packets, an empty CONTINUE for end of data, and a
 * STREAM packet (not a REPLY) confirming our finish or abort. The real daemon is exercised by
 * test/integration/backup/backup-vm.test.ts (powered-off VMs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../../../shared/errors';
import {
  STORAGE_VOL_DOWNLOAD,
  type StorageVolRef,
} from '../../../../../src-main/engine/connectors/libvirt/backup-procedures';
import type { StreamPiece } from '../../../../../src-main/engine/connectors/libvirt/incoming-stream';
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
  invokeDownload,
} from '../../../../../src-main/engine/connectors/libvirt/procedures';
import { RpcConnection } from '../../../../../src-main/engine/connectors/libvirt/rpc-connection';
import { XdrWriter } from '../../../../../src-main/engine/connectors/libvirt/xdr';

const VOL: StorageVolRef = { pool: 'p', name: 'disk.qcow2', key: '/images/disk.qcow2' };

type Script = (
  packet: Packet,
  send: (header: Partial<Packet['header']>, body?: Buffer) => void,
) => void;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

/** A peer that records what it receives and answers per `script`; returns a connection to it. */
async function peerWith(script: Script): Promise<{ connection: RpcConnection; seen: Packet[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'hk-stream-'));
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

const hole = (length: number): Buffer => new XdrWriter().hyper(length).uint(0).toBuffer();
const data = (text: string): Buffer => Buffer.from(text, 'latin1');
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

/** libvirtd's side of a download of `pieces`, then its confirmation of our finish or abort. */
function volumeServer(pieces: Buffer[], holeAt?: number): Script {
  return (p, send) => {
    if (p.header.type === MessageType.CALL && p.header.procedure === 59) {
      send({ type: MessageType.REPLY }, new XdrWriter().string('host', 100).toBuffer());
    } else if (p.header.type === MessageType.CALL) {
      send({ type: MessageType.REPLY });
      pieces.forEach((piece, i) => {
        if (i === holeAt)
          send({ type: MessageType.STREAM_HOLE, status: MessageStatus.CONTINUE }, piece);
        else send({ type: MessageType.STREAM, status: MessageStatus.CONTINUE }, piece);
      });
      send({ type: MessageType.STREAM, status: MessageStatus.CONTINUE });
    } else if (p.header.type === MessageType.STREAM) {
      send({ type: MessageType.STREAM, status: MessageStatus.OK });
    }
  };
}

function download(
  connection: RpcConnection,
  consume: (piece: StreamPiece) => void,
  signal?: AbortSignal,
): Promise<void> {
  const args = { vol: VOL, offset: 0, length: 0, flags: 1 };
  return invokeDownload(connection, STORAGE_VOL_DOWNLOAD, args, consume, {
    timeoutMs: 2_000,
    ...(signal ? { signal } : {}),
  });
}

describe('volume download streams', () => {
  it('delivers data and holes in order, then finishes so the connection stays usable', async () => {
    const { connection, seen } = await peerWith(
      volumeServer([data('head'), hole(1 << 20), data('tail')], 1),
    );
    const got: string[] = [];
    await download(connection, (p) =>
      got.push(p.kind === 'data' ? p.data.toString('latin1') : `hole ${p.length}`),
    );
    expect(got).toEqual(['head', `hole ${1 << 20}`, 'tail']);
    const ours = seen.map((p) => [p.header.type, p.header.status]);
    // The call, then our finish: an empty STREAM packet with status OK.
    expect(ours).toEqual([
      [MessageType.CALL, MessageStatus.OK],
      [MessageType.STREAM, MessageStatus.OK],
    ]);
    expect(await invoke(connection, CONNECT_GET_HOSTNAME, undefined)).toBe('host');
  });

  it('aborts the stream when the consumer refuses the data, and keeps the connection', async () => {
    const { connection, seen } = await peerWith(volumeServer([data('one'), data('two')]));
    const err = await download(connection, () => {
      throw new HyperkeepError('HYPERVISOR_ERROR', 'more than asked for');
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HYPERVISOR_ERROR', message: 'more than asked for' });
    await expect.poll(() => seen.map((p) => p.header.status)).toContain(MessageStatus.ERROR);
    expect(await invoke(connection, CONNECT_GET_HOSTNAME, undefined)).toBe('host');
  });

  it("reports libvirt's error sent in the stream, without aborting what libvirt ended", async () => {
    const { connection, seen } = await peerWith((p, send) => {
      send({ type: MessageType.REPLY });
      send(
        { type: MessageType.STREAM, status: MessageStatus.ERROR },
        remoteError('cannot read /images/disk.qcow2'),
      );
    });
    await expect(download(connection, () => undefined)).rejects.toThrow(
      'cannot read /images/disk.qcow2',
    );
    expect(seen).toHaveLength(1);
  });

  it('stops on cancel and when the server falls silent', async () => {
    const silent = await peerWith((p, send) => {
      if (p.header.type === MessageType.CALL) send({ type: MessageType.REPLY });
      else send({ type: MessageType.STREAM, status: MessageStatus.OK });
    });
    const controller = new AbortController();
    const cancelled = download(silent.connection, () => undefined, controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(download(silent.connection, () => undefined)).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
  });
});
