/**
 * What a running lab looks like, as written to <labDir>/lab.json by `make lab` and by the test
 * global setup (which hands it to tests through vitest's `inject('lab')`).
 */
export interface LabHost {
  /** Name to register in Hyperkeep, e.g. "lab-host-1". */
  name: string;
  /** libvirt URI over the unix socket, e.g. qemu+unix:///session?socket=/…/libvirt-sock */
  uri: string;
  socketPath: string;
  /** qemu+tcp://127.0.0.1:PORT/session when the host also listens on loopback TCP */
  tcpUri?: string;
  pidFile: string;
}

export interface LabDisk {
  target: string; // vda, vdb
  path: string; // image file
  format: 'qcow2' | 'raw';
  capacityBytes: number;
  partitionTable: 'gpt' | 'mbr' | 'none';
  /** file systems on the disk in partition order, e.g. ['ext4'] or ['ntfs', 'vfat'] */
  filesystems: string[];
  /** Where each file system lives on the disk (virtual offsets, i.e. as the guest sees it). */
  partitions?: LabPartition[];
}

export interface LabPartition {
  /** 1-based partition number; 0 for a file system written on the whole disk (no table). */
  number: number;
  offsetBytes: number;
  sizeBytes: number;
  filesystem: string;
  label: string;
}

export interface LabVm {
  name: string;
  uuid: string;
  /** LabHost.name */
  host: string;
  running: boolean;
  vcpus: number;
  memoryBytes: number;
  disks: LabDisk[];
  /** <title>, <description> and the comma-separated <hk:tags> of the domain XML. */
  title?: string;
  description?: string;
  tags?: string[];
}

export interface LabInfo {
  dir: string;
  hosts: LabHost[];
  vms: LabVm[];
  /** 'kvm' when /dev/kvm was usable by the lab's QEMU, else 'tcg' (software emulation). */
  accel?: 'kvm' | 'tcg';
  /** The account libvirtd and QEMU run as (hyperkeep-lab when the lab was started by root). */
  user?: string;
  /** ISO time the lab was (cold) started. */
  startedAt?: string;
  /** Hash of the disk recipes the images were built from; a running lab with another is rebuilt. */
  recipe?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabInfo;
  }
}
