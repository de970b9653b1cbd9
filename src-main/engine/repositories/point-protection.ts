import type { RestorePoint } from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import type { Engine } from '../engine';

export interface PointRef {
  repository: string;
  id: string;
}

/** The point as this console lists it, and its repository's registered name; NOT_FOUND else. */
function pointOf(engine: Engine, ref: PointRef): { repository: string; point: RestorePoint } {
  const { repository, points } = engine.repositories.pointsById(ref.repository, [ref.id]);
  const point = points[0];
  if (!point)
    throw new HyperkeepError(
      'NOT_FOUND',
      `Repository "${repository}" has no restore point ${ref.id}.`,
    );
  return { repository, point };
}

/**
 * Protects a point (repository/point-holds.ts): written to the repository first, the truth a
 * console attached later reads, then to this console's list.
 */
export async function protectPoint(
  engine: Engine,
  ref: PointRef & { reason: string },
): Promise<RestorePoint> {
  const { repository } = pointOf(engine, ref);
  const hold = await (await engine.repositories.get(repository)).protectPoint(ref.id, ref.reason);
  const point = engine.repositories.setProtection(repository, ref.id, hold);
  engine.events.emit('points.changed', { vmUuid: point.vmUuid });
  return point;
}

/** Lifts a point's protection: retention may remove it again, and it can be deleted. */
export async function unprotectPoint(engine: Engine, ref: PointRef): Promise<RestorePoint> {
  const { repository } = pointOf(engine, ref);
  await (await engine.repositories.get(repository)).unprotectPoint(ref.id);
  const point = engine.repositories.setProtection(repository, ref.id, null);
  engine.events.emit('points.changed', { vmUuid: point.vmUuid });
  return point;
}
