import type { ConnectionSettings, HypervisorConnector } from './connector';
import { createLibvirtConnector } from './libvirt/libvirt-connector';
import { createVsphereConnector } from './vsphere/vsphere-connector';

export function createConnector(settings: ConnectionSettings): HypervisorConnector {
  switch (settings.type) {
    case 'libvirt':
      return createLibvirtConnector(settings);
    case 'vsphere':
      return createVsphereConnector(settings);
  }
}
