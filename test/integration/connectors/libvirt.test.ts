/**
 * The libvirt connector against the lab's real libvirtd hosts: what it lists must match what the
 * lab defined (lab.json) and what virsh says, through unix sockets and TCP, across a restart.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import {
  createLibvirtConnector,
  type LibvirtConnector,
} from '../../../src-main/engine/connectors/libvirt/libvirt-connector';
import {
  DOMAIN_GET_INFO,
  DOMAIN_LOOKUP_BY_UUID,
  DomainState,
  invoke,
} from '../../../src-main/engine/connectors/libvirt/procedures';
import type { LabHost } from '../../harness/lab-info';
import { restartHost, virsh } from '../../harness/lab';

const lab = inject('lab');
const connectors: LibvirtConnector[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'hk-libvirt-it-'));
// libvirtd runs as the lab account: it must be able to read the images we define here.
chmodSync(scratch, 0o755);

function connectorFor(uri: string): LibvirtConnector {
  const connector = createLibvirtConnector({ type: 'libvirt', uri }, { connectTimeoutMs: 5_000 });
  connectors.push(connector);
  return connector;
}

async function failure(promise: Promise<unknown>): Promise<HyperkeepError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(HyperkeepError);
    return err as HyperkeepError;
  }
  throw new Error('expected the call to fail');
}

afterAll(async () => {
  await Promise.all(connectors.map((c) => c.close()));
  rmSync(scratch, { recursive: true, force: true });
});

const hostNamed = (name: string): LabHost => lab.hosts.find((h) => h.name === name)!;

describe('libvirt connector on the lab', () => {
  it.each(lab.hosts.map((h) => [h.name, h] as const))(
    'lists and describes the sample VMs of %s as lab.json defines them',
    async (_name, host) => {
      const connector = connectorFor(host.uri);
      const vms = await connector.listVms();
      const expected = lab.vms.filter((vm) => vm.host === host.name);
      expect(vms.map((v) => v.name).sort()).toEqual(
        expect.arrayContaining(expected.map((v) => v.name)),
      );
      const hostname = (await virsh(host.uri, 'hostname')).trim();
      for (const want of expected) {
        const vm = vms.find((v) => v.name === want.name)!;
        expect(vm.uuid).toBe(want.uuid);
        expect(vm.host).toBe(hostname);
        expect(vm.powerState).toBe(want.running ? 'running' : 'shutoff');
        expect(vm.vcpus).toBe(want.vcpus);
        expect(vm.memoryBytes).toBe(want.memoryBytes);
        expect(vm.osType).toBe('hvm');
        if (want.title) expect(vm.title).toBe(want.title);
        if (want.description) expect(vm.description).toBe(want.description);
        if (want.tags) expect(vm.metadata['hk:tags']).toBe(want.tags.join(','));
        expect(vm.disks.map((d) => [d.target, d.bus, d.device, d.format, d.path])).toEqual(
          want.disks.map((d) => [d.target, 'virtio', 'disk', d.format, d.path]),
        );
        expect(vm.disks.map((d) => d.capacityBytes)).toEqual(
          want.disks.map((d) => d.capacityBytes),
        );
        expect(vm.provisionedBytes).toBe(want.disks.reduce((s, d) => s + d.capacityBytes, 0));
        expect(vm.nics).toHaveLength(1);
        expect(vm.nics[0]).toMatchObject({ type: 'user', model: 'virtio' });
        expect(vm.nics[0]!.mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
      }
    },
  );

  it('describes the host the way virsh does', async () => {
    const host = lab.hosts[0]!;
    const info = await connectorFor(host.uri).hostInfo();
    expect(info.hostname).toBe((await virsh(host.uri, 'hostname')).trim());
    const version = await virsh(host.uri, 'version');
    const qemu = /Running hypervisor: QEMU (\S+)/.exec(version)![1];
    const libvirt = /Using library: libvirt (\S+)/.exec(version)![1];
    expect(info.hypervisorVersion).toBe(`QEMU ${qemu} / libvirt ${libvirt}`);
    const nodeinfo = await virsh(host.uri, 'nodeinfo');
    expect(info.cpus).toBe(Number(/CPU\(s\):\s+(\d+)/.exec(nodeinfo)![1]));
    expect(info.memoryBytes).toBeGreaterThan(0);
    expect(info.cpuModel).toMatch(/x86_64/);
  });

  it('finds one VM by UUID or by name, and says NOT_FOUND for an unknown one', async () => {
    const want = lab.vms[0]!;
    const connector = connectorFor(hostNamed(want.host).uri);
    expect((await connector.getVm(want.uuid)).name).toBe(want.name);
    expect((await connector.getVm(want.uuid.toUpperCase())).name).toBe(want.name);
    expect((await connector.getVm(want.name)).uuid).toBe(want.uuid);
    const err = await failure(connector.getVm('no-such-vm'));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toMatch(/no-such-vm/);
  });

  it('decodes DOMAIN_GET_INFO as virsh dominfo shows it (raw procedure through .rpc)', async () => {
    const want = lab.vms.find((v) => v.running) ?? lab.vms[0]!;
    const host = hostNamed(want.host);
    const connector = connectorFor(host.uri);
    const uuid = Buffer.from(want.uuid.replace(/-/g, ''), 'hex');
    const dom = await invoke(connector.rpc, DOMAIN_LOOKUP_BY_UUID, { uuid });
    const info = await invoke(connector.rpc, DOMAIN_GET_INFO, { dom });
    const dominfo = await virsh(host.uri, 'dominfo', want.name);
    const field = (label: string): string =>
      new RegExp(`${label}:\\s+(.+)`).exec(dominfo)![1]!.trim();
    expect(info.state).toBe(want.running ? DomainState.RUNNING : DomainState.SHUTOFF);
    expect(info.vcpus).toBe(Number(field('CPU\\(s\\)')));
    expect(`${info.maxMemKiB} KiB`).toBe(field('Max memory'));
    expect(dom.id).toBe(want.running ? Number(field('Id')) : -1);
  });

  it('sees a VM defined during the test appear, with its disk size, and then disappear', async () => {
    const host = lab.hosts[0]!;
    const connector = connectorFor(host.uri);
    const name = `hk-it-${process.pid}-${Date.now()}`;
    const image = join(scratch, `${name}.qcow2`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '48M']);
    chmodSync(image, 0o644);
    const xml = join(scratch, `${name}.xml`);
    writeFileSync(
      xml,
      `<domain type='qemu'><name>${name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>
        <os><type arch='x86_64'>hvm</type></os>
        <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
          <source file='${image}'/><target dev='vdc' bus='virtio'/></disk></devices></domain>`,
    );
    expect((await connector.listVms()).some((v) => v.name === name)).toBe(false);
    await virsh(host.uri, 'define', xml);
    try {
      const vm = (await connector.listVms()).find((v) => v.name === name);
      expect(vm).toBeDefined();
      expect(vm!.powerState).toBe('shutoff');
      expect(vm!.disks).toEqual([
        expect.objectContaining({
          target: 'vdc',
          format: 'qcow2',
          path: image,
          capacityBytes: 48 * 1024 * 1024,
        }),
      ]);
    } finally {
      await virsh(host.uri, 'undefine', name);
    }
    expect((await connector.listVms()).some((v) => v.name === name)).toBe(false);
  });

  it('reconnects by itself after libvirtd restarts', async () => {
    const host = lab.hosts[lab.hosts.length - 1]!;
    const connector = connectorFor(host.uri);
    const before = (await connector.listVms()).map((v) => v.name).sort();
    await restartHost(lab, host.name);
    const after = (await connector.listVms()).map((v) => v.name).sort();
    expect(after).toEqual(before);
    // The VMs kept running through the daemon restart and are seen as such.
    for (const want of lab.vms.filter((v) => v.host === host.name && v.running)) {
      expect((await connector.getVm(want.name)).powerState).toBe('running');
    }
  });

  it('fails fast with CONNECT_FAILED naming the socket when nothing listens there', async () => {
    const socket = join(scratch, 'no-daemon', 'libvirt-sock');
    const started = Date.now();
    const err = await failure(connectorFor(`qemu+unix:///session?socket=${socket}`).connect());
    expect(err.code).toBe('CONNECT_FAILED');
    expect(err.message).toContain(`no libvirt socket at ${socket}`);
    expect(err.message).toMatch(/is libvirtd running\?/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails fast with CONNECT_FAILED when a TCP port refuses', async () => {
    const err = await failure(connectorFor('qemu+tcp://127.0.0.1:1/session').listVms());
    expect(err.code).toBe('CONNECT_FAILED');
    expect(err.message).toMatch(/127\.0\.0\.1:1 .*connection refused/);
  });

  const tcpHost = lab.hosts.find((h) => h.tcpUri);
  it.runIf(tcpHost)('lists the same VMs over TCP as over the unix socket', async () => {
    const overTcp = await connectorFor(tcpHost!.tcpUri!).listVms();
    const overUnix = await connectorFor(tcpHost!.uri).listVms();
    const key = (vms: typeof overTcp): string[] => vms.map((v) => `${v.uuid} ${v.name}`).sort();
    expect(key(overTcp)).toEqual(key(overUnix));
    expect(overTcp.length).toBeGreaterThan(0);
  });
});
