import { ByteView } from '../binary';

export interface SecuritySummary {
  owner?: string;
  aclSummary?: string;
}

const SE_DACL_PRESENT = 0x4;
const MAX_ACES_SHOWN = 32;
/** SDDL's short names for the SIDs every Windows volume is full of. */
const WELL_KNOWN: Record<string, string> = {
  'S-1-1-0': 'WD',
  'S-1-3-0': 'CO',
  'S-1-5-11': 'AU',
  'S-1-5-18': 'SY',
  'S-1-5-32-544': 'BA',
  'S-1-5-32-545': 'BU',
};
const ACE_TYPE: Record<number, string> = { 0: 'A', 1: 'D', 2: 'AU', 5: 'OA', 6: 'OD', 7: 'OU' };
const ACE_FLAGS: [number, string][] = [
  [0x1, 'OI'],
  [0x2, 'CI'],
  [0x4, 'NP'],
  [0x8, 'IO'],
  [0x10, 'ID'],
];

/** Owner SID and an SDDL-like rendering of the DACL of a self-relative security descriptor. */
export function summarizeSecurityDescriptor(bytes: Uint8Array, what: string): SecuritySummary {
  const v = new ByteView(bytes, 'NTFS', what);
  if (v.u8(0) !== 1) throw v.fail(`has security descriptor revision ${v.u8(0)}`);
  const control = v.u16(2);
  const ownerOffset = v.u32(4);
  const daclOffset = v.u32(16);
  const out: SecuritySummary = {};
  if (ownerOffset !== 0) out.owner = readSid(v, ownerOffset);
  if ((control & SE_DACL_PRESENT) !== 0) {
    out.aclSummary = daclOffset === 0 ? 'D:NO_ACCESS_CONTROL' : `D:${summarizeAcl(v, daclOffset)}`;
  }
  return out;
}

function summarizeAcl(v: ByteView, at: number): string {
  const aclSize = v.u16(at + 2);
  const count = v.u16(at + 4);
  const end = at + aclSize;
  if (end > v.length) throw v.fail(`has an ACL of ${aclSize} bytes past its end`);
  const parts: string[] = [];
  let pos = at + 8;
  for (let i = 0; i < count && pos + 8 <= end; i++) {
    const type = v.u8(pos);
    const flags = v.u8(pos + 1);
    const size = v.u16(pos + 2);
    if (size < 8 || pos + size > end) throw v.fail(`has a broken ACE at byte ${pos}`);
    if (parts.length < MAX_ACES_SHOWN) parts.push(renderAce(v, pos, type, flags, size));
    pos += size;
  }
  if (count > MAX_ACES_SHOWN) parts.push(`(+${count - MAX_ACES_SHOWN} more)`);
  return parts.join('');
}

function renderAce(v: ByteView, at: number, type: number, flags: number, size: number): string {
  const mask = v.u32(at + 4);
  let sidAt = at + 8;
  const objectAce = type >= 5 && type <= 8;
  if (objectAce) {
    // Object ACEs: a flags word says which of the two GUIDs precede the SID.
    const objectFlags = v.u32(at + 8);
    sidAt = at + 12 + (objectFlags & 1 ? 16 : 0) + (objectFlags & 2 ? 16 : 0);
  }
  const sid = sidAt < at + size ? readSid(v, sidAt) : '?';
  const flagText = ACE_FLAGS.filter(([bit]) => (flags & bit) !== 0)
    .map(([, name]) => name)
    .join('');
  const typeText = ACE_TYPE[type] ?? `0x${type.toString(16)}`;
  return `(${typeText};${flagText};0x${mask.toString(16).padStart(8, '0')};;;${WELL_KNOWN[sid] ?? sid})`;
}

/** S-R-I-S-S… text form of a binary SID. */
function readSid(v: ByteView, at: number): string {
  const revision = v.u8(at);
  const subCount = v.u8(at + 1);
  if (subCount > 15) throw v.fail(`has a SID with ${subCount} sub-authorities at byte ${at}`);
  let authority = 0;
  for (let i = 0; i < 6; i++) authority = authority * 256 + v.u8(at + 2 + i);
  const parts = [`S-${revision}-${authority}`];
  for (let i = 0; i < subCount; i++) parts.push(String(v.u32(at + 8 + i * 4)));
  return parts.join('-');
}

/** $Secure:$SDS is written in 256 KiB blocks, each followed by its mirror copy. */
const SDS_BLOCK = 256 * 1024;
const SDS_HEADER = 20;

/** Indexes $Secure:$SDS: security id → the descriptor bytes. */
export function indexSecurityStream(sds: Uint8Array): Map<number, Uint8Array> {
  const v = new ByteView(sds, 'NTFS', '$Secure:$SDS');
  const map = new Map<number, Uint8Array>();
  for (let block = 0; block < sds.length; block += 2 * SDS_BLOCK) {
    const blockEnd = Math.min(sds.length, block + SDS_BLOCK);
    let pos = block;
    // Entries are 16-byte aligned and at least 20 bytes: at most SDS_BLOCK / 32 per block.
    while (pos + SDS_HEADER <= blockEnd) {
      const id = v.u32(pos + 4);
      const offset = v.u64big(pos + 8);
      const length = v.u32(pos + 16);
      if (length < SDS_HEADER || offset !== BigInt(pos) || pos + length > blockEnd) break;
      if (!map.has(id)) map.set(id, sds.subarray(pos + SDS_HEADER, pos + length));
      pos += (length + 15) & ~15;
    }
  }
  return map;
}
