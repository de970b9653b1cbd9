/**
 * A tiny NBD server on a unix socket whose replies a test scripts byte by byte. Real servers
 * (qemu-nbd, nbdkit: see test/integration/nbd) are well behaved; this one plays the broken or
 * hostile server the client must survive: huge lengths, unknown handles, overlapping chunks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NbdRequest {
  type: number;
  flags: number;
  handle: bigint;
  offset: number;
  length: number;
}

export interface Script {
  size?: number;
  structuredReplies?: boolean;
  /** Context name → id the server announces for SET_META_CONTEXT. */
  contexts?: Record<string, number>;
  /** Replaces the whole greeting (to play a non-NBD peer). */
  greeting?: Uint8Array;
  /** Replaces the reply to NBD_OPT_GO (raw bytes). */
  goReply?: Uint8Array;
  onRequest(request: NbdRequest, socket: Socket): void;
}

function u64(value: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return b;
}
function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}
function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

export function optionReply(
  option: number,
  type: number,
  payload: Uint8Array = Buffer.alloc(0),
): Buffer {
  return Buffer.concat([
    u64(0x3e889045565a9n),
    u32(option),
    u32(type),
    u32(payload.length),
    payload,
  ]);
}

/** A structured reply chunk; `declaredLength` lets a test lie about the payload size. */
export function chunk(
  flags: number,
  type: number,
  handle: bigint,
  payload: Uint8Array,
  declaredLength?: number,
): Buffer {
  return Buffer.concat([
    u32(0x668e33ef),
    u16(flags),
    u16(type),
    u64(handle),
    u32(declaredLength ?? payload.length),
    payload,
  ]);
}

export function dataChunk(handle: bigint, offset: number, data: Uint8Array, done = false): Buffer {
  return chunk(done ? 1 : 0, 1, handle, Buffer.concat([u64(offset), data]));
}
export function holeChunk(handle: bigint, offset: number, length: number, done = false): Buffer {
  return chunk(done ? 1 : 0, 2, handle, Buffer.concat([u64(offset), u32(length)]));
}
export function doneChunk(handle: bigint): Buffer {
  return chunk(1, 0, handle, Buffer.alloc(0));
}
export function errorChunk(handle: bigint, errno: number, message: string, done = true): Buffer {
  const text = Buffer.from(message);
  return chunk(done ? 1 : 0, 0x8001, handle, Buffer.concat([u32(errno), u16(text.length), text]));
}
export function blockStatusChunk(
  handle: bigint,
  contextId: number,
  descriptors: [number, number][],
): Buffer {
  const body = descriptors.flatMap(([length, flags]) => [u32(length), u32(flags)]);
  return chunk(1, 5, handle, Buffer.concat([u32(contextId), ...body]));
}
export function simpleReply(
  handle: bigint,
  error: number,
  data: Uint8Array = Buffer.alloc(0),
): Buffer {
  return Buffer.concat([u32(0x67446698), u32(error), u64(handle), data]);
}

export interface ScriptedServer {
  socketPath: string;
  close(): Promise<void>;
}

export async function startScriptedServer(script: Script): Promise<ScriptedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hk-nbd-unit-'));
  const socketPath = join(dir, 'nbd.sock');
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write(script.greeting ?? Buffer.concat([Buffer.from('NBDMAGICIHAVEOPT'), u16(3)]));
    let buffered = Buffer.alloc(0);
    let phase: 'flags' | 'options' | 'transmission' = 'flags';
    socket.on('data', (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      for (;;) {
        if (phase === 'flags') {
          if (buffered.length < 4) return;
          buffered = buffered.subarray(4);
          phase = 'options';
        } else if (phase === 'options') {
          if (buffered.length < 16) return;
          const option = buffered.readUInt32BE(8);
          const length = buffered.readUInt32BE(12);
          if (buffered.length < 16 + length) return;
          buffered = buffered.subarray(16 + length);
          if (option === 8) {
            socket.write(optionReply(8, script.structuredReplies === false ? 0x80000001 : 1));
          } else if (option === 10) {
            for (const [name, id] of Object.entries(script.contexts ?? {})) {
              socket.write(optionReply(10, 4, Buffer.concat([u32(id), Buffer.from(name)])));
            }
            socket.write(optionReply(10, 1));
          } else if (option === 7) {
            const info = Buffer.concat([u16(0), u64(script.size ?? 1024 * 1024), u16(1)]);
            socket.write(
              script.goReply ?? Buffer.concat([optionReply(7, 3, info), optionReply(7, 1)]),
            );
            phase = 'transmission';
          } else {
            socket.write(optionReply(option, 0x80000001));
          }
        } else {
          if (buffered.length < 28) return;
          const request: NbdRequest = {
            flags: buffered.readUInt16BE(4),
            type: buffered.readUInt16BE(6),
            handle: buffered.readBigUInt64BE(8),
            offset: Number(buffered.readBigUInt64BE(16)),
            length: buffered.readUInt32BE(24),
          };
          buffered = buffered.subarray(28);
          if (request.type === 2) {
            socket.end();
            return;
          }
          script.onRequest(request, socket);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
