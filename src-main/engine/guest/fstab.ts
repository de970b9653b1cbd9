import { deviceMapperName } from '../volumes/lvm/lvm-volumes';

/**
 * /etc/fstab as util-linux reads it (fstab(5)): one mount per line, fields separated by blanks,
 * `#` comments, and octal escapes (\040 for a space) inside fields.
 */

export interface FstabEntry {
  /** First field: UUID=…, LABEL=…, /dev/vda1, /dev/mapper/vg0-root, tmpfs … */
  source: string;
  /** Second field: /, /home, none or swap for swap areas. */
  mountPoint: string;
  type: string;
  options: string[];
  /** 1-based line number, for notes about entries that match no volume. */
  line: number;
}

/** How an fstab source names a block device. */
export type DeviceSpec =
  | { by: 'uuid' | 'label' | 'partuuid' | 'partlabel'; value: string }
  /** A kernel or device-mapper name, without /dev/: vda1, sdb, vg0-root. */
  | { by: 'name'; value: string };

/** More lines than any real fstab; the rest of a huge file is ignored. */
const MAX_LINES = 10_000;

/** Undoes fstab's octal escapes: `\040` → space, `\011` → tab, `\134` → backslash. */
export function unescapeFstabField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

export function parseFstab(text: string): FstabEntry[] {
  const out: FstabEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && i < MAX_LINES; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/[ \t]+/).map(unescapeFstabField);
    if (fields.length < 2) continue;
    out.push({
      source: fields[0]!,
      mountPoint: fields[1]!,
      type: fields[2] ?? '',
      options: (fields[3] ?? 'defaults').split(','),
      line: i + 1,
    });
  }
  return out;
}

/** Whether an entry is a swap area rather than a mounted file system. */
export function isSwap(entry: FstabEntry): boolean {
  return entry.type === 'swap' || entry.mountPoint === 'swap';
}

/** udev escapes /dev/disk/by-label names: `\x20` for a space, `\x2f` for a slash. */
function unescapeUdev(name: string): string {
  return name.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

function unquote(value: string): string {
  const m = /^"(.*)"$|^'(.*)'$/.exec(value);
  return m ? (m[1] ?? m[2] ?? '') : value;
}

const TAGS: Record<string, 'uuid' | 'label' | 'partuuid' | 'partlabel'> = {
  UUID: 'uuid',
  LABEL: 'label',
  PARTUUID: 'partuuid',
  PARTLABEL: 'partlabel',
};

/**
 * What block device an fstab source names; undefined for pseudo and network file systems
 * (tmpfs, proc, server:/export, bind mounts of directories).
 */
export function parseDeviceSpec(source: string): DeviceSpec | undefined {
  const tag = /^([A-Z]+)=(.+)$/.exec(source);
  if (tag) {
    const by = TAGS[tag[1]!];
    return by ? { by, value: unquote(tag[2]!) } : undefined;
  }
  const byLink = /^\/dev\/disk\/by-(uuid|label|partuuid|partlabel)\/(.+)$/.exec(source);
  if (byLink) {
    return { by: byLink[1] as 'uuid', value: unescapeUdev(byLink[2]!) };
  }
  const mapper = /^\/dev\/mapper\/([^/]+)$/.exec(source);
  if (mapper) return { by: 'name', value: mapper[1]! };
  const plain = /^\/dev\/([^/]+)$/.exec(source);
  if (plain) return { by: 'name', value: plain[1]! };
  // /dev/VG/LV: LVM's own link to the logical volume.
  const lvm = /^\/dev\/([^/]+)\/([^/]+)$/.exec(source);
  if (lvm && lvm[1] !== 'disk') return { by: 'name', value: deviceMapperName(lvm[1]!, lvm[2]!) };
  return undefined;
}

/** What fstab can match a volume by. */
export interface VolumeIdentity {
  name: string;
  fsUuid?: string;
  label?: string;
  partUuid?: string;
  partLabel?: string;
}

/** Linux disk name families that can name the same disk on another bus: vda ↔ sda ↔ xvda. */
const DISK_NAME = /^(sd|vd|xvd|hd)([a-z]+)(\d*)$/;

/**
 * The volume an fstab source refers to. Device names are matched exactly first; failing that, a
 * name on another bus (sda1 for our vda1: the guest saw its disk as SCSI) when exactly one volume
 * fits, with `assumed` set so the caller can say so.
 */
export function matchVolume<V extends VolumeIdentity>(
  spec: DeviceSpec,
  volumes: readonly V[],
): { volume: V; assumed: boolean } | undefined {
  const same = (a: string | undefined, b: string): boolean =>
    a !== undefined && a.toLowerCase() === b.toLowerCase();
  let found: V | undefined;
  switch (spec.by) {
    case 'uuid':
      found = volumes.find((v) => same(v.fsUuid, spec.value));
      break;
    case 'label':
      found = volumes.find((v) => v.label === spec.value);
      break;
    case 'partuuid':
      found = volumes.find((v) => same(v.partUuid, spec.value));
      break;
    case 'partlabel':
      found = volumes.find((v) => v.partLabel === spec.value);
      break;
    case 'name': {
      found = volumes.find((v) => v.name === spec.value);
      if (found) break;
      const m = DISK_NAME.exec(spec.value);
      if (!m) break;
      const others = volumes.filter((v) => {
        const n = DISK_NAME.exec(v.name);
        return n !== null && n[2] === m[2] && n[3] === m[3];
      });
      return others.length === 1 ? { volume: others[0]!, assumed: true } : undefined;
    }
  }
  return found ? { volume: found, assumed: false } : undefined;
}

/** Linux's PARTUUID of an MBR partition: the disk signature and the partition number in hex. */
export function mbrPartUuid(diskSignature: number, partitionNumber: number): string {
  return `${diskSignature.toString(16).padStart(8, '0')}-${partitionNumber.toString(16).padStart(2, '0')}`;
}
