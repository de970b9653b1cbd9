import { describe, expect, it } from 'vitest';
import {
  XdrError,
  XdrReader,
  XdrWriter,
} from '../../../../../src-main/engine/connectors/libvirt/xdr';

describe('XDR round trips', () => {
  it('encodes every primitive as big-endian 4-byte units and reads it back', () => {
    const w = new XdrWriter(4); // tiny start: growth must preserve earlier bytes
    w.int(-2)
      .uint(0xfedc_ba98)
      .hyper(-5n)
      .uhyper(2n ** 64n - 1n)
      .bool(true)
      .string('héllo', 100)
      .fixedOpaque(Buffer.from([1, 2, 3]), 3)
      .opaque(Buffer.from([9, 8, 7, 6, 5]), 10)
      .optional('present', (x, v) => x.string(v, 20))
      .optional<string>(null, (x, v) => x.string(v, 20))
      .array([1, 2, 3], 5, (x, v) => x.int(v));
    const buf = w.toBuffer();
    expect(buf.length % 4).toBe(0);
    expect(buf.subarray(0, 8).toString('hex')).toBe('fffffffefedcba98');

    const r = new XdrReader(buf);
    expect(r.int()).toBe(-2);
    expect(r.uint()).toBe(0xfedc_ba98);
    expect(r.hyper()).toBe(-5n);
    expect(r.uhyper()).toBe(2n ** 64n - 1n);
    expect(r.bool()).toBe(true);
    expect(r.string(100)).toBe('héllo');
    expect([...r.fixedOpaque(3)]).toEqual([1, 2, 3]);
    expect([...r.opaque(10)]).toEqual([9, 8, 7, 6, 5]);
    expect(r.optional((x) => x.string(20))).toBe('present');
    expect(r.optional((x) => x.string(20))).toBeNull();
    expect(r.array(5, (x) => x.int())).toEqual([1, 2, 3]);
    r.end();
  });

  it('pads strings and opaques with zero bytes to a multiple of four', () => {
    const buf = new XdrWriter().string('abcde', 10).toBuffer();
    expect(buf.toString('hex')).toBe('00000005' + '6162636465' + '000000');
  });

  it('refuses to encode values that do not fit their XDR type or limit', () => {
    expect(() => new XdrWriter().int(2 ** 31)).toThrow(XdrError);
    expect(() => new XdrWriter().uint(-1)).toThrow(XdrError);
    expect(() => new XdrWriter().uhyper(-1n)).toThrow(XdrError);
    expect(() => new XdrWriter().string('x'.repeat(11), 10)).toThrow(/exceeds 10/);
    expect(() => new XdrWriter().array([1, 2], 1, (x, v) => x.int(v))).toThrow(XdrError);
    expect(() => new XdrWriter().fixedOpaque(Buffer.alloc(15), 16)).toThrow(/16 bytes/);
  });

  it('converts unsigned hypers to numbers only when exact', () => {
    const big = new XdrWriter().uhyper(2n ** 53n + 1n).toBuffer();
    expect(() => new XdrReader(big, 'reply').uhyperNumber('capacity')).toThrow(/capacity/);
    const ok = new XdrWriter().uhyper(2n ** 40n).toBuffer();
    expect(new XdrReader(ok).uhyperNumber()).toBe(2 ** 40);
  });
});

describe('XDR hostile input', () => {
  it('rejects a string length beyond its limit before allocating anything', () => {
    // Claims 4 GiB - 1 bytes; the reader must not try to honour it.
    const buf = Buffer.from('ffffffff', 'hex');
    expect(() => new XdrReader(buf, 'reply to X').string(4 * 1024 * 1024, 'xml')).toThrow(
      /reply to X: xml length 4294967295 exceeds its limit of 4194304/,
    );
  });

  it('rejects a length within the limit but beyond the bytes actually sent', () => {
    const buf = Buffer.concat([Buffer.from('00100000', 'hex'), Buffer.alloc(8)]);
    expect(() => new XdrReader(buf, 'reply').opaque(4 * 1024 * 1024)).toThrow(/truncated/);
  });

  it('rejects an array count the remaining bytes cannot possibly hold', () => {
    const buf = Buffer.concat([Buffer.from('00003fff', 'hex'), Buffer.alloc(16)]);
    let reads = 0;
    expect(() =>
      new XdrReader(buf, 'domain list').array(16384, (x) => {
        reads++;
        return x.int();
      }),
    ).toThrow(/claims 16383 items but only 16 bytes are left/);
    expect(reads).toBe(0);
  });

  it('rejects a bool that is neither 0 nor 1 and trailing garbage', () => {
    expect(() => new XdrReader(Buffer.from('00000002', 'hex')).bool()).toThrow(/boolean/);
    const r = new XdrReader(Buffer.from('0000000100000000', 'hex'), 'reply to Y');
    r.int();
    expect(() => r.end()).toThrow(/reply to Y has 4 unexpected trailing bytes/);
  });

  it('reports truncation of fixed-size fields with the structure name', () => {
    expect(() => new XdrReader(Buffer.alloc(6), 'node info').hyper()).toThrow(
      /node info is truncated: hyper needs 8 bytes at offset 0, only 6 left/,
    );
    expect(() => new XdrReader(Buffer.alloc(8)).fixedArray(32, (x) => x.int())).toThrow(
      /truncated/,
    );
  });
});
