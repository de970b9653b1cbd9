import { ascii, hex, invalidImage, safeNumber, u32be, u64beBig } from '../binary';
import type { DiskFormat } from '../disk-image';
import type { RawImage } from '../raw/raw-image';

/** The parts of a qcow2 header (https://qemu.org/docs/interop/qcow2.html) a reader needs. */
export interface Qcow2Header {
  version: 2 | 3;
  clusterBits: number;
  virtualSize: number;
  l1Size: number;
  l1TableOffset: number;
  compressionType: 'zlib' | 'zstd';
  /** 128-bit L2 entries with 32 subclusters per cluster. */
  extendedL2: boolean;
  backingFile: string | undefined;
  backingFormat: DiskFormat | undefined;
  /** Bit 0 says the bitmaps extension is consistent; 0 for version 2 headers, which lack it. */
  autoclearFeatures: bigint;
  /** The bitmaps extension as stored, checked only when a bitmap is read (qcow2-bitmaps). */
  bitmapsExtension: Qcow2BitmapsExtension | undefined;
}

/** Header extension 0x23852875: where the bitmap directory is. */
export interface Qcow2BitmapsExtension {
  /** The extension's declared length; the specification says 24. */
  length: number;
  nbBitmaps: number;
  reserved: number;
  directorySize: bigint;
  directoryOffset: bigint;
}

export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

const INCOMPAT_DIRTY = 1n << 0n;
const INCOMPAT_CORRUPT = 1n << 1n;
const INCOMPAT_DATA_FILE = 1n << 2n;
const INCOMPAT_COMPRESSION = 1n << 3n;
const INCOMPAT_EXTL2 = 1n << 4n;
const KNOWN_INCOMPAT =
  INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;

const EXT_END = 0x00000000;
const EXT_BACKING_FORMAT = 0xe2792aca;
const EXT_FEATURE_NAMES = 0x6803f857;
const EXT_DATA_FILE = 0x44415441;
const EXT_BITMAPS = 0x23852875;
/** More header extensions than this is a broken (or hostile) header, not a real image. */
const MAX_EXTENSIONS = 256;
/** qemu refuses L1 tables above 32 MiB (QCOW_MAX_L1_SIZE); so do we. */
const MAX_L1_BYTES = 32 * 1024 * 1024;

const LABEL = 'qcow2 image';

