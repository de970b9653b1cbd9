import { joinDestination } from './restore-paths';

/** A VM, disk or volume name as part of a file name: no separators, spaces or shell specials. */
function namePart(name: string): string {
  return name.replace(/[^\p{L}\p{N}._-]+/gu, '_');
}

/** A point's time as 20261123-1415 in the console's time zone: file listings sort by it. */
export function fileStamp(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}-${two(d.getHours())}${two(d.getMinutes())}`;
}

/**
 * Where a restore goes unless the person says otherwise, as Veeam and Xen Orchestra prefill it:
 * the engine's restore folder, then "<vm>-<disk or volume>-<point time>[.ext]". Empty while the
 * folder is not known yet (the dialog then shows its placeholder).
 */
export function suggestedDestination(
  folder: string | undefined,
  parts: readonly string[],
  pointTime: string,
  extension?: string,
): string {
  if (!folder) return '';
  const name = [...parts.map(namePart), fileStamp(pointTime)].join('-');
  return joinDestination(folder, [extension ? `${name}.${extension}` : name]);
}
