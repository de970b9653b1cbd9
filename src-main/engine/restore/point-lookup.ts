import type { RestorePoint } from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import type { Engine } from '../engine';
import { assertRestoresEnabled } from './restore-activity';

/**
 * The catalogued restore point a restore request names, or an error saying how to find one.
 * Every restore starts here, so this is also where a subclient's "Enable restore = off" refuses
 * it; browsing and searching do not come through here.
 */
export function findRestorePoint(engine: Engine, vm: string, pointId: string): RestorePoint {
  const point = engine.repositories.points(vm).find((p) => p.id === pointId);
  if (!point)
    throw new HyperkeepError(
      'NOT_FOUND',
      `VM "${vm}" has no restore point ${pointId} (see: hyperkeep points --vm ${vm}).`,
      { field: 'pointId' },
    );
  assertRestoresEnabled(engine, point);
  return point;
}

export function findPointDisk(point: RestorePoint, disk: string): RestorePoint['disks'][number] {
  const found = point.disks.find((d) => d.name === disk);
  if (!found)
    throw new HyperkeepError(
      'NOT_FOUND',
      `Restore point ${point.id} has no disk ${disk} (it has ${point.disks.map((d) => d.name).join(', ')}).`,
    );
  return found;
}
