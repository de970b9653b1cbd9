import type { RestorePoint } from '../../../shared/domain/jobs';

/** The repository's totals right after one restore point was written. */
export interface UsageSample {
  time: number;
  /**
   * The data the points so far protect (the used blocks of their disks, as if each point were a
   * full copy): the same quantity as the repository's "Protected data". Provisioned disk sizes
   * are left out on purpose: they are often ~100× the data and would flatten the Stored line.
   */
  protectedBytes: number;
  /** what the points so far added to the repository (after dedup, compression, encryption) */
  storedBytes: number;
}

export interface RepositoryHistory {
  repository: string;
  samples: UsageSample[];
}

/**
 * Cumulative usage per repository, oldest point first. Built from the points that still exist,
 * so a prune takes its points out of the past as well: the curve shows how today's content grew.
 * Points whose time does not parse are left out rather than drawn at 1970.
 */
export function usageHistory(points: readonly RestorePoint[]): RepositoryHistory[] {
  const byRepository = new Map<string, { time: number; point: RestorePoint }[]>();
  for (const point of points) {
    const time = Date.parse(point.time);
    if (!Number.isFinite(time)) continue;
    const list = byRepository.get(point.repository) ?? [];
    list.push({ time, point });
    byRepository.set(point.repository, list);
  }
  return [...byRepository.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([repository, list]) => {
      list.sort((a, b) => a.time - b.time || a.point.id.localeCompare(b.point.id));
      let protectedBytes = 0;
      let storedBytes = 0;
      const samples = list.map(({ time, point }) => {
        protectedBytes += point.disks.reduce((sum, disk) => sum + disk.dataBytes, 0);
        storedBytes += point.storedBytes;
        return { time, protectedBytes, storedBytes };
      });
      return { repository, samples };
    });
}

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Dates on the axis, as precise as the range needs: backups minutes apart (a first day, a test
 * run) would otherwise all read the same minute.
 */
export function timeLabel(time: number, spanMs: number): string {
  const options: Intl.DateTimeFormatOptions =
    spanMs < HOUR_MS
      ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }
      : spanMs < 2 * DAY_MS
        ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
        : { year: 'numeric', month: 'short', day: 'numeric' };
  return new Intl.DateTimeFormat(undefined, options).format(time);
}
