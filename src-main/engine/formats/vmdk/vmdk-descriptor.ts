import { invalidImage } from '../binary';

/** One extent line: `RW 4192256 SPARSE "disk-s001.vmdk"` or `RW 2048 FLAT "disk-flat.vmdk" 0`. */
export interface VmdkExtentLine {
  access: 'RW' | 'RDONLY' | 'NOACCESS';
  sectors: number;
  type: string;
  file: string | undefined;
  /** Start of the extent's data inside a flat file, in sectors. */
  offsetSectors: number;
}

export interface VmdkDescriptor {
  createType: string;
  cid: string | undefined;
  parentCid: string | undefined;
  parentFileNameHint: string | undefined;
  extents: VmdkExtentLine[];
}

/** A descriptor larger than this is not a VMDK descriptor (real ones are a few hundred bytes). */
export const MAX_DESCRIPTOR_BYTES = 1024 * 1024;
/** 2 TiB split into 2 GiB extents gives 1024 lines; far more is a broken descriptor. */
const MAX_EXTENTS = 65536;

const EXTENT_LINE =
  /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Z]+)(?:\s+"((?:[^"\\]|\\.)*)"(?:\s+(\d+))?)?\s*$/;

/** Parses the text descriptor of a VMDK (a separate file or embedded in a sparse extent). */
export function parseVmdkDescriptor(text: string, path: string): VmdkDescriptor {
  const fail = (detail: string): Error => invalidImage('vmdk descriptor', path, detail);
  const values = new Map<string, string>();
  const extents: VmdkExtentLine[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\0.*$/s, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const extent = EXTENT_LINE.exec(line);
    if (extent) {
      if (extents.length >= MAX_EXTENTS) throw fail(`more than ${MAX_EXTENTS} extents`);
      const sectors = Number(extent[2]);
      const offsetSectors = Number(extent[5] ?? '0');
      if (!Number.isSafeInteger(sectors * 512) || !Number.isSafeInteger(offsetSectors * 512)) {
        throw fail(`line ${i + 1}: extent size or offset too large`);
      }
      extents.push({
        access: extent[1] as VmdkExtentLine['access'],
        sectors,
        type: extent[3]!,
        file: extent[4],
        offsetSectors,
      });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) {
      const key = line.slice(0, eq).trim();
      const value = line
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/s, '$1');
      values.set(key, value);
    }
  }
  if (extents.length === 0) throw fail('no extent lines');
  const createType = values.get('createType');
  if (createType === undefined) throw fail('no createType');
  const parentCid = values.get('parentCID');
  return {
    createType,
    cid: values.get('CID'),
    parentCid,
    parentFileNameHint:
      parentCid !== undefined && parentCid.toLowerCase() !== 'ffffffff'
        ? values.get('parentFileNameHint')
        : undefined,
    extents,
  };
}

/** Whether the start of a file looks like a text VMDK descriptor. */
export function looksLikeVmdkDescriptor(head: Uint8Array): boolean {
  const text = new TextDecoder('latin1').decode(head.subarray(0, Math.min(head.length, 4096)));
  return (
    /^\s*#\s*Disk DescriptorFile/i.test(text) ||
    (/createType\s*=/.test(text) && /\n(RW|RDONLY)\s+\d+/.test(text))
  );
}
