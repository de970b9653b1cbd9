/**
 * Lab-side actions for the backup tests, done the way an administrator would: virsh, qemu-img,
 * HMP qemu-io. Plus restoring a disk from the repository into a sparse raw file to compare.
 */
import { chmod, chown, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { run, virsh } from '../../harness/exec';
import { backupVm } from '../../../src-main/engine/backup/backup-vm';
import type { BackupSettings } from '../../../src-main/engine/backup/types';
import { createLibvirtConnector } from '../../../src-main/engine/connectors/libvirt/libvirt-connector';
import type { Repository } from '../../../src-main/engine/repository/repository';

const PIECE = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(PIECE);

/** Writes one disk of a restore point to a sparse raw file (all-zero pieces left as holes). */
export async function restoreDisk(
  repository: Repository,
  pointId: string,
  disk: string,
  out: string,
): Promise<void> {
  const reader = await repository.openDisk(pointId, disk);
  const fh = await open(out, 'w');
  try {
    await fh.truncate(reader.size);
    for (let at = 0; at < reader.size; at += PIECE) {
      const n = Math.min(PIECE, reader.size - at);
      const data = await reader.read(at, n);
      if (Buffer.compare(data, ZEROS.subarray(0, n)) !== 0) await fh.write(data, 0, n, at);
    }
  } finally {
    await fh.close();
    await reader.close();
  }
}

/** qemu-img compare of a restored raw image with the VM's qcow2 (read while QEMU has it open). */
export async function expectSameContent(raw: string, qcow2: string): Promise<void> {
  const { stdout } = await run('qemu-img', [
    'compare',
    '-U',
    '-f',
    'raw',
    '-F',
    'qcow2',
    raw,
    qcow2,
  ]);
  expect(stdout).toContain('Images are identical');
}

/**
 * Restores and compares every disk of a point while the VM is paused, so nothing writes to the
 * image between our look at it and the comparison.
 */
export async function expectPointMatchesVm(
  repository: Repository,
  pointId: string,
  disks: { target: string; path: string }[],
  scratch: string,
  pause?: { uri: string; vm: string },
): Promise<void> {
  if (pause) await virsh(pause.uri, 'suspend', pause.vm);
  try {
    for (const d of disks) {
      const out = join(scratch, `${pointId}-${d.target}.raw`);
      await restoreDisk(repository, pointId, d.target, out);
      await expectSameContent(out, d.path);
      await rm(out, { force: true });
    }
  } finally {
    if (pause) await virsh(pause.uri, 'resume', pause.vm);
  }
}

/** HMP qemu-io on a running VM's virtio disk; HMP reports errors as ordinary output. */
export async function qemuIo(
  uri: string,
  vm: string,
  device: string,
  command: string,
): Promise<void> {
  const out = await virsh(
    uri,
    'qemu-monitor-command',
    '--hmp',
    vm,
    `qemu-io -d ${device}/virtio-backend "${command}"`,
  );
  expect(out, `qemu-io ${command}`).not.toMatch(/error|not found|failed|invalid/i);
}

export async function checkpointNames(uri: string, vm: string): Promise<string[]> {
  const out = await virsh(uri, 'checkpoint-list', vm, '--name');
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** A subclient's settings as tests use them: two readers, no hooks, nothing kept on failure. */
export const TEST_BACKUP_SETTINGS: BackupSettings = {
  keepSnapshotsOnFailure: false,
  dataReaders: 2,
  excludeDisks: [],
  preCommand: '',
  postCommand: '',
  timeoutSeconds: 30,
};

/**
 * A full backup of a running lab VM into `repository` (closed afterwards), then the VM's
 * checkpoints removed so other tests see it as the lab made it. Returns the point id.
 */
export async function fullBackupOfLabVm(
  hostUri: string,
  vm: { uuid: string; name: string },
  repository: Repository,
): Promise<string> {
  const connector = createLibvirtConnector({ type: 'libvirt', uri: hostUri });
  try {
    const result = await backupVm({
      connector,
      vmUuid: vm.uuid,
      repository,
      forceFull: true,
      settings: TEST_BACKUP_SETTINGS,
      signal: new AbortController().signal,
      onProgress: () => undefined,
      log: () => undefined,
    });
    return result.pointId;
  } finally {
    await repository.close();
    await connector.close();
    await deleteOurCheckpoints(hostUri, vm.name).catch(() => undefined);
  }
}

/** Removes Hyperkeep's checkpoints from a lab VM so other tests see it as the lab made it. */
export async function deleteOurCheckpoints(uri: string, vm: string): Promise<void> {
  for (const name of await checkpointNames(uri, vm)) {
    if (name.startsWith('hk-')) await virsh(uri, 'checkpoint-delete', vm, name);
  }
}

export interface ScratchVm {
  name: string;
  disk: string;
  dir: string;
  destroy(): Promise<void>;
}

const MiB = 1024 * 1024;

/** Where the scratch VM's disk holds random data, [offset, length] in MiB: 24 MiB in all. */
export const DATA_REGIONS_MIB = [
  [0, 8],
  [128, 12],
  [400, 4],
] as const;

/**
 * A running VM of our own on a lab host (the lab's VMs hold file systems other tests read, so
 * writes go here): a 512 MiB qcow2 with 24 MiB of random data in three places and zeros
 * elsewhere, owned by the lab account that runs QEMU.
 */
export async function createScratchVm(
  uri: string,
  name: string,
  ownerOf: string,
  accel: 'kvm' | 'tcg',
): Promise<ScratchVm> {
  const dir = await mkdtemp(join(tmpdir(), 'hk-backup-vm-'));
  await chmod(dir, 0o755);
  const raw = join(dir, 'seed.raw');
  const disk = join(dir, `${name}-vda.qcow2`);
  await run('truncate', ['-s', `${512 * MiB}`, raw]);
  for (const [offsetMiB, sizeMiB] of DATA_REGIONS_MIB) {
    await run('dd', [
      'if=/dev/urandom',
      `of=${raw}`,
      'bs=1M',
      `seek=${offsetMiB}`,
      `count=${sizeMiB}`,
      'conv=notrunc',
      'status=none',
    ]);
  }
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, disk]);
  await rm(raw);
  const owner = await stat(ownerOf);
  await chown(disk, owner.uid, owner.gid);
  const xml = join(dir, 'domain.xml');
  await writeFile(
    xml,
    `<domain type='${accel === 'kvm' ? 'kvm' : 'qemu'}'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>`,
  );
  await virsh(uri, 'define', xml);
  await virsh(uri, 'start', name);
  return {
    name,
    disk,
    dir,
    destroy: async () => {
      await virsh(uri, 'destroy', name).catch(() => undefined);
      await virsh(uri, 'undefine', name, '--checkpoints-metadata').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
