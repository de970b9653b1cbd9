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
}

export interface LabInfo {
  dir: string;
  hosts: LabHost[];
  vms: LabVm[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabInfo;
  }
}
