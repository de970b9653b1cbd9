import { HyperkeepError } from '../../../../shared/errors';
import type { ConfigSection, ConfigValue } from './config-text';

/** A volume group as its metadata describes it (extents and offsets in 512-byte sectors). */
export interface VolumeGroup {
  name: string;
  id: string;
  seqno: number;
  extentSectors: number;
  /** By the metadata's PV key ("pv0"). */
  pvs: Map<string, { uuid: string; peStartSectors: number; peCount: number }>;
  lvs: LogicalVolume[];
}

export interface LogicalVolume {
  name: string;
  visible: boolean;
  segments: Segment[];
  extentCount: number;
}

export interface Segment {
  startExtent: number;
  extentCount: number;
  type: string;
  /** Sectors per stripe chunk; 0 for a linear segment. */
  stripeSectors: number;
  stripes: { pv: string; startExtent: number }[];
}

/** Segment types Hyperkeep can read: plain (linear/striped) mappings and the all-zero target. */
export const READABLE_SEGMENT_TYPES = new Set(['striped', 'linear', 'zero']);
const MAX_SEGMENTS = 65536;

function isSection(v: ConfigValue | undefined): v is ConfigSection {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Finds the VG section in parsed metadata text and checks every number it uses. */
export function volumeGroupOf(config: ConfigSection, source: string): VolumeGroup {
  const fail = (d: string): Error =>
    new HyperkeepError('INVALID_INPUT', `LVM metadata of ${source}: ${d}`);
  const entry = Object.entries(config).find(
    ([, v]) => isSection(v) && isSection(v['physical_volumes']),
  );
  if (entry === undefined) throw fail('no volume group section');
  const [name, vg] = entry as [string, ConfigSection];
  const int = (s: ConfigSection, key: string, where: string): number => {
    const v = s[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw fail(`${where}: ${key} missing or invalid`);
    return v;
  };
  const str = (s: ConfigSection, key: string): string => (typeof s[key] === 'string' ? s[key] : '');
  const extentSectors = int(vg, 'extent_size', name);
  if (extentSectors === 0) throw fail('extent_size is 0');

  const pvs = new Map<string, { uuid: string; peStartSectors: number; peCount: number }>();
  for (const [key, pv] of Object.entries(vg['physical_volumes'] as ConfigSection)) {
    if (!isSection(pv)) continue;
    const uuid = str(pv, 'id').replace(/-/g, '');
    pvs.set(key, {
      uuid,
      peStartSectors: int(pv, 'pe_start', key),
      peCount: int(pv, 'pe_count', key),
    });
  }

  const lvs: LogicalVolume[] = [];
  const lvSection = vg['logical_volumes'];
  for (const [lvName, lv] of Object.entries(isSection(lvSection) ? lvSection : {})) {
    if (!isSection(lv)) continue;
    const status = Array.isArray(lv['status']) ? lv['status'] : [];
    const segmentCount = int(lv, 'segment_count', lvName);
    if (segmentCount > MAX_SEGMENTS) throw fail(`${lvName}: ${segmentCount} segments`);
    const segments: Segment[] = [];
    for (let i = 1; i <= segmentCount; i++) {
      const seg = lv[`segment${i}`];
      if (!isSection(seg)) throw fail(`${lvName}: segment${i} missing`);
      const where = `${lvName} segment${i}`;
      const type = str(seg, 'type');
      const stripes: { pv: string; startExtent: number }[] = [];
      const list = seg['stripes'];
      if (type === 'striped' || type === 'linear') {
        if (!Array.isArray(list) || list.length === 0 || list.length % 2 !== 0)
          throw fail(`${where}: bad stripes list`);
        for (let s = 0; s < list.length; s += 2) {
          const pv = list[s];
          const start = list[s + 1];
          if (
            typeof pv !== 'string' ||
            typeof start !== 'number' ||
            !Number.isSafeInteger(start) ||
            start < 0
          ) {
            throw fail(`${where}: bad stripe ${s / 2}`);
          }
          stripes.push({ pv, startExtent: start });
        }
      }
      const stripeCount = stripes.length;
      const stripeSectors = stripeCount > 1 ? int(seg, 'stripe_size', where) : 0;
      if (stripeCount > 1 && stripeSectors === 0) throw fail(`${where}: stripe_size is 0`);
      const extentCount = int(seg, 'extent_count', where);
      if (stripeCount > 1 && extentCount % stripeCount !== 0) {
        throw fail(`${where}: ${extentCount} extents do not divide over ${stripeCount} stripes`);
      }
      segments.push({
        startExtent: int(seg, 'start_extent', where),
        extentCount,
        type,
        stripeSectors,
        stripes,
      });
    }
    segments.sort((a, b) => a.startExtent - b.startExtent);
    let next = 0;
    for (const s of segments) {
      if (s.startExtent !== next)
        throw fail(`${lvName}: segments leave a gap or overlap at extent ${next}`);
      next += s.extentCount;
    }
    lvs.push({ name: lvName, visible: status.includes('VISIBLE'), segments, extentCount: next });
  }
  return { name, id: str(vg, 'id'), seqno: int(vg, 'seqno', name), extentSectors, pvs, lvs };
}
