import { Blake3Hasher } from '@napi-rs/blake-hash';
import { ByteReader, ByteWriter, FormatError, fromHex, toHex } from './binary';
import {
  MAIN_THREAD_MODULES,
  compressAndSeal,
  openSealed,
  unpackPayloadSync,
  type SealParams,
} from './sealing';

/**
 * Pack file layout (all integers little-endian):
 *   "HKPACK01"                         8-byte magic
 *   blob 0 | blob 1 | …                each a sealed object (sealing.ts), AAD = the blob's id
 *   trailer                            sealed blob table, AAD = "pack-trailer"
 *   u32 trailer length | "HKPE"        footer, so the table is found from the end
 * A pack's id is the BLAKE3 hash of all its bytes: a pack can be checked for damage without keys.
 */
export const PACK_MAGIC = 'HKPACK01';
const FOOTER_MAGIC = 'HKPE';
const TABLE_MAGIC = 'HKBT';
export const FOOTER_BYTES = 8;
const ENTRY_BYTES = 32 + 1 + 4 + 4 + 4;
const TRAILER_AAD = Buffer.from('pack-trailer');

export const BlobType = {
  /** A chunk of disk data. */
  Data: 0,
  /** A disk map: a disk's chunk list and allocation map (disk-map.ts). */
  DiskMap: 1,
} as const;
export type BlobType = (typeof BlobType)[keyof typeof BlobType];

/** Where one blob sits in its pack. */
export interface BlobEntry {
  id: string;
  type: BlobType;
  offset: number;
  /** Sealed length in the pack. */
  length: number;
  /** Plaintext length before compression. */
  rawLength: number;
}

export function writeBlobEntries(w: ByteWriter, entries: readonly BlobEntry[]): void {
  w.u32(entries.length);
  for (const e of entries)
    w.bytes(fromHex(e.id)).u8(e.type).u32(e.offset).u32(e.length).u32(e.rawLength);
}

/** Reads a blob table and checks every entry lies inside [dataStart, dataEnd) of its pack. */
export function readBlobEntries(
  r: ByteReader,
  dataStart: number,
  dataEnd: number,
  where: string,
): BlobEntry[] {
  const n = r.count(ENTRY_BYTES, 'blob count');
  const out: BlobEntry[] = [];
  for (let i = 0; i < n; i++) {
    const id = toHex(r.bytes(32, 'blob id'));
    const type = r.u8('blob type') as BlobType;
    const offset = r.u32('blob offset');
    const length = r.u32('blob length');
    const rawLength = r.u32('blob raw length');
    if (type !== BlobType.Data && type !== BlobType.DiskMap)
      throw new FormatError(`${where}: blob ${id} has unknown type ${type}`);
    if (offset < dataStart || offset + length > dataEnd || length === 0) {
      throw new FormatError(
        `${where}: blob ${id} at ${offset}+${length} lies outside the pack's blob area ${dataStart}–${dataEnd}`,
      );
    }
    out.push({ id, type, offset, length, rawLength });
  }
  return out;
}

/** A finished pack: its id, its bytes as the pieces it was built from, and its blob table. */
export interface FinishedPack {
  id: string;
  /** Written one after the other (a 16 MiB concatenation cost ~30 ms of main-thread time). */
  parts: Uint8Array[];
  size: number;
  entries: BlobEntry[];
}

/**
 * Builds one pack in memory from sealed blobs. The pack id is hashed as blobs arrive, so that
 * finishing a pack does not stall the event loop for a whole pack's hash.
 */
export class PackBuilder {
  private readonly parts: Uint8Array[] = [Buffer.from(PACK_MAGIC, 'latin1')];
  private readonly entries: BlobEntry[] = [];
  private readonly hasher = new Blake3Hasher().update(this.parts[0]!);
  size = PACK_MAGIC.length;

  get blobCount(): number {
    return this.entries.length;
  }

  add(id: string, type: BlobType, sealed: Uint8Array, rawLength: number): void {
    this.entries.push({ id, type, offset: this.size, length: sealed.length, rawLength });
    this.parts.push(sealed);
    this.hasher.update(sealed);
    this.size += sealed.length;
  }

  /** Adds the blob table and footer; the builder is done after this. */
  finish(seal: SealParams): FinishedPack {
    const table = new ByteWriter();
    table.bytes(Buffer.from(TABLE_MAGIC, 'latin1')).u32(1);
    writeBlobEntries(table, this.entries);
    // Ids are random-looking: compressing the table gains nothing.
    const trailer = compressAndSeal(
      MAIN_THREAD_MODULES,
      { ...seal, level: 0 },
      TRAILER_AAD,
      table.finish(),
    );
    const footer = new ByteWriter()
      .u32(trailer.length)
      .bytes(Buffer.from(FOOTER_MAGIC, 'latin1'))
      .finish();
    const id = this.hasher.update(trailer).update(footer).digest('hex');
    return {
      id,
      parts: [...this.parts, trailer, footer],
      size: this.size + trailer.length + footer.length,
      entries: this.entries,
    };
  }
}

export function packIdOf(bytes: Uint8Array): string {
  return new Blake3Hasher().update(bytes).digest('hex');
}

/** Length of the sealed trailer from a pack's last FOOTER_BYTES bytes. */
export function parsePackFooter(footer: Uint8Array, packSize: number, where: string): number {
  const r = new ByteReader(footer, `footer of ${where}`);
  const trailerLength = r.u32('trailer length');
  r.expectMagic(FOOTER_MAGIC);
  if (trailerLength + FOOTER_BYTES + PACK_MAGIC.length > packSize) {
    throw new FormatError(
      `${where}: trailer length ${trailerLength} does not fit in a pack of ${packSize} bytes`,
    );
  }
  return trailerLength;
}

/** Opens and parses a pack's sealed trailer (the blob table). */
export function parsePackTrailer(
  trailer: Uint8Array,
  packSize: number,
  seal: SealParams,
  where: string,
): BlobEntry[] {
  const table = unpackPayloadSync(openSealed(seal, TRAILER_AAD, trailer), 64 * 1024 * 1024);
  const r = new ByteReader(table, `blob table of ${where}`);
  r.expectMagic(TABLE_MAGIC);
  const version = r.u32('version');
  if (version !== 1)
    throw new FormatError(`${where}: blob table version ${version} is not supported`);
  const dataEnd = packSize - FOOTER_BYTES - trailer.length;
  const entries = readBlobEntries(r, PACK_MAGIC.length, dataEnd, where);
  r.expectEnd();
  return entries;
}

/** Checks the magic at the start of a whole pack. */
export function checkPackHeader(bytes: Uint8Array, where: string): void {
  new ByteReader(bytes.subarray(0, PACK_MAGIC.length), where).expectMagic(PACK_MAGIC);
}
