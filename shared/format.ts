/** Human-readable sizes with binary units, the way hypervisors and qemu-img report them. */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** "1.5 GiB", "640 MiB", "512 B": three significant digits at most; "—" for no size. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // Three significant digits are plenty for capacities; trailing zeros only add noise ("2 GiB").
  const decimals = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${Number(value.toFixed(decimals))} ${UNITS[unit]}`;
}
