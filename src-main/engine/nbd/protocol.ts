/**
 * NBD wire format (https://github.com/NetworkBlockDevice/nbd/blob/master/doc/proto.md): constants,
 * request encoding and the pure parsers of what a server sends. Every parser validates lengths
 * against limits we choose, so a broken or hostile server cannot make us allocate or loop
 * without bound; they throw NbdProtocolError and the connection is then dropped.
 */

export const NBDMAGIC = 0x4e42444d41474943n;
export const IHAVEOPT = 0x49484156454f5054n;
export const OPTION_REPLY_MAGIC = 0x3e889045565a9n;
export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;
export const STRUCTURED_REPLY_MAGIC = 0x668e33ef;

export const HANDSHAKE_FIXED_NEWSTYLE = 1 << 0;
export const HANDSHAKE_NO_ZEROES = 1 << 1;

export const Opt = {
  EXPORT_NAME: 1,
  ABORT: 2,
  LIST: 3,
  GO: 7,
  STRUCTURED_REPLY: 8,
  SET_META_CONTEXT: 10,
} as const;

export const Rep = { ACK: 1, SERVER: 2, INFO: 3, META_CONTEXT: 4 } as const;
const REP_ERROR_BIT = 0x8000_0000;

export const Info = { EXPORT: 0, BLOCK_SIZE: 3 } as const;

export const TransmissionFlag = { HAS_FLAGS: 1 << 0, READ_ONLY: 1 << 1 } as const;

export const Cmd = { READ: 0, DISC: 2, BLOCK_STATUS: 7 } as const;

export const ReplyType = {
  NONE: 0,
  OFFSET_DATA: 1,
  OFFSET_HOLE: 2,
  BLOCK_STATUS: 5,
  ERROR: 0x8001,
  ERROR_OFFSET: 0x8002,
} as const;
export const REPLY_FLAG_DONE = 1 << 0;
const REPLY_TYPE_ERROR_BIT = 0x8000;

/** `base:allocation` flags. */
export const STATE_HOLE = 1 << 0;
export const STATE_ZERO = 1 << 1;
/** `qemu:dirty-bitmap:NAME` flag: the block changed since the bitmap was created. */
export const STATE_DIRTY = 1 << 0;

export const REQUEST_HEADER_SIZE = 28;
export const SIMPLE_REPLY_HEADER_SIZE = 16;
export const STRUCTURED_REPLY_HEADER_SIZE = 20;
export const OPTION_REPLY_HEADER_SIZE = 20;

/** Strings in NBD are at most 4096 bytes; option replies carry one string plus a few fields. */
export const MAX_OPTION_REPLY_PAYLOAD = 64 * 1024;
/** qemu sends at most 128 Ki descriptors per chunk, nbdkit 1 Mi: allow the larger, no more. */
export const MAX_BLOCK_STATUS_PAYLOAD = 4 + 8 * 1024 * 1024;
const MAX_ERROR_PAYLOAD = 6 + 4096 + 8;

/** The reply violated the protocol; the only safe reaction is to drop the connection. */
export class NbdProtocolError extends Error {
  override readonly name = 'NbdProtocolError';
}

/** POSIX-style error numbers the spec allows in replies, named for messages. */
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM (operation not permitted)',
  5: 'EIO (input/output error)',
  12: 'ENOMEM (out of memory)',
  22: 'EINVAL (invalid argument)',
  28: 'ENOSPC (no space left)',
  75: 'EOVERFLOW (value too large)',
  95: 'ENOTSUP (not supported)',
  108: 'ESHUTDOWN (server shutting down)',
};
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `error ${errno}`;
}

const OPTION_REPLY_ERRORS: Record<number, string> = {
  1: 'the server does not support this option (NBD_REP_ERR_UNSUP)',
  2: 'refused by server policy (NBD_REP_ERR_POLICY)',
  3: 'the server found the request invalid (NBD_REP_ERR_INVALID)',
  4: 'not supported on the server platform (NBD_REP_ERR_PLATFORM)',
  5: 'the server requires TLS (NBD_REP_ERR_TLS_REQD)',
  6: 'unknown export (NBD_REP_ERR_UNKNOWN)',
  7: 'the server is shutting down (NBD_REP_ERR_SHUTDOWN)',
  8: 'the server requires block size negotiation (NBD_REP_ERR_BLOCK_SIZE_REQD)',
  9: 'request too big (NBD_REP_ERR_TOO_BIG)',
  10: 'the server requires extended headers (NBD_REP_ERR_EXT_HEADER_REQD)',
};
export const RepErr = { UNSUP: 1, POLICY: 2, TLS_REQD: 5, UNKNOWN: 6 } as const;

