import {
  ascii,
  hasSignature,
  hex,
  invalidImage,
  safeNumber,
  u32be,
  u64beBig,
  utf16,
} from '../binary';
import type { RawImage } from '../raw/raw-image';

/** The VHD footer and dynamic disk header (Microsoft "Virtual Hard Disk Image Format Specification"). */
export interface VhdFooter {
  diskType: 'fixed' | 'dynamic' | 'differencing';
  currentSize: number;
  dataOffset: bigint;
  creatorApp: string;
}

export interface VhdDynamicHeader {
  tableOffset: number;
  maxTableEntries: number;
  blockSize: number;
  parentName: string;
  /** Parent locators as [platform code, decoded path]. */
  locators: { code: string; path: string }[];
}

const LABEL = 'vhd image';
const MAX_LOCATOR_BYTES = 64 * 1024;

/** One's complement of the byte sum, skipping the checksum field itself. */
export function vhdChecksum(b: Uint8Array, checksumAt: number): number {
  let sum = 0;
  for (let i = 0; i < b.length; i++) if (i < checksumAt || i >= checksumAt + 4) sum += b[i]!;
  return ~sum >>> 0;
}

/** Reads the footer from the end of the file, or the copy at the start when the end is damaged. */
export async function readVhdFooter(file: RawImage): Promise<VhdFooter> {
  const fail = (d: string): Error => invalidImage(LABEL, file.path, d);
  if (file.size < 512) throw fail('file too short for a VHD footer');
  const candidates = [await file.read(file.size - 512, 512), await file.read(0, 512)];
  let lastProblem = 'no "conectix" footer at the end or the start of the file';
  for (const f of candidates) {
    if (!hasSignature(f, 0, 'conectix')) continue;
    if (vhdChecksum(f, 64) !== u32be(f, 64)) {
      lastProblem = 'footer checksum mismatch';
      continue;
    }
    const type = u32be(f, 60);
    const diskType =
      type === 2 ? 'fixed' : type === 3 ? 'dynamic' : type === 4 ? 'differencing' : undefined;
    if (diskType === undefined) throw fail(`unknown disk type ${type}`);
    const currentSize = safeNumber(u64beBig(f, 48));
    if (currentSize === undefined) throw fail('disk size beyond 2^53 bytes');
    return { diskType, currentSize, dataOffset: u64beBig(f, 16), creatorApp: ascii(f, 28, 4) };
  }
  throw fail(lastProblem);
}

const PLATFORM_CODES: Record<number, string> = {
  0x57327275: 'W2ru',
  0x57326b75: 'W2ku',
  0x57693272: 'Wi2r',
  0x5769326b: 'Wi2k',
  0x4d616358: 'MacX',
  0x4d616320: 'Mac ',
};

export async function readVhdDynamicHeader(
  file: RawImage,
  footer: VhdFooter,
): Promise<VhdDynamicHeader> {
  const fail = (d: string): Error => invalidImage(LABEL, file.path, d);
  const at = safeNumber(footer.dataOffset);
  if (at === undefined || at + 1024 > file.size) {
    throw fail(`dynamic disk header offset ${hex(footer.dataOffset)} beyond end of file`);
  }
  const h = await file.read(at, 1024);
  if (!hasSignature(h, 0, 'cxsparse'))
    throw fail(`no "cxsparse" dynamic disk header at ${hex(at)}`);
  if (vhdChecksum(h, 36) !== u32be(h, 36)) throw fail('dynamic disk header checksum mismatch');
  const tableOffset = safeNumber(u64beBig(h, 16));
  if (tableOffset === undefined) throw fail('block allocation table offset beyond 2^53');
  const blockSize = u32be(h, 32);
  if (blockSize < 512 || blockSize % 512 !== 0 || blockSize > 256 * 1024 * 1024) {
    throw fail(`block size ${blockSize} is not a multiple of 512 up to 256 MiB`);
  }
  const locators: { code: string; path: string }[] = [];
  if (footer.diskType === 'differencing') {
    for (let i = 0; i < 8; i++) {
      const e = 576 + i * 24;
      const code = PLATFORM_CODES[u32be(h, e)];
      const length = u32be(h, e + 8);
      const offset = safeNumber(u64beBig(h, e + 16));
      if (code === undefined || length === 0) continue;
      if (offset === undefined || length > MAX_LOCATOR_BYTES || offset + length > file.size) {
        throw fail(`parent locator ${i} (${code}) lies beyond end of file`);
      }
      const data = await file.read(offset, length);
      const path =
        code === 'W2ru' || code === 'W2ku'
          ? utf16(data, 0, length, true)
          : decodeLocator(code, data);
      if (path !== '') locators.push({ code, path });
    }
  }
  return {
    tableOffset,
    maxTableEntries: u32be(h, 28),
    blockSize,
    parentName: utf16(h, 64, 512, false),
    locators,
  };
}

function decodeLocator(code: string, data: Uint8Array): string {
  const text = new TextDecoder().decode(data).replace(/\0.*$/s, '');
  // MacX locators are file URLs: file://localhost/Users/me/parent.vhd
  if (code === 'MacX') return decodeURIComponent(text.replace(/^file:\/\/[^/]*/, ''));
  return text;
}
