import { HyperkeepError } from '../../../shared/errors';
import { VsphereConnector } from '../connectors/vsphere/vsphere-connector';
import type { Engine } from '../engine';
import { startVsphereRestoreJob } from '../restore/vsphere/vsphere-restore-job';
import { startDiskToPoolJob } from '../restore/vm/disk-to-pool-job';
import { listPools } from '../restore/vm/pool-volumes';
import { destinationOf } from '../restore/vm/restore-context';
import { startRecoveryTestJob } from '../restore/vm/recovery-test-job';
import { startVmRestoreJob } from '../restore/vm/restore-vm-job';
import type { HandlerGroup } from './handlers';

type VmRestoreChannel = 'hypervisor.pools' | 'restore.vm' | 'restore.test' | 'restore.diskToPool';

/** FIG. 14A/B: whole VMs and virtual disks into a registered hypervisor (libvirt pools, vSphere datastores). */
export function vmRestoreHandlers(engine: Engine): HandlerGroup<VmRestoreChannel> {
  return {
    'hypervisor.pools': async ({ hypervisorId }) => {
      const hypervisor = engine.hypervisors.find(hypervisorId);
      if (hypervisor.type === 'vsphere') {
        // A vSphere VM's disks go to a datastore: offered as the "pools" of the restore dialogs.
        const vsphere = await engine.inventory.connector(hypervisor.id);
        if (!(vsphere instanceof VsphereConnector)) return [];
        return (await vsphere.datastores()).map((d) => ({
          name: d.name,
          type: 'datastore',
          path: d.url,
          capacityBytes: d.capacityBytes,
          availableBytes: d.freeBytes,
          active: true,
        }));
      }
      const { connector } = await destinationOf(engine, hypervisorId);
      return (await listPools(connector)).map((p) => p.summary);
    },
    'restore.vm': async (request) => {
      const hypervisor = engine.hypervisors.find(request.hypervisorId);
      if (hypervisor.type !== 'vsphere') return startVmRestoreJob(engine, request);
      const connector = await engine.inventory.connector(hypervisor.id);
      if (!(connector instanceof VsphereConnector))
        throw new HyperkeepError('INTERNAL', `${hypervisor.name} has no vSphere connection`);
      return startVsphereRestoreJob(engine, request, connector, hypervisor.name);
    },
    'restore.test': (request) => {
      if (engine.hypervisors.find(request.hypervisorId).type === 'vsphere')
        throw new HyperkeepError(
          'INVALID_INPUT',
          'Recovery tests run on libvirt (KVM) hosts: choose one as the destination.',
          { field: 'hypervisorId' },
        );
      return startRecoveryTestJob(engine, request);
    },
    'restore.diskToPool': (request) => startDiskToPoolJob(engine, request),
  };
}