export function isOptionReplyError(replyType: number): boolean {
  return (replyType & REP_ERROR_BIT) !== 0;
}
/** The low bits of an error reply type: 1 = UNSUP, 5 = TLS_REQD, 6 = UNKNOWN, … */
export function optionErrorKind(replyType: number): number {
  return replyType & ~REP_ERROR_BIT;
}
export function describeOptionError(replyType: number): string {
  const kind = optionErrorKind(replyType);
  return OPTION_REPLY_ERRORS[kind] ?? `server error ${kind}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
export function decodeString(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** 2^53: offsets above this cannot be represented exactly in a JS number. */
function u64(dv: DataView, at: number, what: string): number {
  const value = dv.getBigUint64(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new NbdProtocolError(`${what} ${value} is beyond what an export can hold`);
  }
  return Number(value);
}

// ----------------------------------------------------------------------------- handshake

export interface ServerGreeting {
  handshakeFlags: number;
}
export function parseGreeting(bytes: Uint8Array): ServerGreeting {
  const dv = view(bytes);
  if (bytes.length !== 18 || dv.getBigUint64(0) !== NBDMAGIC) {
    throw new NbdProtocolError('the peer is not an NBD server (no NBDMAGIC greeting)');
  }
  if (dv.getBigUint64(8) !== IHAVEOPT) {
    throw new NbdProtocolError(
      'the server speaks only the oldstyle NBD handshake, which does not support named exports',
    );
  }
  const handshakeFlags = dv.getUint16(16);
  if ((handshakeFlags & HANDSHAKE_FIXED_NEWSTYLE) === 0) {
    throw new NbdProtocolError('the server does not support the fixed newstyle NBD handshake');
  }
  return { handshakeFlags };
}

export function encodeOption(option: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const dv = view(out);
  dv.setBigUint64(0, IHAVEOPT);
  dv.setUint32(8, option);
  dv.setUint32(12, data.length);
  out.set(data, 16);
  return out;
}

/** Data of NBD_OPT_GO / NBD_OPT_INFO: export name and the NBD_INFO_* items we want. */
export function encodeGoData(exportName: string, infos: number[]): Uint8Array {
  const name = new TextEncoder().encode(exportName);
  const out = new Uint8Array(4 + name.length + 2 + 2 * infos.length);
  const dv = view(out);
  dv.setUint32(0, name.length);
  out.set(name, 4);
  dv.setUint16(4 + name.length, infos.length);
  infos.forEach((info, i) => dv.setUint16(6 + name.length + 2 * i, info));
  return out;
}

/** Data of NBD_OPT_SET_META_CONTEXT: export name, then the query strings. */
export function encodeMetaContextData(exportName: string, queries: string[]): Uint8Array {
  const enc = new TextEncoder();
  const name = enc.encode(exportName);
  const encoded = queries.map((q) => enc.encode(q));
  const total = 4 + name.length + 4 + encoded.reduce((sum, q) => sum + 4 + q.length, 0);
  const out = new Uint8Array(total);
  const dv = view(out);
  dv.setUint32(0, name.length);
  out.set(name, 4);
  let at = 4 + name.length;
  dv.setUint32(at, encoded.length);
  at += 4;
  for (const q of encoded) {
    dv.setUint32(at, q.length);
    out.set(q, at + 4);
    at += 4 + q.length;
  }
  return out;
}

export interface OptionReplyHeader {
  option: number;
  replyType: number;
  length: number;
}
export function parseOptionReplyHeader(bytes: Uint8Array, sentOption: number): OptionReplyHeader {
  const dv = view(bytes);
  if (dv.getBigUint64(0) !== OPTION_REPLY_MAGIC) {
    throw new NbdProtocolError('bad magic in an option reply');
  }
  const option = dv.getUint32(8);
  const replyType = dv.getUint32(12);
  const length = dv.getUint32(16);
  if (option !== sentOption) {
    throw new NbdProtocolError(`option reply for option ${option}, expected ${sentOption}`);
  }
  if (length > MAX_OPTION_REPLY_PAYLOAD) {
    throw new NbdProtocolError(
      `option reply of ${length} bytes exceeds the ${MAX_OPTION_REPLY_PAYLOAD}-byte limit`,
    );
  }
  return { option, replyType, length };
}

export type ExportInfo =
  | { kind: 'export'; size: number; flags: number }
  | { kind: 'block-size'; minimum: number; preferred: number; maximum: number }
  | { kind: 'other'; type: number };

/** Payload of NBD_REP_INFO. */
export function parseInfoReply(payload: Uint8Array): ExportInfo {
  if (payload.length < 2) throw new NbdProtocolError('NBD_REP_INFO shorter than 2 bytes');
  const dv = view(payload);
  const type = dv.getUint16(0);
  if (type === Info.EXPORT) {
    if (payload.length !== 12) throw new NbdProtocolError('NBD_INFO_EXPORT is not 12 bytes');
    return { kind: 'export', size: u64(dv, 2, 'export size'), flags: dv.getUint16(10) };
  }
  if (type === Info.BLOCK_SIZE) {
    if (payload.length !== 14) throw new NbdProtocolError('NBD_INFO_BLOCK_SIZE is not 14 bytes');
    const minimum = dv.getUint32(2);
    const preferred = dv.getUint32(6);
    const maximum = dv.getUint32(10);
    const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
    if (!isPowerOfTwo(minimum) || minimum > 65536 || !isPowerOfTwo(preferred)) {
      throw new NbdProtocolError(`NBD_INFO_BLOCK_SIZE has invalid sizes ${minimum}/${preferred}`);
    }
    if (maximum < minimum) {
      throw new NbdProtocolError(
        `NBD_INFO_BLOCK_SIZE maximum ${maximum} is below minimum ${minimum}`,
      );
    }
    return { kind: 'block-size', minimum, preferred, maximum };
  }
  return { kind: 'other', type };
}

/** Payload of NBD_REP_META_CONTEXT: the id the server will use in block status replies. */
export function parseMetaContextReply(payload: Uint8Array): { id: number; name: string } {
  if (payload.length < 5) throw new NbdProtocolError('NBD_REP_META_CONTEXT shorter than 5 bytes');
  return { id: view(payload).getUint32(0), name: decodeString(payload.subarray(4)) };
}

/** Payload of NBD_REP_SERVER (NBD_OPT_LIST): an export name, maybe followed by a description. */
export function parseServerReply(payload: Uint8Array): string {
  if (payload.length < 4) throw new NbdProtocolError('NBD_REP_SERVER shorter than 4 bytes');
  const nameLength = view(payload).getUint32(0);
  if (nameLength > payload.length - 4) {
    throw new NbdProtocolError('NBD_REP_SERVER name runs past the reply');
  }
  return decodeString(payload.subarray(4, 4 + nameLength));
}

// ----------------------------------------------------------------------------- transmission

export function encodeRequest(
  type: number,
  flags: number,
  handle: bigint,
  offset: number,
  length: number,
): Uint8Array {
  const out = new Uint8Array(REQUEST_HEADER_SIZE);
  const dv = view(out);
  dv.setUint32(0, REQUEST_MAGIC);
  dv.setUint16(4, flags);
  dv.setUint16(6, type);
  dv.setBigUint64(8, handle);
  dv.setBigUint64(16, BigInt(offset));
  dv.setUint32(24, length);
  return out;
}

export type ReplyHeader =
  | { kind: 'simple'; error: number; handle: bigint }
  | { kind: 'structured'; flags: number; type: number; handle: bigint; length: number };

/** Reads the 4-byte magic and tells how many header bytes to read in total. */
export function replyHeaderSize(magicBytes: Uint8Array): number {
  const magic = view(magicBytes).getUint32(0);
  if (magic === SIMPLE_REPLY_MAGIC) return SIMPLE_REPLY_HEADER_SIZE;
  if (magic === STRUCTURED_REPLY_MAGIC) return STRUCTURED_REPLY_HEADER_SIZE;
  throw new NbdProtocolError(`bad reply magic 0x${magic.toString(16).padStart(8, '0')}`);
}

export function parseReplyHeader(bytes: Uint8Array): ReplyHeader {
  const dv = view(bytes);
  const magic = dv.getUint32(0);
  if (magic === SIMPLE_REPLY_MAGIC && bytes.length === SIMPLE_REPLY_HEADER_SIZE) {
    return { kind: 'simple', error: dv.getUint32(4), handle: dv.getBigUint64(8) };
  }
  if (magic === STRUCTURED_REPLY_MAGIC && bytes.length === STRUCTURED_REPLY_HEADER_SIZE) {
    return {
      kind: 'structured',
      flags: dv.getUint16(4),
      type: dv.getUint16(6),
      handle: dv.getBigUint64(8),
      length: dv.getUint32(16),
    };
  }
  throw new NbdProtocolError(`bad reply magic 0x${magic.toString(16).padStart(8, '0')}`);
}

export function isErrorReplyType(type: number): boolean {
  return (type & REPLY_TYPE_ERROR_BIT) !== 0;
}

/**
 * Checks a structured chunk's declared payload length before any of it is read, given what the
 * request can legitimately receive: data chunks never exceed the requested range.
 */
export function checkChunkLength(type: number, length: number, requestLength: number): void {
  const fail = (why: string): never => {
    throw new NbdProtocolError(`structured reply chunk type ${type} with length ${length}: ${why}`);
  };
  switch (type) {
    case ReplyType.NONE:
      if (length !== 0) fail('NBD_REPLY_TYPE_NONE must be empty');
      return;
    case ReplyType.OFFSET_DATA:
      if (length < 9) fail('data chunk shorter than 9 bytes');
      if (length - 8 > requestLength) fail(`more data than the ${requestLength} bytes requested`);
      return;
    case ReplyType.OFFSET_HOLE:
      if (length !== 12) fail('hole chunk must be 12 bytes');
      return;
    case ReplyType.BLOCK_STATUS:
      if (length < 12 || (length - 4) % 8 !== 0) fail('block status must be 4 + 8n bytes');
      if (length > MAX_BLOCK_STATUS_PAYLOAD) fail('too many block status descriptors');
      return;
    default:
      if (isErrorReplyType(type)) {
        if (length < 6) fail('error chunk shorter than 6 bytes');
        if (length > MAX_ERROR_PAYLOAD) fail('error chunk longer than a message can be');
        return;
      }
      fail('unknown chunk type');
  }
}

export interface ErrorChunk {
  errno: number;
  message: string;
  offset: number | undefined;
}
export function parseErrorChunk(type: number, payload: Uint8Array): ErrorChunk {
  const dv = view(payload);
  const errno = dv.getUint32(0);
  const messageLength = dv.getUint16(4);
  const trailer = type === ReplyType.ERROR_OFFSET ? 8 : 0;
  if (6 + messageLength + trailer > payload.length) {
    throw new NbdProtocolError(`error chunk message of ${messageLength} bytes runs past the chunk`);
  }
  const message = decodeString(payload.subarray(6, 6 + messageLength));
  const offset = trailer ? u64(dv, 6 + messageLength, 'error offset') : undefined;
  return { errno: errno === 0 ? 5 : errno, message, offset };
}

/** OFFSET_HOLE payload. */
export function parseHoleChunk(payload: Uint8Array): { offset: number; length: number } {
  const dv = view(payload);
  const length = dv.getUint32(8);
  if (length === 0) throw new NbdProtocolError('hole chunk of zero bytes');
  return { offset: u64(dv, 0, 'hole offset'), length };
}

export interface Extent {
  offset: number;
  length: number;
  flags: number;
}

/**
 * BLOCK_STATUS payload → consecutive extents from `offset`. Descriptors past the requested range
 * are clipped (newer servers may describe beyond it); a zero-length descriptor is a violation.
 */
export function parseBlockStatusChunk(
  payload: Uint8Array,
  offset: number,
  requestLength: number,
): { contextId: number; extents: Extent[] } {
  const dv = view(payload);
  const contextId = dv.getUint32(0);
  const extents: Extent[] = [];
  const end = offset + requestLength;
  let at = offset;
  for (let i = 4; i + 8 <= payload.length && at < end; i += 8) {
    const length = dv.getUint32(i);
    const flags = dv.getUint32(i + 4);
    if (length === 0) throw new NbdProtocolError('block status descriptor of zero length');
    const clipped = Math.min(length, end - at);
    extents.push({ offset: at, length: clipped, flags });
    at += clipped;
  }
  return { contextId, extents };
}
