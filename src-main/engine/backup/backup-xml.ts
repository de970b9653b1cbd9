/**
 * The XML documents of libvirt's backup API (https://libvirt.org/formatbackup.html,
 * formatcheckpoint.html): what we send to start a pull-mode backup with a checkpoint, and what
 * libvirt answers about the running backup and about existing checkpoints.
 */
import { HyperkeepError } from '../../../shared/errors';
import { attr, child, children, childText, parseXmlDocument } from '../connectors/libvirt/xml-tree';

function esc(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;')
    .replace(/"/g, '&quot;');
}

/** Where libvirt should serve the NBD exports: a unix socket here, or TCP on a remote host. */
export type NbdServerSpec =
  { transport: 'unix'; socket: string } | { transport: 'tcp'; host: string; port: number };

export interface BackupDiskSpec {
  target: string;
  /** Parent checkpoint for an incremental read of this disk; undefined reads it whole. */
  incrementalFrom?: string;
  /** Where QEMU keeps the old content of blocks the guest overwrites during the backup. */
  scratchFile: string;
}

/**
 * A pull-mode backup of `disks`; every other hard disk of the VM is listed with backup='no'
 * (unlisted disks would be backed up by default). Each disk says full or incremental itself, so
 * a disk that cannot be read incrementally does not force the others to be read whole.
 */
export function buildBackupXml(
  server: NbdServerSpec,
  disks: BackupDiskSpec[],
  otherDisks: string[],
): string {
  const serverXml =
    server.transport === 'unix'
      ? `<server transport='unix' socket='${esc(server.socket)}'/>`
      : `<server transport='tcp' name='${esc(server.host)}' port='${server.port}'/>`;
  const diskXml = disks.map((d) => {
    const mode = d.incrementalFrom
      ? `backupmode='incremental' incremental='${esc(d.incrementalFrom)}'`
      : `backupmode='full'`;
    const scratch = `<scratch file='${esc(d.scratchFile)}'/>`;
    return `<disk name='${esc(d.target)}' backup='yes' type='file' ${mode}>${scratch}</disk>`;
  });
  const skipped = otherDisks.map((t) => `<disk name='${esc(t)}' backup='no'/>`);
  return `<domainbackup mode='pull'>${serverXml}<disks>${[...diskXml, ...skipped].join('')}</disks></domainbackup>`;
}

/** A checkpoint with a dirty bitmap on `tracked` disks and none on `untracked` ones. */
export function buildCheckpointXml(name: string, tracked: string[], untracked: string[]): string {
  const disks = [
    ...tracked.map((t) => `<disk name='${esc(t)}' checkpoint='bitmap'/>`),
    ...untracked.map((t) => `<disk name='${esc(t)}' checkpoint='no'/>`),
  ];
  return (
    `<domaincheckpoint><name>${esc(name)}</name>` +
    `<description>Hyperkeep backup: changes since this point are read by the next incremental</description>` +
    `<disks>${disks.join('')}</disks></domaincheckpoint>`
  );
}

export interface RunningBackupDisk {
  target: string;
  backup: boolean;
  mode: 'full' | 'incremental';
  /** The checkpoint an incremental disk reads changes since. */
  incremental?: string;
  exportName: string;
  /** Dirty bitmap exported with an incremental disk: NBD context qemu:dirty-bitmap:<name>. */
  exportBitmap?: string;
}

export interface RunningBackup {
  server: { transport: 'unix'; socket: string } | { transport: 'tcp'; host: string; port: number };
  disks: RunningBackupDisk[];
}

/** The backup as libvirt runs it (DOMAIN_BACKUP_GET_XML_DESC): export names, bitmaps, port. */
export function parseRunningBackup(xml: string): RunningBackup {
  const root = parseXmlDocument(xml, 'domainbackup', 'backup XML');
  const server = child(root, 'server');
  const transport = attr(server, 'transport') ?? 'tcp';
  let parsedServer: RunningBackup['server'];
  if (transport === 'unix') {
    const socket = attr(server, 'socket');
    if (!socket)
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        'libvirt reported a backup without its NBD socket',
      );
    parsedServer = { transport: 'unix', socket };
  } else {
    const port = Number(attr(server, 'port'));
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `libvirt reported a backup on NBD port "${attr(server, 'port')}"`,
      );
    }
    parsedServer = { transport: 'tcp', host: attr(server, 'name') ?? 'localhost', port };
  }
  const globalIncremental = childText(root, 'incremental');
  const disks = children(child(root, 'disks'), 'disk').map((d): RunningBackupDisk => {
    const target = attr(d, 'name') ?? '';
    const incremental = attr(d, 'incremental') ?? globalIncremental;
    const mode = attr(d, 'backupmode') ?? (incremental ? 'incremental' : 'full');
    return {
      target,
      backup: attr(d, 'backup') !== 'no',
      mode: mode === 'incremental' ? 'incremental' : 'full',
      ...(incremental ? { incremental } : {}),
      exportName: attr(d, 'exportname') ?? target,
      ...(attr(d, 'exportbitmap') ? { exportBitmap: attr(d, 'exportbitmap') } : {}),
    };
  });
  return { server: parsedServer, disks };
}

export interface CheckpointInfo {
  name: string;
  /** Seconds since the epoch, as libvirt writes it. */
  creationTime: string;
  parent?: string;
  /** Disks with a bitmap, and (when asked with the SIZE flag) how many bytes it marks dirty. */
  bitmapDisks: { target: string; bitmap: string; size?: number }[];
}

export function parseCheckpointXml(xml: string): CheckpointInfo {
  const root = parseXmlDocument(xml, 'domaincheckpoint', 'checkpoint XML');
  const name = childText(root, 'name');
  if (!name)
    throw new HyperkeepError('HYPERVISOR_ERROR', 'libvirt returned a checkpoint without a name');
  const bitmapDisks = children(child(root, 'disks'), 'disk')
    .filter((d) => attr(d, 'checkpoint') === 'bitmap')
    .map((d) => {
      const size = attr(d, 'size');
      const target = attr(d, 'name') ?? '';
      return {
        target,
        bitmap: attr(d, 'bitmap') ?? name,
        ...(size !== undefined && /^\d+$/.test(size) ? { size: Number(size) } : {}),
      };
    });
  const parent = childText(child(root, 'parent'), 'name');
  return {
    name,
    creationTime: childText(root, 'creationTime') ?? '',
    ...(parent ? { parent } : {}),
    bitmapDisks,
  };
}
