/**
 * libvirt RPC framing (src/rpc/virnetprotocol.x): every packet is a 4-byte big-endian length that
 * counts itself, a 24-byte header, then the XDR body of the procedure's args, ret, error or
 * stream data.
 */
import { XdrError, XdrReader, XdrWriter } from './xdr';

export const REMOTE_PROGRAM = 0x20008086;
export const REMOTE_PROTOCOL_VERSION = 1;
export const KEEPALIVE_PROGRAM = 0x6b656570;
export const KEEPALIVE_PROTOCOL_VERSION = 1;
export const KEEPALIVE_PROC_PING = 1;
export const KEEPALIVE_PROC_PONG = 2;

export const MessageType = {
  CALL: 0,
  REPLY: 1,
  /** Asynchronous: events from the server, keepalive in both directions. */
  MESSAGE: 2,
  /** Data of a virStream (volume download/upload, console), same serial as the opening call. */
  STREAM: 3,
  CALL_WITH_FDS: 4,
  REPLY_WITH_FDS: 5,
  /** A hole in a sparse stream (VIR_NET_STREAM_HOLE). */
  STREAM_HOLE: 6,
} as const;

export const MessageStatus = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

export interface PacketHeader {
  program: number;
  version: number;
  procedure: number;
  type: number;
  serial: number;
  status: number;
}

export interface Packet {
  header: PacketHeader;
  body: Buffer;
}

const LENGTH_WORD = 4;
export const HEADER_SIZE = 24;
/** VIR_NET_MESSAGE_MAX (header + payload), not counting the length word. */
export const MAX_MESSAGE = 16 * 1024 * 1024;

export function encodePacket(header: PacketHeader, body: Uint8Array = Buffer.alloc(0)): Buffer {
  const total = LENGTH_WORD + HEADER_SIZE + body.length;
  if (total - LENGTH_WORD > MAX_MESSAGE) {
    throw new XdrError(`A libvirt message of ${total} bytes exceeds the protocol limit`);
  }
  const w = new XdrWriter(LENGTH_WORD + HEADER_SIZE);
  w.uint(total)
    .uint(header.program)
    .uint(header.version)
    .int(header.procedure)
    .int(header.type)
    .uint(header.serial)
    .int(header.status);
  return Buffer.concat([w.toBuffer(), body]);
}

/**
 * Reassembles packets from a byte stream cut anywhere. Chunks are kept as a list and joined once a
 * whole packet is there, so a 16 MiB reply arriving in 64 KiB pieces is not copied 256 times.
 */
export class PacketDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Feeds bytes; returns the packets completed by them. Throws XdrError on a broken stream. */
  push(chunk: Buffer): Packet[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const packets: Packet[] = [];
    for (;;) {
      if (this.buffered < LENGTH_WORD) break;
      const length = this.peekLength();
      if (length < LENGTH_WORD + HEADER_SIZE) {
        throw new XdrError(
          `it announced a packet of ${length} bytes, too short for a header` + this.textHint(),
        );
      }
      if (length - LENGTH_WORD > MAX_MESSAGE) {
        throw new XdrError(
          `it announced a packet of ${length} bytes, larger than the protocol's ${MAX_MESSAGE}` +
            this.textHint(),
        );
      }
      if (this.buffered < length) break;
      packets.push(decodePacket(this.take(length)));
    }
    return packets;
  }

  /** Bytes of an incomplete packet still waiting for the rest. */
  get pending(): number {
    return this.buffered;
  }

  /** A peer answering in text (an HTTP proxy, an SSH banner) is not libvirtd: say so. */
  private textHint(): string {
    const head = Buffer.concat(this.chunks).subarray(0, 16).toString('latin1');
    const printable = head.replace(/[^\x20-\x7e]/g, '');
    return printable.length >= 4 && printable.length >= head.length - 2
      ? ` — it answered with text ("${printable}…"), so this port is not libvirtd`
      : '';
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= LENGTH_WORD) return first.readUInt32BE(0);
    return Buffer.concat(this.chunks).readUInt32BE(0);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const packet = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return packet;
  }
}

function decodePacket(packet: Buffer): Packet {
  const r = new XdrReader(packet.subarray(LENGTH_WORD, LENGTH_WORD + HEADER_SIZE), 'packet header');
  const header: PacketHeader = {
    program: r.uint(),
    version: r.uint(),
    procedure: r.int(),
    type: r.int(),
    serial: r.uint(),
    status: r.int(),
  };
  return { header, body: packet.subarray(LENGTH_WORD + HEADER_SIZE) };
}
