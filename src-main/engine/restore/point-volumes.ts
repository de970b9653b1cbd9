import { HyperkeepError } from '../../../shared/errors';
import type { RandomAccessReader } from '../io/random-access';
import type { Repository } from '../repository/repository';
import { listDiskVolumes, type VolumeInfo } from '../volumes/detect';

/** The volumes of a restore point (partitions, whole-disk file systems, LVM volumes across disks). */
export interface PointVolumes {
  volumes: VolumeInfo[];
  find(name: string): VolumeInfo;
  close(): Promise<void>;
}

export async function openPointVolumes(
  repository: Repository,
  pointId: string,
  diskNames: readonly string[],
): Promise<PointVolumes> {
  const disks: { name: string; reader: RandomAccessReader }[] = [];
  const close = async () => {
    await Promise.allSettled(disks.map((d) => d.reader.close()));
  };
  try {
    for (const name of diskNames)
      disks.push({ name, reader: await repository.openDisk(pointId, name) });
    const { volumes } = await listDiskVolumes(disks);
    return {
      volumes,
      close,
      find: (name) => {
        const found = volumes.find((v) => v.name === name);
        if (!found)
          throw new HyperkeepError(
            'NOT_FOUND',
            `Restore point ${pointId} has no volume ${name} (it has ${volumes.map((v) => v.name).join(', ') || 'none'}).`,
          );
        return found;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
