import { HyperkeepError } from '../../shared/errors';
import type { LabImageName } from './image-recipes';

/** The lab's two hypervisor hosts, in start order. */
export const LAB_HOSTS = ['lab-host-1', 'lab-host-2'] as const;
export type LabHostName = (typeof LAB_HOSTS)[number];

/** Namespace of the lab's custom <metadata> element, as a management tool would add one. */
export const LAB_METADATA_NS = 'https://hyperkeep.dev/ns/lab';

export interface LabVmSpec {
  name: string;
  host: LabHostName;
  title: string;
  description: string;
  tags: string[];
  memoryMiB: number;
  vcpus: number;
  /** Whether the VM runs after the lab starts; the others are defined but powered off. */
  running: boolean;
  disks: { target: string; image: LabImageName }[];
}

/** Small VMs with no OS inside: SeaBIOS finds no boot sector and idles, which is all we need. */
export const LAB_VMS: LabVmSpec[] = [
  {
    name: 'lab-web-01',
    host: 'lab-host-1',
    title: 'Web front end',
    description: 'Debian 12 web server serving the public site; home of user alice.',
    tags: ['web', 'prod'],
    memoryMiB: 128,
    vcpus: 1,
    running: true,
    disks: [{ target: 'vda', image: 'web-01-vda' }],
  },
  {
    name: 'lab-db-01',
    host: 'lab-host-1',
    title: 'PostgreSQL database',
    description: 'Debian 12 database server; data lives on its second disk (vdb).',
    tags: ['db', 'prod'],
    memoryMiB: 128,
    vcpus: 1,
    running: true,
    disks: [
      { target: 'vda', image: 'db-01-vda' },
      { target: 'vdb', image: 'db-01-vdb' },
    ],
  },
  {
    name: 'lab-archive-01',
    host: 'lab-host-1',
    title: 'Archive server',
    description: 'Powered-off archive of closed ledgers, started only for audits.',
    tags: ['archive'],
    memoryMiB: 64,
    vcpus: 1,
    running: false,
    disks: [{ target: 'vda', image: 'archive-01-vda' }],
  },
  {
    name: 'lab-win-01',
    host: 'lab-host-2',
    title: 'Windows file server',
    description: 'Windows-style disk: NTFS system partition and a FAT32 data partition.',
    tags: ['windows', 'files'],
    memoryMiB: 96,
    vcpus: 1,
    running: true,
    disks: [{ target: 'vda', image: 'win-01-vda' }],
  },
];

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * The domain XML of a lab VM. No <cpu> element: QEMU's default model, because `host`/`max` crash
 * on our KVM hosts. A user-mode NIC needs no root networking (no bridge, no dnsmasq).
 */
export function domainXml(
  spec: LabVmSpec,
  diskPaths: Record<string, string>,
  domainType: 'kvm' | 'qemu',
): string {
  const disks = spec.disks.map((d) => {
    const path = diskPaths[d.target];
    if (!path) throw new HyperkeepError('INTERNAL', `No disk file for ${spec.name} ${d.target}`);
    return `    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='${escapeXml(path)}'/>
      <target dev='${d.target}' bus='virtio'/>
    </disk>`;
  });
  return `<domain type='${domainType}'>
  <name>${escapeXml(spec.name)}</name>
  <title>${escapeXml(spec.title)}</title>
  <description>${escapeXml(spec.description)}</description>
  <metadata>
    <hk:tags xmlns:hk="${LAB_METADATA_NS}">${escapeXml(spec.tags.join(','))}</hk:tags>
  </metadata>
  <memory unit='MiB'>${spec.memoryMiB}</memory>
  <vcpu>${spec.vcpus}</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
${disks.join('\n')}
    <interface type='user'>
      <model type='virtio'/>
    </interface>
    <serial type='pty'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}
