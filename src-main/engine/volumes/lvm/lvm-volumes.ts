import { HyperkeepError } from '../../../../shared/errors';
import type { RandomAccessReader } from '../../io/random-access';
import { parseConfigText } from './config-text';
import { LogicalVolumeReader } from './logical-volume-reader';
import { readMetadataText, readPvLabel } from './pv-label';
import { READABLE_SEGMENT_TYPES, volumeGroupOf, type VolumeGroup } from './volume-group';

/** A partition or disk that may be an LVM physical volume. */
export interface PvCandidate {
  name: string;
  reader: RandomAccessReader;
}

export interface FoundLogicalVolume {
  /** Device-mapper name, as /dev/mapper shows it: "vg0-root", "my--vg-data". */
  name: string;
  vgName: string;
  lvName: string;
  reader: LogicalVolumeReader;
  /** The PV candidates (partitions, disks) the LV's extents live on. */
  pvNames: string[];
}

export interface LvmScan {
  volumes: FoundLogicalVolume[];
  warnings: string[];
}

/** /dev/mapper names double the dashes inside VG and LV names so the separator stays unique. */
export function deviceMapperName(vg: string, lv: string): string {
  return `${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`;
}

/**
 * Finds volume groups on the given candidates and the logical volumes that can be read: visible,
 * made of linear/striped/zero segments, with every PV they use present among the candidates
 * (a VG may span several disks of a VM, so callers pass all of them at once).
 */
export async function scanLvm(candidates: PvCandidate[]): Promise<LvmScan> {
  const warnings: string[] = [];
  const byUuid = new Map<string, PvCandidate>();
  const groups = new Map<string, VolumeGroup>();
  for (const c of candidates) {
    let label;
    try {
      label = await readPvLabel(c.reader, c.name);
    } catch (err) {
      warnings.push(messageOf(err));
      continue;
    }
    if (label === undefined) continue;
    byUuid.set(label.pvUuid, c);
    for (const area of label.metadataAreas) {
      try {
        const text = await readMetadataText(c.reader, c.name, area);
        if (text === undefined) continue;
        const vg = volumeGroupOf(parseConfigText(text, c.name), c.name);
        const key = vg.id || vg.name;
        const known = groups.get(key);
        // Every PV carries a copy of the VG metadata; the highest sequence number is current.
        if (known === undefined || vg.seqno > known.seqno) groups.set(key, vg);
        break;
      } catch (err) {
        warnings.push(messageOf(err));
      }
    }
  }

  const volumes: FoundLogicalVolume[] = [];
  for (const vg of groups.values()) {
    const pvReaders = new Map<string, RandomAccessReader>();
    const pvNames = new Map<string, string>();
    for (const [key, pv] of vg.pvs) {
      const found = byUuid.get(pv.uuid);
      if (found) {
        pvReaders.set(key, found.reader);
        pvNames.set(key, found.name);
      }
    }
    for (const lv of vg.lvs) {
      if (!lv.visible) continue; // pool metadata, mirror legs, snapshot stores: not volumes of their own
      const name = deviceMapperName(vg.name, lv.name);
      const unreadable = lv.segments.find((s) => !READABLE_SEGMENT_TYPES.has(s.type));
      if (unreadable) {
        warnings.push(
          `LVM volume ${vg.name}/${lv.name} uses segment type "${unreadable.type}", which Hyperkeep cannot read`,
        );
        continue;
      }
      const missing = lv.segments
        .flatMap((s) => s.stripes.map((st) => st.pv))
        .filter((pv) => !pvReaders.has(pv));
      if (missing.length > 0) {
        const shown = [...new Set(missing)].map(
          (pv) => `${pv} (UUID ${vg.pvs.get(pv)?.uuid ?? 'unknown'})`,
        );
        warnings.push(
          `LVM volume ${vg.name}/${lv.name} needs physical volume(s) ${shown.join(', ')} ` +
            "that are not on the disks given (add the VM's other disks)",
        );
        continue;
      }
      try {
        const reader = new LogicalVolumeReader(vg, lv, pvReaders, name);
        const used = new Set(
          lv.segments.flatMap((s) => s.stripes.map((st) => pvNames.get(st.pv)!)),
        );
        volumes.push({ name, vgName: vg.name, lvName: lv.name, reader, pvNames: [...used] });
      } catch (err) {
        warnings.push(messageOf(err));
      }
    }
  }
  return { volumes, warnings };
}

function messageOf(err: unknown): string {
  if (err instanceof HyperkeepError) return err.message;
  throw err;
}
