import { HyperkeepError } from '../../../shared/errors';
import {
  Cmd,
  NbdProtocolError,
  REPLY_FLAG_DONE,
  ReplyType,
  checkChunkLength,
  errnoName,
  isErrorReplyType,
  parseBlockStatusChunk,
  parseErrorChunk,
  parseHoleChunk,
  type Extent,
  type ReplyHeader,
} from './protocol';

/** One request on the wire, and what its reply chunks have delivered so far. */
export interface PendingRequest {
  handle: bigint;
  type: number;
  op: string;
  offset: number;
  length: number;
  /** The caller gave up: the reply is still read off the wire, then dropped. */
  abandoned: boolean;
  /** READ destination; every byte is written by a data or hole chunk before success. */
  data: Buffer | undefined;
  /** Disjoint [start, end) ranges (relative to offset) filled so far. */
  covered: [number, number][];
  coveredBytes: number;
  /** BLOCK_STATUS result per context id. */
  extents: Map<number, Extent[]>;
  /** First error the server reported; the reply is still consumed up to its DONE chunk. */
  error: HyperkeepError | undefined;
  settle(err: HyperkeepError | undefined, value?: unknown): void;
}

/** What the reply reader needs from the connection. */
export interface ReplyBytes {
  read(n: number): Promise<Uint8Array>;
  readInto(dest: Uint8Array | undefined, at: number, n: number): Promise<void>;
}

/** Out-of-order fragments we track per READ; real servers send a handful, in order. */
const MAX_FRAGMENTS = 4096;

function serverError(
  request: PendingRequest,
  errno: number,
  message: string,
  at?: number,
): HyperkeepError {
  const where = at === undefined ? `offset ${request.offset}` : `offset ${at}`;
  const text = message ? `: ${message}` : '';
  return new HyperkeepError(
    'HYPERVISOR_ERROR',
    `NBD server failed ${request.op} at ${where} (length ${request.length}) with ${errnoName(errno)}${text}`,
    {
      offset: request.offset,
      length: request.length,
      errno,
      ...(at === undefined ? {} : { errorOffset: at }),
    },
  );
}

/** Records that [start, end) of the request is now filled; overlaps are protocol violations. */
export function markCovered(request: PendingRequest, start: number, end: number): void {
  for (const [a, b] of request.covered) {
    if (start < b && a < end) {
      throw new NbdProtocolError(
        `${request.op} reply chunks overlap at offset ${request.offset + Math.max(a, start)}`,
      );
    }
  }
  const last = request.covered[request.covered.length - 1];
  if (last !== undefined && last[1] === start) last[1] = end;
  else {
    if (request.covered.length >= MAX_FRAGMENTS) {
      throw new NbdProtocolError(
        `${request.op} reply split into more than ${MAX_FRAGMENTS} fragments`,
      );
    }
    request.covered.push([start, end]);
  }
  request.coveredBytes += end - start;
}

/** Checks that [offset, offset+length) lies inside the request and returns its relative start. */
function relativeStart(
  request: PendingRequest,
  offset: number,
  length: number,
  what: string,
): number {
  const start = offset - request.offset;
  if (start < 0 || start + length > request.length) {
    throw new NbdProtocolError(
      `${what} [${offset}, +${length}) lies outside the requested [${request.offset}, +${request.length})`,
    );
  }
  return start;
}

function finish(request: PendingRequest, contextIds: ReadonlyMap<number, string>): void {
  if (request.error) {
    request.settle(request.error);
    return;
  }
  if (request.type === Cmd.READ) {
    if (request.coveredBytes !== request.length) {
      throw new NbdProtocolError(
        `READ at offset ${request.offset} claimed success after ${request.coveredBytes} of ${request.length} bytes`,
      );
    }
    request.settle(undefined, request.data);
    return;
  }
  for (const id of contextIds.keys()) {
    if (!request.extents.has(id)) {
      throw new NbdProtocolError(`BLOCK_STATUS reply lacks metadata context ${contextIds.get(id)}`);
    }
  }
  request.settle(undefined, request.extents);
}

/**
 * Consumes one reply message (a simple reply, or one structured chunk) for `request`, settling the
 * request when the reply is complete. Throws NbdProtocolError on anything the spec forbids.
 */
export async function handleReply(
  header: ReplyHeader,
  request: PendingRequest,
  bytes: ReplyBytes,
  structuredReplies: boolean,
  contextIds: ReadonlyMap<number, string>,
): Promise<void> {
  if (header.kind === 'simple') {
    if (header.error !== 0) {
      // An error simple reply carries no payload, whatever was negotiated.
      request.settle(serverError(request, header.error, ''));
      return;
    }
    if (request.type !== Cmd.READ || structuredReplies) {
      throw new NbdProtocolError(
        `simple success reply to ${request.op}, which needs a structured reply`,
      );
    }
    await bytes.readInto(request.data, 0, request.length);
    request.settle(undefined, request.data);
    return;
  }
  if (!structuredReplies)
    throw new NbdProtocolError('structured reply without having negotiated it');
  const { type, length, flags } = header;
  checkChunkLength(type, length, request.length);
  const isRead = request.type === Cmd.READ;
  if (type === ReplyType.OFFSET_DATA && isRead) {
    const head = await bytes.read(8);
    const offset = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0));
    const dataLength = length - 8;
    const start = relativeStart(request, offset, dataLength, 'data chunk');
    markCovered(request, start, start + dataLength);
    await bytes.readInto(request.data, start, dataLength);
  } else if (type === ReplyType.OFFSET_HOLE && isRead) {
    const hole = parseHoleChunk(await bytes.read(12));
    const start = relativeStart(request, hole.offset, hole.length, 'hole chunk');
    markCovered(request, start, start + hole.length);
    request.data?.fill(0, start, start + hole.length);
  } else if (type === ReplyType.BLOCK_STATUS && !isRead) {
    const chunk = parseBlockStatusChunk(await bytes.read(length), request.offset, request.length);
    if (!contextIds.has(chunk.contextId)) {
      throw new NbdProtocolError(
        `block status for context id ${chunk.contextId}, which was not selected`,
      );
    }
    if (request.extents.has(chunk.contextId)) {
      throw new NbdProtocolError(`block status for context id ${chunk.contextId} sent twice`);
    }
    request.extents.set(chunk.contextId, chunk.extents);
  } else if (isErrorReplyType(type)) {
    const error = parseErrorChunk(type, await bytes.read(length));
    if (error.offset !== undefined) relativeStart(request, error.offset, 0, 'error offset');
    request.error ??= serverError(request, error.errno, error.message, error.offset);
  } else if (type !== ReplyType.NONE) {
    throw new NbdProtocolError(`chunk type ${type} is not valid in a reply to ${request.op}`);
  }
  if ((flags & REPLY_FLAG_DONE) !== 0) finish(request, contextIds);
}
