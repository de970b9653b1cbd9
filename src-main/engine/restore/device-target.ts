import { constants } from 'node:fs';
import { open, readdir, readFile, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { HyperkeepError } from '../../../shared/errors';
import type { ImageSink } from './image-export';

/** What the checks found out about a block device before anything is written to it. */
export interface DeviceInfo {
  path: string;
  sizeBytes: number;
}

const MOUNTINFO = '/proc/self/mountinfo';

function refuse(message: string): HyperkeepError {
  return new HyperkeepError('INVALID_INPUT', message, { field: 'device' });
}

/**
 * FIG. 13B safety checks for a restore onto a block device of this host: the administrator typed
 * the device twice, it is a block device, neither it nor a partition of it is mounted or held
 * (LVM, RAID, dm-crypt), and it is at least as large as the volume.
 */
export async function checkTargetDevice(
  device: string,
  confirmDevice: string,
  neededBytes: number,
): Promise<DeviceInfo> {
  if (device !== confirmDevice)
    throw refuse(
      `The confirmation "${confirmDevice}" does not repeat the device "${device}": type the device path twice to confirm that its content will be replaced.`,
    );
  const path = await realpath(device).catch(() => {
    throw refuse(`${device} does not exist.`);
  });
  const st = await stat(path);
  if (!st.isBlockDevice()) throw refuse(`${device} is not a block device.`);
  const major = Math.floor(st.rdev / 256) & 0xfff;
  const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
  const sysName = basename(path);
  const sysDir = join('/sys/class/block', sysName);
  const partitions = await readdir(sysDir).then(
    (names) => names.filter((n) => n.startsWith(sysName)),
    () => [] as string[],
  );
  const ids = new Set([`${major}:${minor}`]);
  for (const p of partitions) {
    const dev = await readFile(join(sysDir, p, 'dev'), 'utf8').catch(() => '');
    if (dev.trim()) ids.add(dev.trim());
  }
  const mounted = await mountedAt(ids);
  if (mounted)
    throw refuse(
      `${device} is in use: ${mounted.source} is mounted on ${mounted.mountPoint}. Unmount it first.`,
    );
  for (const dir of [sysDir, ...partitions.map((p) => join(sysDir, p))]) {
    const holders = await readdir(join(dir, 'holders')).catch(() => [] as string[]);
    if (holders.length > 0)
      throw refuse(
        `${device} is in use by ${holders.join(', ')} (LVM, RAID or an encrypted mapping). Release it first.`,
      );
  }
  const sectors = Number((await readFile(join(sysDir, 'size'), 'utf8').catch(() => '0')).trim());
  const sizeBytes = sectors * 512;
  if (!(sizeBytes > 0)) throw refuse(`Cannot tell the size of ${device}.`);
  if (sizeBytes < neededBytes)
    throw refuse(
      `${device} holds ${sizeBytes} bytes, less than the ${neededBytes} bytes of the volume.`,
    );
  return { path, sizeBytes };
}

async function mountedAt(
  ids: Set<string>,
): Promise<{ source: string; mountPoint: string } | undefined> {
  const text = await readFile(MOUNTINFO, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    // "36 35 98:0 /mnt1 /mnt/parent rw … - ext3 /dev/root rw": field 3 is major:minor.
    const fields = line.split(' ');
    const id = fields[2];
    if (id && ids.has(id)) {
      const dash = fields.indexOf('-');
      return { source: fields[dash + 2] ?? id, mountPoint: unescapeMount(fields[4] ?? '?') };
    }
  }
  return undefined;
}

function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Writes onto the device opened with O_EXCL: Linux then refuses the open while anything else
 * (a mount, device-mapper, another exclusive opener) holds it, and holds it for us meanwhile.
 */
export class DeviceSink implements ImageSink {
  private constructor(private readonly handle: FileHandle) {}

  static async open(info: DeviceInfo): Promise<DeviceSink> {
    try {
      return new DeviceSink(await open(info.path, constants.O_WRONLY | constants.O_EXCL));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw refuse(
        code === 'EBUSY'
          ? `${info.path} is in use by another program or a mount; release it first.`
          : `Cannot open ${info.path} for writing: ${(err as Error).message}`,
      );
    }
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(
        data,
        done,
        data.length - done,
        offset + done,
      );
      done += bytesWritten;
    }
  }

  async finish(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
