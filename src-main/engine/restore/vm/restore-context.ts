/**
 * What the VM and disk-to-pool restores share: finding the point and its manifest, the
 * destination host's libvirt connection, and an undo log that takes back everything a failed job
 * created on the destination.
 */
import type { RestorePoint } from '../../../../shared/domain/jobs';
import { HyperkeepError } from '../../../../shared/errors';
import type { StorageVolRef } from '../../connectors/libvirt/backup-procedures';
import { LibvirtConnector } from '../../connectors/libvirt/libvirt-connector';
import type { Engine } from '../../engine';
import type { JobContext } from '../../jobs/job-controller';
import type { PointManifest } from '../../repository/manifest';
import type { Repository } from '../../repository/repository';
import { findRestorePoint } from '../point-lookup';
import { deleteVolume } from './pool-volumes';

export interface PointSource {
  point: RestorePoint;
  manifest: PointManifest;
  repository: Repository;
}

/** The point a VM or disk-to-pool restore names (refused as findRestorePoint refuses), opened. */
export async function findPoint(engine: Engine, vm: string, pointId: string): Promise<PointSource> {
  const point = findRestorePoint(engine, vm, pointId);
  const repository = await engine.repositories.get(point.repository);
  const manifest = await repository.getPoint(point.id);
  return { point, manifest, repository };
}

export interface Destination {
  hypervisorId: string;
  hypervisorName: string;
  connector: LibvirtConnector;
}

/** The registered hypervisor (by id or name) with its live libvirt connection. */
export async function destinationOf(engine: Engine, idOrName: string): Promise<Destination> {
  const hypervisor = engine.hypervisors.find(idOrName);
  const connector = await engine.inventory.connector(hypervisor.id);
  if (!(connector instanceof LibvirtConnector)) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Restoring into ${hypervisor.type} hypervisors is not supported yet: choose a libvirt (KVM) host.`,
      { field: 'hypervisorId' },
    );
  }
  return { hypervisorId: hypervisor.id, hypervisorName: hypervisor.name, connector };
}

/** Steps that take back what a job created, run newest first when the job fails. */
export class UndoLog {
  private readonly steps: { what: string; run: () => Promise<void> }[] = [];
  private readonly volumes = new Map<string, { what: string; run: () => Promise<void> }>();

  constructor(private readonly ctx: JobContext) {}

  add(what: string, run: () => Promise<void>): void {
    this.steps.push({ what, run });
  }

  /** A volume this job created: deleted on failure unless `forgetVolume` said it is gone. */
  addVolume(connector: LibvirtConnector, vol: StorageVolRef): void {
    const step = {
      what: `delete volume ${vol.name} from pool ${vol.pool}`,
      run: () => deleteVolume(connector, vol),
    };
    this.volumes.set(vol.key, step);
    this.steps.push(step);
  }

  forgetVolume(vol: StorageVolRef): void {
    const step = this.volumes.get(vol.key);
    if (!step) return;
    this.volumes.delete(vol.key);
    this.steps.splice(this.steps.indexOf(step), 1);
  }

  /** Runs every step; a step that fails is reported and the others still run. */
  async rollback(): Promise<void> {
    if (this.steps.length === 0) return;
    this.ctx.log(`Undoing what this restore created (${this.steps.length} step(s))`);
    for (const step of [...this.steps].reverse()) {
      try {
        await step.run();
        this.ctx.log(`Undone: ${step.what}`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.ctx.warn(`Could not ${step.what}: ${message} — remove it by hand`);
      }
    }
    this.steps.length = 0;
  }
}
