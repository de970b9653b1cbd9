import { formatBytes } from '../../../shared/format';

/**
 * A total in a job log as an administrator reads it, with the exact count beside it for
 * comparing with another tool's: "1.5 GiB (1 610 612 736 bytes)"; below 1 KiB just "512 B".
 * --json output keeps plain numbers and does not go through here.
 */
export function humanSizeWithBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return formatBytes(bytes);
  const grouped = String(Math.round(bytes)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${formatBytes(bytes)} (${grouped} bytes)`;
}
