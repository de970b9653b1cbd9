import { HyperkeepError } from '../../../shared/errors';
import {
  HANDSHAKE_FIXED_NEWSTYLE,
  HANDSHAKE_NO_ZEROES,
  Info,
  NbdProtocolError,
  OPTION_REPLY_HEADER_SIZE,
  Opt,
  Rep,
  RepErr,
  decodeString,
  describeOptionError,
  encodeGoData,
  encodeMetaContextData,
  encodeOption,
  isOptionReplyError,
  optionErrorKind,
  parseGreeting,
  parseInfoReply,
  parseMetaContextReply,
  parseOptionReplyHeader,
  parseServerReply,
} from './protocol';

/** What the handshake needs from the connection: exact reads and writes. */
export interface HandshakeIo {
  read(n: number): Promise<Uint8Array>;
  write(bytes: Uint8Array): void;
}

export interface BlockSizeLimits {
  minimum: number;
  preferred: number;
  maximum: number;
}

export interface NegotiatedExport {
  size: number;
  transmissionFlags: number;
  /** Present when the server sent NBD_INFO_BLOCK_SIZE. */
  blockSize: BlockSizeLimits | undefined;
  structuredReplies: boolean;
  /** Metadata context name → id the server uses in block status replies. */
  metaContexts: Map<string, number>;
}

/** Replies per option are bounded: a server streaming endless replies is cut off. */
const MAX_REPLIES_PER_OPTION = 1024;

interface OptionReply {
  replyType: number;
  payload: Uint8Array;
}

/**
 * Fixed newstyle negotiation: structured replies, metadata contexts, then NBD_OPT_GO for the
 * export (falling back to NBD_OPT_EXPORT_NAME for servers without GO). `where` names the server
 * in error messages.
 */
export async function negotiate(
  io: HandshakeIo,
  where: string,
  exportName: string,
  metaContextQueries: string[],
): Promise<NegotiatedExport> {
  const greeting = parseGreeting(await io.read(18));
  const noZeroes = (greeting.handshakeFlags & HANDSHAKE_NO_ZEROES) !== 0;
  const clientFlags = new Uint8Array(4);
  new DataView(clientFlags.buffer).setUint32(
    0,
    HANDSHAKE_FIXED_NEWSTYLE | (noZeroes ? HANDSHAKE_NO_ZEROES : 0),
  );
  io.write(clientFlags);

  const optionFailure = (what: string, reply: OptionReply): HyperkeepError => {
    const serverText = reply.payload.length > 0 ? `: ${decodeString(reply.payload)}` : '';
    const kind = optionErrorKind(reply.replyType);
    const message =
      kind === RepErr.TLS_REQD
        ? `NBD server at ${where} requires TLS, and Hyperkeep's NBD client connects without it — ` +
          'export the disk without TLS (qemu-nbd without --tls-creds) on a socket only Hyperkeep can reach'
        : `NBD server at ${where} refused ${what}: ${describeOptionError(reply.replyType)}${serverText}`;
    return new HyperkeepError('CONNECT_FAILED', message, { where, exportName, nbdReply: kind });
  };

  let structuredReplies = false;
  for await (const reply of option(io, Opt.STRUCTURED_REPLY)) {
    if (reply.replyType === Rep.ACK) structuredReplies = true;
    else if (optionErrorKind(reply.replyType) === RepErr.UNSUP) structuredReplies = false;
    else if (isOptionReplyError(reply.replyType)) throw optionFailure('structured replies', reply);
  }

  const metaContexts = new Map<string, number>();
  if (structuredReplies && metaContextQueries.length > 0) {
    const data = encodeMetaContextData(exportName, metaContextQueries);
    for await (const reply of option(io, Opt.SET_META_CONTEXT, data)) {
      if (reply.replyType === Rep.META_CONTEXT) {
        const ctx = parseMetaContextReply(reply.payload);
        metaContexts.set(ctx.name, ctx.id);
      } else if (optionErrorKind(reply.replyType) === RepErr.UNKNOWN) {
        throw await unknownExport(io, where, exportName);
      } else if (isOptionReplyError(reply.replyType)) {
        // Servers without metadata support still serve data; callers see no contexts.
        if (optionErrorKind(reply.replyType) !== RepErr.UNSUP) {
          throw optionFailure('metadata contexts', reply);
        }
      }
    }
  }

  let size: number | undefined;
  let transmissionFlags = 0;
  let blockSize: BlockSizeLimits | undefined;
  for await (const reply of option(io, Opt.GO, encodeGoData(exportName, [Info.BLOCK_SIZE]))) {
    if (reply.replyType === Rep.INFO) {
      const info = parseInfoReply(reply.payload);
      if (info.kind === 'export') {
        size = info.size;
        transmissionFlags = info.flags;
      } else if (info.kind === 'block-size') {
        blockSize = { minimum: info.minimum, preferred: info.preferred, maximum: info.maximum };
      }
    } else if (isOptionReplyError(reply.replyType)) {
      const kind = optionErrorKind(reply.replyType);
      if (kind === RepErr.UNKNOWN) throw await unknownExport(io, where, exportName);
      if (kind !== RepErr.UNSUP) throw optionFailure(`export "${exportName}"`, reply);
      // Old server without NBD_OPT_GO: the original option, which cannot report errors.
      return {
        ...(await exportNameFallback(io, exportName, noZeroes)),
        structuredReplies,
        metaContexts,
      };
    } else if (reply.replyType !== Rep.ACK) {
      throw new NbdProtocolError(`unexpected reply type ${reply.replyType} to NBD_OPT_GO`);
    }
  }
  if (size === undefined)
    throw new NbdProtocolError('NBD_OPT_GO succeeded without NBD_INFO_EXPORT');
  return { size, transmissionFlags, blockSize, structuredReplies, metaContexts };
}

