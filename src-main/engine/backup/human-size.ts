/**
 * Sizes in a job log as an administrator reads them ("1.5 GiB"), in the binary units the console
 * and qemu-img use. The exact count stays beside the totals a person may want to compare with
 * another tool's; --json output keeps plain numbers and does not go through here.
 */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** "1.5 GiB", "640 MiB", "512 B": three significant digits at most, no trailing zeros. */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const decimals = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${Number(value.toFixed(decimals))} ${UNITS[unit]}`;
}

/** "1.5 GiB (1 610 612 736 bytes)"; below 1 KiB just "512 B", the exact count already. */
export function humanSizeWithBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return humanSize(bytes);
  const grouped = String(Math.round(bytes)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${humanSize(bytes)} (${grouped} bytes)`;
}
