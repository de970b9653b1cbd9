/**
 * The vSphere connector against govmomi's simulator: the inventory through vCenter and through a
 * standalone ESX host, certificate pinning, wrong passwords and sessions lost behind its back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../../src-main/engine/connectors/create-connector';
import { VsphereConnector } from '../../../src-main/engine/connectors/vsphere/vsphere-connector';
import { el, moRef } from '../../../src-main/engine/connectors/vsphere/soap-xml';
import { startVcsim, type Vcsim } from '../../harness/vcsim';

let vcenter: Vcsim;
let esx: Vcsim;

beforeAll(async () => {
  [vcenter, esx] = await Promise.all([startVcsim({ model: 'vpx' }), startVcsim({ model: 'esx' })]);
}, 900_000);

afterAll(async () => {
  await Promise.all([vcenter?.stop(), esx?.stop()]);
});

function connectorFor(sim: Vcsim, overrides: { password?: string; fingerprint?: string } = {}) {
  return createConnector({
    type: 'vsphere',
    uri: sim.url,
    username: sim.username,
    password: overrides.password ?? sim.password,
    certificateFingerprint: overrides.fingerprint ?? sim.fingerprint,
  }) as VsphereConnector;
}

describe('vSphere inventory (FIG. 3: vCenter as manager, or a standalone ESX host)', () => {
  it('lists the VMs of a vCenter with their hosts, clusters, disks and networks', async () => {
    const connector = connectorFor(vcenter);
    try {
      await connector.connect();
      const vms = await connector.listVms();
      expect(vms.map((v) => v.name).sort()).toEqual([
        'DC0_C0_RP0_VM0',
        'DC0_C0_RP0_VM1',
        'DC0_H0_VM0',
        'DC0_H0_VM1',
      ]);
      const vm = vms.find((v) => v.name === 'DC0_C0_RP0_VM0')!;
      expect(vm).toMatchObject({ powerState: 'shutoff', vcpus: 1, memoryBytes: 32 * 1024 * 1024 });
      expect(vm.host).toMatch(/^DC0_C0_H\d$/);
      expect(vm.metadata).toMatchObject({
        'vsphere.datacenter': 'DC0',
        'vsphere.cluster': 'DC0_C0',
      });
      expect(vm.disks).toContainEqual(
        expect.objectContaining({
          target: 'scsi0:0',
          device: 'disk',
          format: 'vmdk',
          path: '[LocalDS_0] DC0_C0_RP0_VM0/disk1.vmdk',
        }),
      );
      expect(vm.nics[0]).toMatchObject({
        model: 'e1000',
        type: 'distributed',
        source: 'DC0_DVPG0',
      });
      const standalone = vms.find((v) => v.name === 'DC0_H0_VM0')!;
      expect(standalone.host).toBe('DC0_H0');
      expect(standalone.metadata['vsphere.cluster']).toBeUndefined();
      const again = await connector.getVm(vm.uuid);
      expect(again.name).toBe(vm.name);
      const info = await connector.hostInfo();
      expect(info.hypervisorVersion).toMatch(/vCenter/);
      expect(info.cpus).toBeGreaterThan(0);
    } finally {
      await connector.close();
    }
  });

  it('lists the VMs of a standalone ESX host', async () => {
    const connector = connectorFor(esx);
    try {
      const vms = await connector.listVms().catch(async () => {
        await connector.connect();
        return connector.listVms();
      });
      expect(vms.map((v) => v.name).sort()).toEqual(['ha-host_VM0', 'ha-host_VM1']);
      expect(vms[0]!.host).toBe((await connector.hostInfo()).hostname);
      expect(vms[0]!.metadata['vsphere.datacenter']).toBe('ha-datacenter');
    } finally {
      await connector.close();
    }
  });

  it('refuses a wrong password with AUTH_FAILED naming the user', async () => {
    const connector = connectorFor(vcenter, { password: 'not-the-password' });
    try {
      await expect(connector.connect()).rejects.toMatchObject({
        code: 'AUTH_FAILED',
        message: expect.stringMatching(/refused user "hkadmin": wrong user name or password/),
      });
    } finally {
      await connector.close();
    }
  });

  it('refuses a server whose certificate does not match the pinned fingerprint, naming both', async () => {
    const pinned = 'AA:'.repeat(31) + 'AA';
    const connector = connectorFor(vcenter, { fingerprint: pinned });
    try {
      const failure = connector.connect();
      await expect(failure).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
      const message = await failure.catch((e: Error) => e.message);
      expect(message).toContain(vcenter.fingerprint);
      expect(message).toContain(pinned);
    } finally {
      await connector.close();
    }
  });

  it('logs in again by itself when the server ends the session behind its back', async () => {
    const connector = connectorFor(vcenter);
    const admin = connectorFor(vcenter);
    try {
      await connector.connect();
      const before = (await connector.listVms()).length;
      const session = connector.client.sessionKey!;
      const content = await admin.client.serviceContent();
      await admin.client.call('TerminateSession', [
        moRef('_this', content.sessionManager),
        el('sessionId', session),
      ]);
      expect((await connector.listVms()).length).toBe(before);
      expect(connector.client.relogins).toBe(1);
      expect(connector.client.sessionKey).not.toBe(session);
    } finally {
      await Promise.all([connector.close(), admin.close()]);
    }
  });
});