async function* option(
  io: HandshakeIo,
  code: number,
  data?: Uint8Array,
): AsyncGenerator<OptionReply> {
  io.write(encodeOption(code, data));
  for (let i = 0; i < MAX_REPLIES_PER_OPTION; i++) {
    const header = parseOptionReplyHeader(await io.read(OPTION_REPLY_HEADER_SIZE), code);
    const payload = header.length > 0 ? await io.read(header.length) : new Uint8Array(0);
    yield { replyType: header.replyType, payload };
    if (header.replyType === Rep.ACK || isOptionReplyError(header.replyType)) return;
  }
  throw new NbdProtocolError(`more than ${MAX_REPLIES_PER_OPTION} replies to option ${code}`);
}

/** The export is unknown: name the ones the server does offer, so the fix is obvious. */
async function unknownExport(
  io: HandshakeIo,
  where: string,
  name: string,
): Promise<HyperkeepError> {
  const names = await listExports(io).catch(() => undefined);
  const offered =
    names === undefined
      ? ''
      : names.length === 0
        ? ' (the server lists no exports)'
        : ` (the server offers: ${names.map((n) => `"${n}"`).join(', ')})`;
  return new HyperkeepError(
    'NOT_FOUND',
    `NBD server at ${where} has no export named "${name}"${offered}`,
    {
      where,
      exportName: name,
      ...(names ? { exports: names } : {}),
    },
  );
}

async function listExports(io: HandshakeIo): Promise<string[]> {
  const names: string[] = [];
  for await (const reply of option(io, Opt.LIST)) {
    if (reply.replyType === Rep.SERVER) names.push(parseServerReply(reply.payload));
    else if (isOptionReplyError(reply.replyType)) throw new Error('NBD_OPT_LIST refused');
  }
  return names;
}

async function exportNameFallback(
  io: HandshakeIo,
  exportName: string,
  noZeroes: boolean,
): Promise<{ size: number; transmissionFlags: number; blockSize: undefined }> {
  io.write(encodeOption(Opt.EXPORT_NAME, new TextEncoder().encode(exportName)));
  const reply = await io.read(10 + (noZeroes ? 0 : 124));
  const dv = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  const size = dv.getBigUint64(0);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new NbdProtocolError(`export size ${size} is beyond what an export can hold`);
  }
  return { size: Number(size), transmissionFlags: dv.getUint16(8), blockSize: undefined };
}

/** Sent when we give up during option haggling: the polite way to leave (a soft disconnect). */
export function abortOption(): Uint8Array {
  return encodeOption(Opt.ABORT);
}
