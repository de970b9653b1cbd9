import type { Route } from '../../store/routes';

export type ComingRoute = Extract<Route, 'restore'>;

/** What each unbuilt page is for, in the words of the product's mission. */
export const COMING_FEATURES: Record<ComingRoute, { summary: string; points: string[] }> = {
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
};
