import { z } from 'zod';

export const PowerState = z.enum([
  'running',
  'blocked',
  'paused',
  'shutdown', // shutting down
  'shutoff',
  'crashed',
  'suspended', // pmsuspended
  'unknown',
]);
export type PowerState = z.infer<typeof PowerState>;

export const VirtualDisk = z.object({
  /** Guest device name: vda, sda, hdc… */
  target: z.string(),
  bus: z.string(),
  device: z.enum(['disk', 'cdrom', 'floppy', 'lun']),
  /** Image format as the hypervisor reports it: qcow2, raw, vmdk… */
  format: z.string(),
  /** File path, volume, or network source as written in the VM's configuration. */
  path: z.string(),
  capacityBytes: z.number().nonnegative(),
  allocationBytes: z.number().nonnegative().optional(),
  readonly: z.boolean(),
});
export type VirtualDisk = z.infer<typeof VirtualDisk>;

export const NetworkInterface = z.object({
  mac: z.string(),
  model: z.string().optional(),
  /** network name, bridge or other source, as configured */
  source: z.string().optional(),
  type: z.string(),
});
export type NetworkInterface = z.infer<typeof NetworkInterface>;

/** The shared VM model every connector fills in. */
export const VirtualMachine = z.object({
  uuid: z.string(),
  name: z.string(),
  hypervisorId: z.string(),
  hypervisorName: z.string(),
  /** hostname of the host the VM lives on */
  host: z.string(),
  powerState: PowerState,
  vcpus: z.number().int().nonnegative(),
  memoryBytes: z.number().nonnegative(),
  disks: z.array(VirtualDisk),
  nics: z.array(NetworkInterface),
  /** Sum of the disks' capacities */
  provisionedBytes: z.number().nonnegative(),
  osType: z.string().optional(), // libvirt <os><type>: hvm, xen…
  guestOs: z.string().optional(), // from libosinfo metadata or later from the file systems
  title: z.string().optional(),
  description: z.string().optional(),
  /** libvirt <metadata> children / vSphere custom attributes, flattened to key → text */
  metadata: z.record(z.string(), z.string()),
  firmware: z.string().optional(),
});
export type VirtualMachine = z.infer<typeof VirtualMachine>;
