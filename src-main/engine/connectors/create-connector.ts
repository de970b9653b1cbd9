import { HyperkeepError } from '../../../shared/errors';
import type { ConnectionSettings, HypervisorConnector } from './connector';
import { createLibvirtConnector } from './libvirt/libvirt-connector';

export function createConnector(settings: ConnectionSettings): HypervisorConnector {
  switch (settings.type) {
    case 'libvirt':
      return createLibvirtConnector(settings);
    case 'vsphere':
      throw new HyperkeepError(
        'INVALID_INPUT',
        'vSphere hypervisors are not supported yet: register a libvirt (KVM) host.',
        { field: 'type' },
      );
  }
}
