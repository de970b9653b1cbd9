import { ByteView } from '../binary';
import { decodeRunList, type Run } from './runlist';

export const ATTR = {
  standardInformation: 0x10,
  attributeList: 0x20,
  fileName: 0x30,
  securityDescriptor: 0x50,
  volumeName: 0x60,
  volumeInformation: 0x70,
  data: 0x80,
  indexRoot: 0x90,
  indexAllocation: 0xa0,
  reparsePoint: 0xc0,
} as const;

export const ATTR_FLAG = { compressed: 0x1, encrypted: 0x4000, sparse: 0x8000 } as const;
const RECORD_IN_USE = 0x1;
const RECORD_IS_DIRECTORY = 0x2;
/** Update sequence numbers protect every 512 bytes, whatever the sector size. */
const FIXUP_STRIDE = 512;

export interface Attribute {
  type: number;
  name: string;
  flags: number;
  /** Resident attributes carry their value; non-resident ones a run list. */
  value?: Uint8Array;
  lowestVcn: number;
  runs: Run[];
  compressionUnit: number;
  allocatedSize: number;
  dataSize: number;
  initializedSize: number;
  /** MFT record the attribute was read from (the base, or an extension via $ATTRIBUTE_LIST). */
  record: number;
}

export interface MftRecord {
  number: number;
  sequence: number;
  inUse: boolean;
  isDirectory: boolean;
  /** 0 for a base record; otherwise the base record this extension belongs to. */
  baseRecord: number;
  attributes: Attribute[];
}

/**
 * Undoes the update sequence protection in place: the last two bytes of every 512-byte stride
 * were replaced on write by a sequence number; a mismatch means a torn (half-written) record.
 */
export function applyFixups(bytes: Uint8Array, magic: string, what: string): ByteView {
  const v = new ByteView(bytes, 'NTFS', what);
  const found = v.ascii(0, 4);
  if (found !== magic) {
    throw v.fail(
      found === 'BAAD'
        ? 'was marked bad by chkdsk'
        : `has magic "${printable(found)}" instead of "${magic}"`,
    );
  }
  const usaOffset = v.u16(4);
  const usaCount = v.u16(6);
  if (usaCount - 1 !== bytes.length / FIXUP_STRIDE || usaOffset + usaCount * 2 > FIXUP_STRIDE) {
    throw v.fail(
      `has an update sequence of ${usaCount} entries at byte ${usaOffset} for ${bytes.length} bytes`,
    );
  }
  const usn = v.u16(usaOffset);
  for (let i = 1; i < usaCount; i++) {
    const end = i * FIXUP_STRIDE - 2;
    if (v.u16(end) !== usn) throw v.fail(`is torn: update sequence mismatch in its block ${i}`);
    bytes[end] = bytes[usaOffset + i * 2]!;
    bytes[end + 1] = bytes[usaOffset + i * 2 + 1]!;
  }
  return v;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

export function parseMftRecord(bytes: Uint8Array, number: number, clusterCount: number): MftRecord {
  const v = applyFixups(bytes, 'FILE', `MFT record ${number}`);
  const flags = v.u16(22);
  const bytesInUse = v.u32(24);
  if (bytesInUse > bytes.length)
    throw v.fail(`says ${bytesInUse} bytes are in use of ${bytes.length}`);
  const record: MftRecord = {
    number,
    sequence: v.u16(16),
    inUse: (flags & RECORD_IN_USE) !== 0,
    isDirectory: (flags & RECORD_IS_DIRECTORY) !== 0,
    baseRecord: Number(v.u64big(32) & 0xffffffffffffn),
    attributes: [],
  };
  let pos = v.u16(20);
  // Each attribute is at least 24 bytes long, so the loop is bounded by the record size.
  while (pos + 4 <= bytesInUse) {
    const type = v.u32(pos);
    if (type === 0xffffffff) break;
    const length = v.u32(pos + 4);
    if (length < 24 || length % 8 !== 0 || pos + length > bytesInUse) {
      throw v.fail(
        `has a broken attribute header at byte ${pos} (type 0x${type.toString(16)}, length ${length})`,
      );
    }
    record.attributes.push(
      parseAttribute(
        v.child(pos, length, `${v.structure} attribute 0x${type.toString(16)}`),
        number,
        clusterCount,
      ),
    );
    pos += length;
  }
  return record;
}

function parseAttribute(a: ByteView, record: number, clusterCount: number): Attribute {
  const nameLength = a.u8(9);
  const name = nameLength > 0 ? a.utf16(a.u16(10), nameLength) : '';
  const attribute: Attribute = {
    type: a.u32(0),
    name,
    flags: a.u16(12),
    lowestVcn: 0,
    runs: [],
    compressionUnit: 0,
    allocatedSize: 0,
    dataSize: 0,
    initializedSize: 0,
    record,
  };
  if (a.u8(8) === 0) {
    const valueLength = a.u32(16);
    const valueOffset = a.u16(20);
    attribute.value = a.sub(valueOffset, valueLength);
    attribute.dataSize = attribute.initializedSize = attribute.allocatedSize = valueLength;
    return attribute;
  }
  if (a.length < 64) throw a.fail(`is non-resident but only ${a.length} bytes long`);
  attribute.lowestVcn = a.u64(16, 'lowest VCN');
  // An empty non-resident attribute stores highest VCN -1.
  const highestVcn = a.u64big(24) === 0xffffffffffffffffn ? -1 : a.u64(24, 'highest VCN');
  attribute.compressionUnit = a.u8(34);
  attribute.allocatedSize = a.u64(40, 'allocated size');
  attribute.dataSize = a.u64(48, 'data size');
  attribute.initializedSize = a.u64(56, 'initialized size');
  attribute.runs = decodeRunList(a, a.u16(32), a.length, attribute.lowestVcn, clusterCount);
  const last = attribute.runs[attribute.runs.length - 1];
  if (last && last.vcn + last.length - 1 > highestVcn) {
    throw a.fail(`has runs past its highest VCN ${highestVcn}`);
  }
  return attribute;
}

/** Reads an attribute list value: which attributes of the file live in which MFT records. */
export function parseAttributeList(
  bytes: Uint8Array,
  record: number,
): { type: number; record: number }[] {
  const v = new ByteView(bytes, 'NTFS', `attribute list of MFT record ${record}`);
  const out: { type: number; record: number }[] = [];
  let pos = 0;
  while (pos + 26 <= bytes.length) {
    const length = v.u16(pos + 4);
    if (length < 26 || pos + length > bytes.length) {
      throw v.fail(`has a broken entry at byte ${pos} (length ${length})`);
    }
    out.push({ type: v.u32(pos), record: Number(v.u64big(pos + 16) & 0xffffffffffffn) });
    pos += (length + 7) & ~7;
  }
  return out;
}
