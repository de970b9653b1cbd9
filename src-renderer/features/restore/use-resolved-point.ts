import type { RestorePoint } from '../../../shared/domain/jobs';
import { describeError } from '../../api/api-error';
import type { BrowseOptions } from '../../store/restore-slice';
import { formatPointTime, pointAtOrBefore } from './browse-time';
import { useEngineQuery } from './use-engine-query';

/**
 * Which point the Browse options designate. For a file browse "before a moment", the engine's
 * catalog decides (files.list with `at`, the same rule the CLI uses); for volumes, disks and VMs
 * the newest listed point at or before the moment. A point picked in the switcher wins.
 */
export function useResolvedPoint(
  vmUuid: string,
  points: RestorePoint[],
  options: BrowseOptions | null,
  chosenPointId: string | null,
): { pointId: string | undefined; error: string | null } {
  const askEngine =
    options !== null && options.intent === 'files' && options.at !== undefined && !chosenPointId;
  const listing = useEngineQuery(
    'files.list',
    askEngine ? { vm: vmUuid, at: options.at, path: '/' } : null,
  );

  if (options === null || points.length === 0) return { pointId: undefined, error: null };
  if (chosenPointId !== null && points.some((p) => p.id === chosenPointId))
    return { pointId: chosenPointId, error: null };
  if (options.at === undefined) return { pointId: points[0]?.id, error: null };
  if (askEngine) {
    if (listing.error !== null)
      return { pointId: undefined, error: `Cannot browse: ${describeError(listing.error)}` };
    return { pointId: listing.data?.pointId, error: null };
  }
  const point = pointAtOrBefore(points, options.at);
  if (point !== undefined) return { pointId: point.id, error: null };
  const oldest = points.at(-1);
  return {
    pointId: undefined,
    error: `No restore point at or before ${options.at}${oldest ? `; the oldest is from ${formatPointTime(oldest.time)}` : ''}. Change the browse time.`,
  };
}
