import { describe, expect, it } from 'vitest';
import {
  encodePacket,
  MessageStatus,
  MessageType,
  PacketDecoder,
  REMOTE_PROGRAM,
  type PacketHeader,
} from '../../../../../src-main/engine/connectors/libvirt/packet';

const header = (serial: number, procedure = 66): PacketHeader => ({
  program: REMOTE_PROGRAM,
  version: 1,
  procedure,
  type: MessageType.CALL,
  serial,
  status: MessageStatus.OK,
});

describe('libvirt packet framing', () => {
  it('writes the length word (counting itself) and the six header fields big-endian', () => {
    const packet = encodePacket(header(7, 1), Buffer.from([0xaa, 0xbb, 0xcc, 0xdd]));
    expect(packet.length).toBe(32);
    expect(packet.toString('hex')).toBe(
      '00000020' +
        '20008086' +
        '00000001' +
        '00000001' +
        '00000000' +
        '00000007' +
        '00000000' +
        'aabbccdd',
    );
  });

  it('reassembles packets cut at every possible byte boundary', () => {
    const a = encodePacket(header(1), Buffer.from('first body!!'));
    const b = encodePacket(header(2, 59), Buffer.alloc(0));
    const stream = Buffer.concat([a, b]);
    for (let cut = 1; cut < stream.length; cut++) {
      const decoder = new PacketDecoder();
      const got = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(got.map((p) => p.header.serial)).toEqual([1, 2]);
      expect(got[0]!.body.toString()).toBe('first body!!');
      expect(got[1]!.header.procedure).toBe(59);
      expect(decoder.pending).toBe(0);
    }
  });

  it('delivers many packets from one chunk and keeps an incomplete tail', () => {
    const packets = Array.from({ length: 50 }, (_, i) => encodePacket(header(i + 1)));
    const whole = Buffer.concat(packets);
    const decoder = new PacketDecoder();
    expect(decoder.push(whole.subarray(0, whole.length - 3))).toHaveLength(49);
    expect(decoder.pending).toBe(25);
    expect(decoder.push(whole.subarray(whole.length - 3))[0]!.header.serial).toBe(50);
  });

  it('reassembles a large reply arriving in small chunks', () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 0x5a);
    const packet = encodePacket(header(9), body);
    const decoder = new PacketDecoder();
    const got = [];
    for (let off = 0; off < packet.length; off += 65536) {
      got.push(...decoder.push(packet.subarray(off, off + 65536)));
    }
    expect(got).toHaveLength(1);
    expect(got[0]!.body.equals(body)).toBe(true);
  });

  it('rejects a hostile length before waiting for (or allocating) its bytes', () => {
    const decoder = new PacketDecoder();
    expect(() => decoder.push(Buffer.from('7fffffff00000000', 'hex'))).toThrow(
      /2147483647 bytes, larger than the protocol's 16777216/,
    );
    expect(() => new PacketDecoder().push(Buffer.from('0000000800000000', 'hex'))).toThrow(
      /too short for a header/,
    );
  });

  it('says so when the peer answers in text, as an HTTP server would', () => {
    expect(() => new PacketDecoder().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toThrow(
      /answered with text \("HTTP\/1\.1 400 Bad/,
    );
  });

  it('refuses to build a packet beyond the protocol limit', () => {
    expect(() => encodePacket(header(1), Buffer.alloc(16 * 1024 * 1024))).toThrow(/exceeds/);
  });
});
