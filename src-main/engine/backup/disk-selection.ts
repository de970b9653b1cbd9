import { basename } from 'node:path';
import type { ConfiguredDisk } from '../connectors/libvirt/domain-xml';

export interface SelectedDisks {
  /** Disks to back up, in the order of the domain XML. */
  included: ConfiguredDisk[];
  /** Why each other disk is left out, for the job log. */
  skipped: { target: string; reason: string }[];
}

/** `*` and `?` wildcards, whole-string match; everything else literal. */
function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/**
 * Chooses the disks of a VM to back up: hard disks with a source, minus those the settings
 * exclude by target (vdb) or by a pattern on the target, source path or file name (sd*, *.iso).
 * CD-ROMs and floppies are media, not the VM's data; empty drives have nothing to read.
 */
export function selectDisks(disks: ConfiguredDisk[], exclude: readonly string[]): SelectedDisks {
  const patterns = exclude.map((p) => ({ text: p, re: globToRegExp(p) }));
  const included: ConfiguredDisk[] = [];
  const skipped: SelectedDisks['skipped'] = [];
  for (const disk of disks) {
    if (disk.device !== 'disk') {
      skipped.push({ target: disk.target, reason: `a ${disk.device}, not a hard disk` });
      continue;
    }
    if (!disk.path || !disk.target) {
      skipped.push({ target: disk.target || '?', reason: 'no source configured' });
      continue;
    }
    const names = [disk.target, disk.path, basename(disk.path)];
    const rule = patterns.find((p) => names.some((n) => p.re.test(n)));
    if (rule) {
      skipped.push({ target: disk.target, reason: `excluded by "${rule.text}"` });
      continue;
    }
    included.push(disk);
  }
  return { included, skipped };
}