export async function readQcow2Header(file: RawImage): Promise<Qcow2Header> {
  const fail = (detail: string): Error => invalidImage(LABEL, file.path, detail);
  if (file.size < 72) throw fail(`file is only ${file.size} bytes, too short for a qcow2 header`);
  const head = await file.read(0, Math.min(file.size, 112));
  if (u32be(head, 0) !== QCOW2_MAGIC) throw fail('no qcow2 magic at offset 0');
  const version = u32be(head, 4);
  if (version !== 2 && version !== 3) throw fail(`unsupported qcow2 version ${version}`);
  const clusterBits = u32be(head, 20);
  if (clusterBits < 9 || clusterBits > 21) throw fail(`cluster_bits ${clusterBits} outside 9..21`);
  const clusterSize = 2 ** clusterBits;
  const virtualSize = safeNumber(u64beBig(head, 24));
  if (virtualSize === undefined) throw fail('virtual size beyond 2^53 bytes');
  const cryptMethod = u32be(head, 32);
  if (cryptMethod !== 0) {
    const kind = cryptMethod === 1 ? 'AES' : cryptMethod === 2 ? 'LUKS' : `method ${cryptMethod}`;
    throw fail(
      `the image is encrypted (${kind}); Hyperkeep cannot read encrypted qcow2 images — ` +
        'decrypt it first with qemu-img convert',
    );
  }
  const l1Size = u32be(head, 36);
  const l1TableOffset = safeNumber(u64beBig(head, 40));
  if (l1TableOffset === undefined) throw fail('L1 table offset beyond 2^53');

  let incompatible = 0n;
  let autoclearFeatures = 0n;
  let headerLength = 72;
  let compressionType: 'zlib' | 'zstd' = 'zlib';
  if (version === 3) {
    if (head.length < 104) throw fail('version 3 header truncated');
    incompatible = u64beBig(head, 72);
    autoclearFeatures = u64beBig(head, 88);
    headerLength = u32be(head, 100);
    if (headerLength < 104 || headerLength > clusterSize || headerLength > file.size) {
      throw fail(`header_length ${headerLength} is not between 104 and the cluster size`);
    }
    if (incompatible & INCOMPAT_COMPRESSION) {
      if (headerLength < 105)
        throw fail('compression type bit set but header has no compression type');
      const type = head[104];
      if (type === 1) compressionType = 'zstd';
      else if (type !== 0) throw fail(`unknown compression type ${type}`);
    }
  }

  const extensionEnd = Math.min(clusterSize, file.size);
  const extensions = await file.read(0, extensionEnd);
  let backingFormat: string | undefined;
  let dataFile: string | undefined;
  let bitmapsExtension: Qcow2BitmapsExtension | undefined;
  const featureNames = new Map<number, string>();
  let at = headerLength;
  for (let n = 0; ; n++) {
    if (n >= MAX_EXTENSIONS) throw fail(`more than ${MAX_EXTENSIONS} header extensions`);
    if (at + 8 > extensionEnd) break; // v2 images may simply end the header area without an end marker
    const type = u32be(extensions, at);
    const length = u32be(extensions, at + 4);
    if (type === EXT_END) break;
    const dataAt = at + 8;
    if (dataAt + length > extensionEnd) {
      throw fail(`header extension ${hex(type)} at ${hex(at)} runs past the first cluster`);
    }
    if (type === EXT_BACKING_FORMAT) backingFormat = ascii(extensions, dataAt, length);
    if (type === EXT_DATA_FILE) dataFile = ascii(extensions, dataAt, length);
    if (type === EXT_BITMAPS) {
      // A short extension is kept as all zeros with its length: qcow2-bitmaps reports it.
      const full = length >= 24;
      bitmapsExtension = {
        length,
        nbBitmaps: full ? u32be(extensions, dataAt) : 0,
        reserved: full ? u32be(extensions, dataAt + 4) : 0,
        directorySize: full ? u64beBig(extensions, dataAt + 8) : 0n,
        directoryOffset: full ? u64beBig(extensions, dataAt + 16) : 0n,
      };
    }
    if (type === EXT_FEATURE_NAMES) {
      for (let e = dataAt; e + 48 <= dataAt + length; e += 48) {
        if (extensions[e] === 0)
          featureNames.set(extensions[e + 1]!, ascii(extensions, e + 2, 46).replace(/\0.*$/s, ''));
      }
    }
    at = dataAt + Math.ceil(length / 8) * 8;
  }

  if (incompatible & INCOMPAT_DATA_FILE) {
    throw fail(
      `the guest data lives in an external data file${dataFile ? ` (${dataFile})` : ''}; ` +
        'Hyperkeep reads only self-contained qcow2 images — back up the data file as a raw image',
    );
  }
  const unknown = incompatible & ~KNOWN_INCOMPAT;
  if (unknown !== 0n) {
    const bits: string[] = [];
    for (let b = 0; b < 64; b++) {
      if (unknown & (1n << BigInt(b))) bits.push(featureNames.get(b) ?? `bit ${b}`);
    }
    throw fail(`uses incompatible features Hyperkeep does not know: ${bits.join(', ')}`);
  }

  const extendedL2 = (incompatible & INCOMPAT_EXTL2) !== 0n;
  if (extendedL2 && clusterBits < 14)
    throw fail('extended L2 entries need clusters of at least 16 KiB');
  const l2Entries = clusterSize / (extendedL2 ? 16 : 8);
  const neededL1 = Math.ceil(virtualSize / (clusterSize * l2Entries));
  if (l1Size < neededL1)
    throw fail(`L1 table of ${l1Size} entries cannot map the ${virtualSize}-byte disk`);
  if (l1Size * 8 > MAX_L1_BYTES) throw fail(`L1 table of ${l1Size} entries is larger than 32 MiB`);
  if (l1Size > 0) {
    if (l1TableOffset % clusterSize !== 0)
      throw fail(`L1 table offset ${hex(l1TableOffset)} is not cluster aligned`);
    if (l1TableOffset + l1Size * 8 > file.size) {
      throw fail(`L1 table offset ${hex(l1TableOffset)} (${l1Size} entries) beyond end of file`);
    }
  }

  let backingFile: string | undefined;
  const backingOffset = safeNumber(u64beBig(head, 8));
  const backingSize = u32be(head, 16);
  if (backingOffset !== undefined && backingOffset !== 0 && backingSize > 0) {
    if (backingSize > 1023)
      throw fail(`backing file name of ${backingSize} bytes is longer than 1023`);
    if (backingOffset + backingSize > extensionEnd) {
      throw fail(`backing file name at ${hex(backingOffset)} lies outside the first cluster`);
    }
    backingFile = new TextDecoder().decode(
      extensions.subarray(backingOffset, backingOffset + backingSize),
    );
  } else if (backingOffset === undefined) {
    throw fail('backing file name offset beyond 2^53');
  }

  return {
    version,
    clusterBits,
    virtualSize,
    l1Size,
    l1TableOffset,
    compressionType,
    extendedL2,
    backingFile,
    backingFormat: backingFile === undefined ? undefined : knownBackingFormat(backingFormat, fail),
    autoclearFeatures,
    bitmapsExtension,
  };
}

function knownBackingFormat(
  name: string | undefined,
  fail: (d: string) => Error,
): DiskFormat | undefined {
  if (name === undefined || name === '') return undefined;
  const formats: Record<string, DiskFormat> = {
    raw: 'raw',
    qcow2: 'qcow2',
    vmdk: 'vmdk',
    vpc: 'vpc',
    vhdx: 'vhdx',
    vdi: 'vdi',
  };
  const format = formats[name];
  if (format === undefined) throw fail(`backing file format "${name}" is not one Hyperkeep reads`);
  return format;
}
