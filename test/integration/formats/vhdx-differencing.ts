import { readFile, writeFile } from 'node:fs/promises';

/**
 * qemu cannot create differencing VHDX files (Hyper-V checkpoints, .avhdx). This turns a dynamic
 * VHDX that qemu wrote into one, following [MS-VHDX]: the HasParent file parameter, a parent
 * locator metadata item, and one block made PARTIALLY_PRESENT with a sector bitmap block saying
 * which of its sectors are the child's.
 */
const MiB = 1 << 20;
const METADATA_REGION = '8B7CA206-4790-4B9A-B8FE-575F050F886E';
const BAT_REGION = '2DC27766-F623-4200-9D64-115E9BFD4A08';
const FILE_PARAMETERS = 'CAA16737-FA36-4D43-B3B6-33F0AA44E76B';
const PARENT_LOCATOR = 'A8D35F2D-B30B-454D-ABF7-D3D84834AB0C';
const VHDX_LOCATOR_TYPE = 'B04AEFB7-D19E-4A81-B789-25B8E9445913';

function guidBytes(guid: string): Buffer {
  const h = guid.replace(/-/g, '');
  const b = Buffer.from(h, 'hex');
  // First three fields are little-endian on disk.
  return Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]);
}

function region(file: Buffer, guid: string): { offset: number; length: number } {
  const table = file.subarray(192 * 1024, 256 * 1024);
  const want = guidBytes(guid);
  for (let i = 0; i < table.readUInt32LE(8); i++) {
    const e = 16 + i * 32;
    if (table.subarray(e, e + 16).equals(want)) {
      return { offset: Number(table.readBigUInt64LE(e + 16)), length: table.readUInt32LE(e + 24) };
    }
  }
  throw new Error(`region ${guid} not found`);
}

/**
 * Makes `child` a differencing disk of the parent at `relativePath`. Block `partialBlock` keeps
 * only its first `childSectors` logical sectors; its other sectors come from the parent.
 */
export async function makeVhdxDifferencing(
  child: string,
  relativePath: string,
  partialBlock: number,
  childSectors: number,
): Promise<void> {
  let file = Buffer.from(await readFile(child));
  const meta = region(file, METADATA_REGION);
  const table = file.subarray(meta.offset, meta.offset + meta.length);
  const count = table.readUInt16LE(10);
  let blockSize = 0;
  let sectorSize = 512;
  for (let i = 0; i < count; i++) {
    const e = 32 + i * 32;
    const id = table.subarray(e, e + 16);
    const at = table.readUInt32LE(e + 16);
    if (id.equals(guidBytes(FILE_PARAMETERS))) {
      blockSize = table.readUInt32LE(at);
      table.writeUInt32LE(table.readUInt32LE(at + 4) | 2, at + 4); // HasParent
    }
    if (id.equals(guidBytes('8141BF1D-A96F-4709-BA47-F233A8FAAB5F')))
      sectorSize = table.readUInt32LE(at);
  }
  // The parent locator item, placed in the unused tail of the metadata region.
  const keys: [string, string][] = [
    ['parent_linkage', '{00000000-0000-0000-0000-000000000000}'],
    ['relative_path', relativePath],
  ];
  const header = 20 + keys.length * 12;
  const strings = keys.map(
    ([k, v]) => [Buffer.from(k, 'utf16le'), Buffer.from(v, 'utf16le')] as const,
  );
  const locator = Buffer.alloc(header + strings.reduce((n, [k, v]) => n + k.length + v.length, 0));
  guidBytes(VHDX_LOCATOR_TYPE).copy(locator, 0);
  locator.writeUInt16LE(keys.length, 18);
  let at = header;
  strings.forEach(([k, v], i) => {
    locator.writeUInt32LE(at, 20 + i * 12);
    k.copy(locator, at);
    at += k.length;
    locator.writeUInt32LE(at, 24 + i * 12);
    v.copy(locator, at);
    at += v.length;
    locator.writeUInt16LE(k.length, 28 + i * 12);
    locator.writeUInt16LE(v.length, 30 + i * 12);
  });
  const itemAt = meta.length - 64 * 1024;
  locator.copy(table, itemAt);
  const e = 32 + count * 32;
  guidBytes(PARENT_LOCATOR).copy(table, e);
  table.writeUInt32LE(itemAt, e + 16);
  table.writeUInt32LE(locator.length, e + 20);
  table.writeUInt32LE(4, e + 24); // IsRequired
  table.writeUInt16LE(count + 1, 10);

  // A sector bitmap block for chunk 0, appended at the next MiB boundary.
  const chunkRatio = (2 ** 23 * sectorSize) / blockSize;
  const bitmapAt = Math.ceil(file.length / MiB) * MiB;
  const bitmap = Buffer.alloc(MiB);
  const sectorsPerBlock = blockSize / sectorSize;
  for (let s = 0; s < childSectors; s++) {
    const bit = (partialBlock % chunkRatio) * sectorsPerBlock + s;
    bitmap[bit >> 3]! |= 1 << (bit & 7);
  }
  file = Buffer.concat([file, Buffer.alloc(bitmapAt - file.length), bitmap]);
  const bat = region(file, BAT_REGION);
  const entry = (i: number) => bat.offset + i * 8;
  // qemu marks never-written blocks ZERO, which would hide the parent; a new child has them NOT_PRESENT.
  for (let i = 0; i < chunkRatio; i++) {
    if (entry(i) + 8 > bat.offset + bat.length) break;
    if ((file.readBigUInt64LE(entry(i)) & 7n) === 2n) file.writeBigUInt64LE(0n, entry(i));
  }
  const payload = file.readBigUInt64LE(entry(partialBlock));
  file.writeBigUInt64LE((payload & ~7n) | 7n, entry(partialBlock)); // PARTIALLY_PRESENT
  file.writeBigUInt64LE((BigInt(bitmapAt / MiB) << 20n) | 6n, entry(chunkRatio)); // SB_BLOCK_PRESENT
  await writeFile(child, file);
}
