import type { Engine } from '../engine';
import { startDiskToPoolJob } from '../restore/vm/disk-to-pool-job';
import { listPools } from '../restore/vm/pool-volumes';
import { destinationOf } from '../restore/vm/restore-context';
import { startVmRestoreJob } from '../restore/vm/restore-vm-job';
import type { HandlerGroup } from './handlers';

type VmRestoreChannel = 'hypervisor.pools' | 'restore.vm' | 'restore.diskToPool';

/** FIG. 14A/B: whole VMs and virtual disks into a registered libvirt host's storage pools. */
export function vmRestoreHandlers(engine: Engine): HandlerGroup<VmRestoreChannel> {
  return {
    'hypervisor.pools': async ({ hypervisorId }) => {
      const { connector } = await destinationOf(engine, hypervisorId);
      return (await listPools(connector)).map((p) => p.summary);
    },
    'restore.vm': (request) => startVmRestoreJob(engine, request),
    'restore.diskToPool': (request) => startDiskToPoolJob(engine, request),
  };
}
