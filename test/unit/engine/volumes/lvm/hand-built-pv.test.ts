import { describe, expect, it } from 'vitest';
import { listDiskVolumes } from '../../../../../src-main/engine/volumes/detect';
import { lvmCrc } from '../../../../../src-main/engine/volumes/lvm/pv-label';
import { MemoryReader } from '../memory-reader';

/**
 * Physical volumes built byte by byte from lvm2's on-disk layout (lib/format_text/layout.h,
 * lib/label/label.h): label in sector 1, one metadata area at 4 KiB whose text may wrap around
 * the ring buffer, extents from 1 MiB. Checks LV mapping independently of lvm2.
 */
const MiB = 1 << 20;
const PV_SIZE = 4 * MiB;
const MDA_OFFSET = 4096;
const MDA_SIZE = 64 * 1024;
const PE_START_SECTORS = 2048;
const EXTENT_SECTORS = 16; // 8 KiB extents keep the expected layout small
const EXTENT = EXTENT_SECTORS * 512;

function metadata(seqno: number): string {
  return `vg-hand {
id = "aaaaaa-bbbb-cccc-dddd-eeee-ffff-gggggg"
seqno = ${seqno}
extent_size = ${EXTENT_SECTORS}
physical_volumes {
pv0 {
id = "PV0uid-0000-0000-0000-0000-0000-000000"
pe_start = ${PE_START_SECTORS}
pe_count = 64
}
pv1 {
id = "PV1uid-1111-1111-1111-1111-1111-111111"
pe_start = ${PE_START_SECTORS}
pe_count = 64
}
}
logical_volumes {
root {
status = ["READ", "WRITE", "VISIBLE"]
segment_count = 2
segment1 {
start_extent = 0
extent_count = 3
type = "striped"
stripe_count = 1
stripes = ["pv0", 10]
}
segment2 {
start_extent = 3
extent_count = 2
type = "striped"
stripe_count = 1
stripes = ["pv1", 40]
}
}
data {
status = ["READ", "WRITE", "VISIBLE"]
segment_count = 1
segment1 {
start_extent = 0
extent_count = 4
type = "striped"
stripe_count = 2
stripe_size = 8
stripes = ["pv0", 20, "pv1", 0]
}
}
pool_tmeta {
status = ["READ", "WRITE"]
segment_count = 1
segment1 {
start_extent = 0
extent_count = 1
type = "striped"
stripe_count = 1
stripes = ["pv0", 30]
}
}
thin1 {
status = ["READ", "WRITE", "VISIBLE"]
segment_count = 1
segment1 {
start_extent = 0
extent_count = 4
type = "thin"
thin_pool = "pool"
}
}
}
}
contents = "Text Format Volume Group"
version = 1
`;
}

/** A PV whose data area is filled with a byte pattern unique to (pv, offset). */
function buildPv(uuid: string, seqno: number, textAt: number, fill: number): Uint8Array {
  const pv = new Uint8Array(PV_SIZE);
  const view = new DataView(pv.buffer);
  for (let i = PE_START_SECTORS * 512; i < PV_SIZE; i += 4)
    view.setUint32(i, (fill << 24) | (i >>> 2), true);
  const label = pv.subarray(512, 1024);
  label.set(Buffer.from('LABELONE'), 0);
  new DataView(label.buffer, label.byteOffset).setBigUint64(8, 1n, true);
  new DataView(label.buffer, label.byteOffset).setUint32(20, 32, true);
  label.set(Buffer.from('LVM2 001'), 24);
  label.set(Buffer.from(uuid), 32);
  const lv = new DataView(label.buffer, label.byteOffset);
  lv.setBigUint64(64, BigInt(PV_SIZE), true);
  lv.setBigUint64(72, BigInt(PE_START_SECTORS * 512), true); // data area
  lv.setBigUint64(88, 0n, true); // end of data areas
  lv.setBigUint64(104, BigInt(MDA_OFFSET), true); // metadata area
  lv.setBigUint64(112, BigInt(MDA_SIZE), true);
  lv.setUint32(16, lvmCrc(label.subarray(20)), true);

  const text = Buffer.from(metadata(seqno));
  const mda = pv.subarray(MDA_OFFSET, MDA_OFFSET + MDA_SIZE);
  const md = new DataView(mda.buffer, mda.byteOffset);
  mda.set(Buffer.from(' LVM2 x[5A%r0N*>'), 4);
  md.setUint32(20, 1, true);
  md.setBigUint64(24, BigInt(MDA_OFFSET), true);
  md.setBigUint64(32, BigInt(MDA_SIZE), true);
  md.setBigUint64(40, BigInt(textAt), true);
  md.setBigUint64(48, BigInt(text.length), true);
  md.setUint32(56, lvmCrc(text), true);
  // The ring buffer: text that does not fit before the end continues right after the header.
  const first = Math.min(text.length, MDA_SIZE - textAt);
  mda.set(text.subarray(0, first), textAt);
  mda.set(text.subarray(first), 512);
  md.setUint32(0, lvmCrc(mda.subarray(4, 512)), true);
  return pv;
}

