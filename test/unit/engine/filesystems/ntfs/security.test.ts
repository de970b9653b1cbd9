import { describe, expect, it } from 'vitest';
import {
  indexSecurityStream,
  summarizeSecurityDescriptor,
} from '../../../../../src-main/engine/filesystems/ntfs/security';

/** Binary SID: revision 1, authority (48-bit big-endian), little-endian sub-authorities. */
function sid(authority: number, ...subs: number[]): number[] {
  const out = [1, subs.length, 0, 0, 0, 0, 0, authority];
  for (const s of subs) out.push(s & 0xff, (s >> 8) & 0xff, (s >> 16) & 0xff, (s >>> 24) & 0xff);
  return out;
}

function le32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}

function descriptor(): Uint8Array {
  const owner = sid(5, 32, 544); // BUILTIN\Administrators
  const ace = (type: number, flags: number, mask: number, s: number[]): number[] => {
    const size = 8 + s.length;
    return [type, flags, size & 0xff, size >> 8, ...le32(mask), ...s];
  };
  const aces = [...ace(0, 0x03, 0x1f01ff, sid(5, 18)), ...ace(1, 0, 0x10000, sid(1, 0))];
  const acl = [2, 0, (8 + aces.length) & 0xff, 0, 2, 0, 0, 0, ...aces];
  const ownerAt = 20;
  const daclAt = ownerAt + owner.length;
  return Uint8Array.from([
    1,
    0,
    0x04,
    0x80,
    ...le32(ownerAt),
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    ...le32(daclAt),
    ...owner,
    ...acl,
  ]);
}

describe('NTFS security descriptors', () => {
  it('gives the owner SID and an SDDL-like DACL', () => {
    expect(summarizeSecurityDescriptor(descriptor(), 'test')).toEqual({
      owner: 'S-1-5-32-544',
      aclSummary: 'D:(A;OICI;0x001f01ff;;;SY)(D;;0x00010000;;;WD)',
    });
  });

  it('indexes $SDS entries by security id, skipping the mirror copy', () => {
    const sd = descriptor();
    const sds = new Uint8Array(512 * 1024 + 256);
    const entry = (at: number, id: number): void => {
      const v = new DataView(sds.buffer);
      v.setUint32(at + 4, id, true);
      v.setBigUint64(at + 8, BigInt(at), true);
      v.setUint32(at + 16, 20 + sd.length, true);
      sds.set(sd, at + 20);
    };
    entry(0, 256);
    entry(256 * 1024, 999); // lies in the mirror half: not a real entry
    entry(512 * 1024, 257);
    const index = indexSecurityStream(sds);
    expect([...index.keys()].sort()).toEqual([256, 257]);
    expect(summarizeSecurityDescriptor(index.get(257)!, 'test').owner).toBe('S-1-5-32-544');
  });
});
