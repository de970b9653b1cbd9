import { existsSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Job } from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import type { Engine } from '../engine';

const BLOCK = 4 * 1024 * 1024;

function isZero(block: Uint8Array): boolean {
  const words = new BigUint64Array(block.buffer, block.byteOffset, block.byteLength >> 3);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0n) return false;
  for (let i = words.length << 3; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

export interface RestoreDiskRequest {
  vm: string;
  pointId: string;
  disk: string;
  dest: string;
  overwrite: boolean;
}

/**
 * A virtual disk of a restore point as a raw image file. Written as DEST.partial and renamed at
 * the end, so an interrupted restore never leaves a file that looks complete; zero blocks stay holes.
 */
export function startRestoreDiskJob(engine: Engine, request: RestoreDiskRequest): Job {
  const point = engine.repositories.points(request.vm).find((p) => p.id === request.pointId);
  if (!point)
    throw new HyperkeepError(
      'NOT_FOUND',
      `VM "${request.vm}" has no restore point ${request.pointId} (see: hyperkeep points --vm ${request.vm}).`,
    );
  const disk = point.disks.find((d) => d.name === request.disk);
  if (!disk)
    throw new HyperkeepError(
      'NOT_FOUND',
      `Restore point ${point.id} has no disk ${request.disk} (it has ${point.disks.map((d) => d.name).join(', ')}).`,
    );
  const dest = resolve(request.dest);
  if (!existsSync(dirname(dest)))
    throw new HyperkeepError('INVALID_INPUT', `The folder ${dirname(dest)} does not exist.`, {
      field: 'dest',
    });
  if (existsSync(dest) && !request.overwrite)
    throw new HyperkeepError('ALREADY_EXISTS', `${dest} exists; pass --overwrite to replace it.`, {
      field: 'dest',
    });

  return engine.jobs.start(
    'restore',
    `Restore ${point.vmName} ${disk.name} (${point.time}) to ${dest}`,
    async (ctx) => {
      const repository = await engine.repositories.get(point.repository);
      const reader = await repository.openDisk(point.id, disk.name);
      const task = ctx.task(disk.name, `${point.vmName} ${disk.name}`);
      const partial = `${dest}.partial`;
      const file = await open(partial, 'w', 0o600);
      try {
        task.progress({ phase: 'writing', bytesTotal: reader.size });
        for (let offset = 0; offset < reader.size; offset += BLOCK) {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          const block = await reader.read(offset, Math.min(BLOCK, reader.size - offset));
          if (!isZero(block)) await file.write(block, 0, block.length, offset);
          task.progress({ bytesDone: offset + block.length });
        }
        await file.truncate(reader.size);
        await file.sync();
        await file.close();
        await rename(partial, dest);
        task.finish('succeeded', `${reader.size} bytes`);
        return { dest, bytes: reader.size };
      } catch (err) {
        await file.close().catch(() => undefined);
        await rm(partial, { force: true });
        throw err;
      } finally {
        await reader.close();
      }
    },
  );
}
