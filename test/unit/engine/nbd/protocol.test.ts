import { describe, expect, it } from 'vitest';
import {
  NbdProtocolError,
  REQUEST_MAGIC,
  ReplyType,
  checkChunkLength,
  encodeMetaContextData,
  encodeRequest,
  parseBlockStatusChunk,
  parseErrorChunk,
  parseGreeting,
  parseHoleChunk,
  parseInfoReply,
  parseOptionReplyHeader,
  parseReplyHeader,
  parseServerReply,
} from '../../../../src-main/engine/nbd/protocol';

function bytes(...parts: (number[] | Buffer)[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
}
function be(value: bigint | number, size: 2 | 4 | 8): Buffer {
  const b = Buffer.alloc(size);
  if (size === 2) b.writeUInt16BE(Number(value));
  else if (size === 4) b.writeUInt32BE(Number(value));
  else b.writeBigUInt64BE(BigInt(value));
  return b;
}

describe('NBD handshake parsing', () => {
  it('accepts a fixed newstyle greeting and refuses everything else by name', () => {
    expect(parseGreeting(bytes(Buffer.from('NBDMAGICIHAVEOPT'), be(3, 2))).handshakeFlags).toBe(3);
    expect(() => parseGreeting(bytes(Buffer.from('SSH-2.0-OpenSSH_9'), [0]))).toThrow(
      /not an NBD server/,
    );
    expect(() =>
      parseGreeting(bytes(Buffer.from('NBDMAGIC'), be(0x00420281861253n, 8), be(0, 2))),
    ).toThrow(/oldstyle/);
    expect(() => parseGreeting(bytes(Buffer.from('NBDMAGICIHAVEOPT'), be(0, 2)))).toThrow(
      /fixed newstyle/,
    );
  });

  it('caps option reply lengths and checks the option echoed back', () => {
    const header = (option: number, length: number) =>
      bytes(be(0x3e889045565a9n, 8), be(option, 4), be(1, 4), be(length, 4));
    expect(parseOptionReplyHeader(header(7, 100), 7)).toEqual({
      option: 7,
      replyType: 1,
      length: 100,
    });
    expect(() => parseOptionReplyHeader(header(7, 0xffff_ffff), 7)).toThrow(
      /exceeds the 65536-byte limit/,
    );
    expect(() => parseOptionReplyHeader(header(8, 0), 7)).toThrow(/reply for option 8, expected 7/);
  });

  it('parses export and block size info, refusing impossible values', () => {
    expect(parseInfoReply(bytes(be(0, 2), be(1 << 30, 8), be(3, 2)))).toEqual({
      kind: 'export',
      size: 1 << 30,
      flags: 3,
    });
    expect(() => parseInfoReply(bytes(be(0, 2), be(2n ** 63n, 8), be(3, 2)))).toThrow(
      /beyond what an export/,
    );
    expect(parseInfoReply(bytes(be(3, 2), be(512, 4), be(4096, 4), be(32 << 20, 4)))).toMatchObject(
      {
        kind: 'block-size',
        minimum: 512,
      },
    );
    expect(() => parseInfoReply(bytes(be(3, 2), be(3, 4), be(4096, 4), be(65536, 4)))).toThrow(
      /invalid sizes/,
    );
    expect(() => parseInfoReply(bytes(be(3, 2), be(4096, 4), be(4096, 4), be(512, 4)))).toThrow(
      /below minimum/,
    );
    expect(() => parseInfoReply(bytes(be(0, 2), [1, 2]))).toThrow(/not 12 bytes/);
  });

  it('keeps an export name inside its NBD_REP_SERVER reply', () => {
    expect(parseServerReply(bytes(be(3, 4), Buffer.from('vdadescription')))).toBe('vda');
    expect(() => parseServerReply(bytes(be(1000, 4), Buffer.from('vda')))).toThrow(
      /runs past the reply/,
    );
  });

  it('encodes SET_META_CONTEXT as export name then counted queries', () => {
    const data = Buffer.from(
      encodeMetaContextData('vda', ['base:allocation', 'qemu:dirty-bitmap:b0']),
    );
    expect(data.readUInt32BE(0)).toBe(3);
    expect(data.subarray(4, 7).toString()).toBe('vda');
    expect(data.readUInt32BE(7)).toBe(2);
    expect(data.readUInt32BE(11)).toBe(15);
    expect(data.subarray(15, 30).toString()).toBe('base:allocation');
    expect(data.length).toBe(4 + 3 + 4 + 4 + 15 + 4 + 20);
  });
});

describe('NBD transmission parsing', () => {
  it('lays out a request header as the spec says', () => {
    const req = Buffer.from(encodeRequest(0, 0, 0x0102030405060708n, 2 ** 40, 4096));
    expect(req.readUInt32BE(0)).toBe(REQUEST_MAGIC);
    expect(req.readUInt16BE(6)).toBe(0);
    expect(req.readBigUInt64BE(8)).toBe(0x0102030405060708n);
    expect(req.readBigUInt64BE(16)).toBe(2n ** 40n);
    expect(req.readUInt32BE(24)).toBe(4096);
  });

  it('tells simple from structured replies and rejects unknown magic', () => {
    expect(parseReplyHeader(bytes(be(0x67446698, 4), be(5, 4), be(9, 8)))).toEqual({
      kind: 'simple',
      error: 5,
      handle: 9n,
    });
    expect(
      parseReplyHeader(bytes(be(0x668e33ef, 4), be(1, 2), be(2, 2), be(9, 8), be(12, 4))),
    ).toEqual({
      kind: 'structured',
      flags: 1,
      type: 2,
      handle: 9n,
      length: 12,
    });
    expect(() => parseReplyHeader(bytes(be(0xdeadbeef, 4), be(0, 4), be(0, 8)))).toThrow(
      /bad reply magic 0xdeadbeef/,
    );
  });

  it('checks every chunk length against what the request can receive', () => {
    const ok =
      (type: number, length: number, req = 4096) =>
      () =>
        checkChunkLength(type, length, req);
    expect(ok(ReplyType.OFFSET_DATA, 8 + 4096)).not.toThrow();
    expect(ok(ReplyType.OFFSET_DATA, 8 + 4097)).toThrow(NbdProtocolError);
    expect(ok(ReplyType.OFFSET_DATA, 0xffff_ffff)).toThrow(
      /more data than the 4096 bytes requested/,
    );
    expect(ok(ReplyType.OFFSET_DATA, 8)).toThrow(/shorter than 9/);
    expect(ok(ReplyType.OFFSET_HOLE, 13)).toThrow(/must be 12/);
    expect(ok(ReplyType.NONE, 1)).toThrow(/must be empty/);
    expect(ok(ReplyType.BLOCK_STATUS, 4 + 8 * 3)).not.toThrow();
    expect(ok(ReplyType.BLOCK_STATUS, 4 + 8 * 3 + 1)).toThrow(/4 \+ 8n/);
    expect(ok(ReplyType.BLOCK_STATUS, 4 + 8 * 2 ** 24)).toThrow(
      /too many block status descriptors/,
    );
    expect(ok(ReplyType.ERROR, 0xffff_ffff)).toThrow(/longer than a message can be/);
    expect(ok(0x8007, 6)).not.toThrow(); // unknown error types are still errors, not violations
    expect(ok(42, 0)).toThrow(/unknown chunk type/);
  });

  it('parses error chunks with and without offset, bounded by the chunk', () => {
    const text = Buffer.from('no medium');
    expect(parseErrorChunk(ReplyType.ERROR, bytes(be(5, 4), be(text.length, 2), text))).toEqual({
      errno: 5,
      message: 'no medium',
      offset: undefined,
    });
    expect(
      parseErrorChunk(ReplyType.ERROR_OFFSET, bytes(be(22, 4), be(0, 2), be(8192, 8))),
    ).toEqual({ errno: 22, message: '', offset: 8192 });
    expect(() => parseErrorChunk(ReplyType.ERROR_OFFSET, bytes(be(22, 4), be(4, 2), text))).toThrow(
      /runs past the chunk/,
    );
  });

  it('refuses empty holes', () => {
    expect(parseHoleChunk(bytes(be(4096, 8), be(512, 4)))).toEqual({ offset: 4096, length: 512 });
    expect(() => parseHoleChunk(bytes(be(4096, 8), be(0, 4)))).toThrow(/zero bytes/);
  });

  it('turns block status descriptors into extents, clipped to the request', () => {
    const payload = bytes(
      be(1, 4),
      be(4096, 4),
      be(0, 4),
      be(0xffff_fe00, 4),
      be(3, 4),
      be(512, 4),
      be(0, 4),
    );
    expect(parseBlockStatusChunk(payload, 1 << 20, 65536)).toEqual({
      contextId: 1,
      extents: [
        { offset: 1 << 20, length: 4096, flags: 0 },
        { offset: (1 << 20) + 4096, length: 65536 - 4096, flags: 3 },
      ],
    });
    expect(() => parseBlockStatusChunk(bytes(be(1, 4), be(0, 4), be(0, 4)), 0, 4096)).toThrow(
      /zero length/,
    );
  });
});
