import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HyperkeepError } from '../../shared/errors';
import { LAB_VMS, domainXml, type LabVmSpec } from './domains';
import { run, virsh } from './exec';
import { ensureLabAccount, giveToAccount } from './lab-account';
import type { LabHost, LabInfo } from './lab-info';
import { LAB_POOL, labPoolDir } from './pools';

/**
 * A powered-off VM a test owns outright: its disk is a private copy of a lab VM's disk, kept as a
 * volume of the host's "default" pool, as virt-install would place it. Tests that overwrite or
 * delete a VM's disks (in-place restores) use one, so the lab's own VMs stay as other tests
 * expect them.
 */
export interface ThrowawayVm {
  name: string;
  uuid: string;
  host: LabHost;
  /** The disk's image file (qcow2) in the host's default pool. */
  diskPath: string;
}

export async function defineThrowawayVm(
  lab: LabInfo,
  options: { name: string; host: string; copyDiskOf: string },
): Promise<ThrowawayVm> {
  const host = lab.hosts.find((h) => h.name === options.host);
  const source = lab.vms.find((v) => v.name === options.copyDiskOf);
  const template = LAB_VMS.find((v) => v.name === options.copyDiskOf);
  if (!host || !source?.disks[0] || !template) {
    throw new HyperkeepError(
      'NOT_FOUND',
      `The lab has no host ${options.host} or no VM ${options.copyDiskOf} with a disk`,
    );
  }
  const diskPath = join(labPoolDir(lab.dir, host.name), `${options.name}-vda.qcow2`);
  // A full copy (no backing file): nothing the test does to it reaches the lab VM's disk.
  await run('qemu-img', ['convert', '-U', '-O', 'qcow2', source.disks[0].path, diskPath], {
    timeoutMs: 120_000,
  });
  await giveToAccount(await ensureLabAccount(), diskPath);
  await virsh(host.uri, 'pool-refresh', LAB_POOL);
  const spec: LabVmSpec = {
    ...template,
    name: options.name,
    host: template.host,
    title: `Throwaway copy of ${template.name}`,
    running: false,
    disks: [{ target: 'vda', image: template.disks[0]!.image }],
  };
  const xmlFile = join(labPoolDir(lab.dir, host.name), `${options.name}.xml`);
  await writeFile(
    xmlFile,
    domainXml(spec, { vda: diskPath }, lab.accel === 'kvm' ? 'kvm' : 'qemu'),
  );
  try {
    await virsh(host.uri, 'define', xmlFile);
  } finally {
    await rm(xmlFile, { force: true });
  }
  const uuid = (await virsh(host.uri, 'domuuid', options.name)).trim();
  return { name: options.name, uuid, host, diskPath };
}

/** Powers the VM off, undefines it and deletes every volume of the pool named after it. */
export async function removeThrowawayVm(vm: ThrowawayVm): Promise<void> {
  const { uri } = vm.host;
  await virsh(uri, 'destroy', vm.name).catch(() => undefined);
  // A VM backed up while it ran has checkpoints: libvirt refuses to undefine it without these.
  await virsh(
    uri,
    'undefine',
    vm.name,
    '--nvram',
    '--checkpoints-metadata',
    '--snapshots-metadata',
  ).catch(() => undefined);
  await virsh(uri, 'pool-refresh', LAB_POOL).catch(() => undefined);
  const volumes = await virsh(uri, 'vol-list', LAB_POOL).catch(() => '');
  for (const match of volumes.matchAll(/^\s*(\S+)\s+\//gm)) {
    if (match[1]!.startsWith(`${vm.name}-`)) {
      await virsh(uri, 'vol-delete', '--pool', LAB_POOL, match[1]!).catch(() => undefined);
    }
  }
  await rm(vm.diskPath, { force: true });
}
