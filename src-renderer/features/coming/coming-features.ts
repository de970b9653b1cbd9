import type { Route } from '../../store/routes';

export type ComingRoute = Extract<Route, 'jobs' | 'restore' | 'storage'>;

/** What each unbuilt page is for, in the words of the product's mission. */
export const COMING_FEATURES: Record<ComingRoute, { summary: string; points: string[] }> = {
  jobs: {
    summary: 'The job controller: every backup and restore, live.',
    points: [
      'Running jobs with their current step, bytes copied, rate and time remaining, updated live.',
      'Cancel a running job; a disk-level backup can resume from its kept snapshot.',
      'Job history with a readable log of each run, warnings included.',
      'Incremental-forever with changed-block tracking, and automatic recovery when a CBT chain breaks.',
    ],
  },
  restore: {
    summary: 'Bring back a file, a volume, a virtual disk or a whole virtual machine.',
    points: [
      'Browse the latest data, or data as it was before a chosen date, time and time zone.',
      'Tree backup set → VM → volumes → folders, with a file list (name, size, type, modified) and multi-select.',
      'Find a file across all VMs and all points in time; see what changed between two points.',
      'Restore files with options: ACLs, unconditional overwrite, destination computer and folder, path levels to keep or strip.',
      'Restore a volume to a physical volume or as VHD/VMDK files; restore whole VMs to a host you choose.',
    ],
  },
  storage: {
    summary: 'Where backups are kept, and how compactly.',
    points: [
      'Repositories on local disks or S3-compatible object storage, with their storage nodes.',
      'Deduplicated store of variable-size, content-defined chunks; only missing chunks are sent.',
      'Compression and encryption at rest, capacity used and saved by deduplication.',
      'The catalog index that makes browsing every restore point instant.',
    ],
  },
};