describe('LVM physical volumes built from the spec', () => {
  const pv0 = buildPv('PV0uid00000000000000000000000000', 7, 512, 0xa0);
  // pv1 carries older metadata that wraps around the end of its ring buffer: the newer copy wins.
  const pv1 = buildPv('PV1uid11111111111111111111111111', 6, MDA_SIZE - 300, 0xb1);

  const extentOn = (pv: Uint8Array, extent: number, length = EXTENT): Uint8Array =>
    pv.subarray(
      PE_START_SECTORS * 512 + extent * EXTENT,
      PE_START_SECTORS * 512 + extent * EXTENT + length,
    );

  it('maps linear segments across PVs and striped chunks round-robin', async () => {
    const { volumes, warnings } = await listDiskVolumes([
      { name: 'vdb', reader: new MemoryReader(pv0) },
      { name: 'vdc', reader: new MemoryReader(pv1) },
    ]);
    expect(volumes.map((v) => [v.name, v.size])).toEqual([
      ['vdb', PV_SIZE],
      ['vdc', PV_SIZE],
      ['vg--hand-root', 5 * EXTENT],
      ['vg--hand-data', 4 * EXTENT],
    ]);
    expect(warnings).toEqual([
      'LVM volume vg-hand/thin1 uses segment type "thin", which Hyperkeep cannot read',
    ]);

    const root = volumes[2]!.reader;
    const expectedRoot = Buffer.concat([
      extentOn(pv0, 10, 3 * EXTENT),
      extentOn(pv1, 40, 2 * EXTENT),
    ]);
    expect(Buffer.from(await root.read(0, root.size)).equals(expectedRoot)).toBe(true);
    expect(
      Buffer.from(await root.read(3 * EXTENT - 5, 10)).equals(
        expectedRoot.subarray(3 * EXTENT - 5, 3 * EXTENT + 5),
      ),
    ).toBe(true);

    // 4 KiB chunks: 0 → pv0@20, 1 → pv1@0, 2 → pv0@20+4K, 3 → pv1@0+4K, …
    const data = volumes[3]!.reader;
    const chunk = 4096;
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < (4 * EXTENT) / chunk; i++) {
      const stripe = i % 2 === 0 ? extentOn(pv0, 20, 2 * EXTENT) : extentOn(pv1, 0, 2 * EXTENT);
      const row = Math.floor(i / 2);
      chunks.push(stripe.subarray(row * chunk, (row + 1) * chunk));
    }
    const expectedData = Buffer.concat(chunks);
    expect(Buffer.from(await data.read(0, data.size)).equals(expectedData)).toBe(true);
    expect(
      Buffer.from(await data.read(chunk - 3, 2 * chunk + 6)).equals(
        expectedData.subarray(chunk - 3, 3 * chunk + 3),
      ),
    ).toBe(true);
  });

  it('reports a damaged label instead of guessing', async () => {
    const broken = new Uint8Array(pv0);
    broken[512 + 40] = broken[512 + 40]! ^ 0xff; // inside the PV UUID: the label CRC no longer matches
    const { volumes, warnings } = await listDiskVolumes([
      { name: 'vdb', reader: new MemoryReader(broken) },
    ]);
    expect(volumes.map((v) => v.name)).toEqual(['vdb']);
    expect(warnings).toEqual(['LVM physical volume label on vdb: label CRC mismatch']);
  });
});
