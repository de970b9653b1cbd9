import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ConflictPolicy, ImageFormat, PathMode } from '../../../shared/domain/restore';
import type { Run } from '../context';
import { usageError } from '../usage';
import { choosePoint, followRestoreJob, restoreSubcommand } from './restore-job';

const FORMATS: ImageFormat[] = ['raw', 'qcow2', 'vmdk', 'vhd', 'vhdx'];

function formatOption(): Option {
  return new Option('--format <format>', 'image format').choices(FORMATS).default('raw');
}

function levels(min: number) {
  return (value: string): number => {
    const n = Number(value);
    // Commander prints this as "option '--strip <n>' argument '…' is invalid. …".
    if (!Number.isInteger(n) || n < min || n > 255)
      throw new InvalidArgumentError(`Give a whole number from ${min} to 255.`);
    return n;
  };
}

interface FilesOptions {
  vm: string;
  point?: string;
  at?: string;
  dest?: string;
  toGuest?: boolean;
  guestVm?: string;
  guestDest?: string;
  strip?: number;
  keepLast?: number;
  overwrite?: boolean;
  skip?: boolean;
  rename?: boolean;
  timestamps: boolean;
  permissions: boolean;
  ownership: boolean;
  wait?: boolean;
}

function conflictOf(o: FilesOptions): ConflictPolicy {
  const chosen = (['overwrite', 'skip', 'rename'] as const).filter((p) => o[p]);
  if (chosen.length > 1) throw usageError('Choose one of --overwrite, --skip or --rename.');
  return chosen[0] ?? 'skip';
}

function pathModeOf(o: FilesOptions): PathMode {
  if (o.strip !== undefined && o.keepLast !== undefined)
    throw usageError('Choose either --strip or --keep-last, not both.');
  if (o.strip !== undefined) return { kind: 'strip', levels: o.strip };
  if (o.keepLast !== undefined) return { kind: 'keepLast', levels: o.keepLast };
  return { kind: 'preserve' };
}

/** --dest on this host, or --to-guest with --guest-dest (and --guest-vm) inside a VM. */
function destinationOf(
  o: FilesOptions,
):
  | { destination: 'local'; dest: string }
  | { destination: 'guest'; dest: string; guestVm?: string } {
  if (!o.toGuest) {
    if (o.guestVm !== undefined || o.guestDest !== undefined)
      throw usageError('--guest-vm and --guest-dest go with --to-guest.');
    if (o.dest === undefined)
      throw usageError(
        'Give the destination folder with --dest, or --to-guest --guest-dest DIR to write into the VM.',
      );
    return { destination: 'local', dest: resolve(o.dest) };
  }
  if (o.dest !== undefined)
    throw usageError(
      '--dest is a folder of this host; with --to-guest give the folder inside the guest with --guest-dest.',
    );
  if (o.guestDest === undefined)
    throw usageError(
      'Give the folder inside the guest with --guest-dest, e.g. --guest-dest /srv/restore.',
    );
  // The path is the guest's, not this host's: passed as typed (the engine checks it).
  return {
    destination: 'guest',
    dest: o.guestDest,
    ...(o.guestVm !== undefined ? { guestVm: o.guestVm } : {}),
  };
}

/** Returns the `restore` command so other restore kinds (vm, pool) can add their subcommands. */
export function registerRestoreCommands(program: Command, run: Run): Command {
  const restore = program.command('restore').description('restore from a restore point');

  restoreSubcommand(
    restore,
    'files',
    'files and folders of a restore point into a folder; PATH starts with the volume: /vda1/etc/hosts',
  )
    .argument('<paths...>', 'browse paths, e.g. /vda1/home/alice /vdb/exports/orders.csv')
    .option('--dest <dir>', 'destination folder on this host (created if missing)')
    .option(
      '--to-guest',
      'write into a running libvirt VM through its QEMU guest agent instead of this host',
    )
    .option('--guest-vm <name>', 'with --to-guest: the VM to write into (default: the --vm)')
    .option('--guest-dest <dir>', 'with --to-guest: the folder inside the guest, e.g. /srv/restore')
    .option(
      '--strip <n>',
      'remove N levels from the beginning (1 drops the volume name)',
      levels(0),
    )
    .option('--keep-last <n>', 'keep only the last N levels of each path', levels(1))
    .option('--overwrite', 'replace files that exist in the destination')
    .option('--skip', 'keep files that exist in the destination (default)')
    .option('--rename', 'restore beside existing files as "name (1).ext"')
    .option('--no-timestamps', 'do not restore modification times')
    .option('--no-permissions', 'do not restore permission bits')
    .option('--no-ownership', 'do not restore owners (only possible as root anyway)')
    .action((paths: string[], o: FilesOptions) =>
      run(async ({ client, json }) => {
        // The command line is checked before the point is looked up and named.
        const destination = destinationOf(o);
        const conflict = conflictOf(o);
        const pathMode = pathModeOf(o);
        const job = await client.call('restore.files', {
          vm: o.vm,
          pointId: await choosePoint(client, o, json),
          paths,
          ...destination,
          conflict,
          pathMode,
          restoreTimestamps: o.timestamps,
          restorePermissions: o.permissions,
          restoreOwnership: o.ownership,
        });
        return followRestoreJob(client, job, o.wait, json);
      }),
    );

  restoreSubcommand(
    restore,
    'volume',
    'a volume (partition or logical volume) of a restore point as an image file',
  )
    .requiredOption('--volume <name>', 'volume, e.g. vda2, vdb, vg0-root')
    .addOption(formatOption())
    .requiredOption('--dest <file>', 'destination image file')
    .option('--overwrite', 'replace an existing file')
    .action(
      (o: {
        vm: string;
        point?: string;
        at?: string;
        volume: string;
        format: ImageFormat;
        dest: string;
        overwrite?: boolean;
        wait?: boolean;
      }) =>
        run(async ({ client, json }) => {
          const job = await client.call('restore.volume', {
            vm: o.vm,
            pointId: await choosePoint(client, o, json),
            volume: o.volume,
            format: o.format,
            dest: resolve(o.dest),
            overwrite: Boolean(o.overwrite),
          });
          return followRestoreJob(client, job, o.wait, json);
        }),
    );

  restoreSubcommand(
    restore,
    'volume-to-device',
    'a volume of a restore point onto a block device of this host (replaces its content)',
  )
    .requiredOption('--volume <name>', 'volume, e.g. vda2')
    .requiredOption(
      '--device <path>',
      'block device, e.g. /dev/sdc1; must not be mounted or in use',
    )
    .requiredOption('--confirm-device <path>', 'the same device path again, to confirm')
    .action(
      (o: {
        vm: string;
        point?: string;
        at?: string;
        volume: string;
        device: string;
        confirmDevice: string;
        wait?: boolean;
      }) =>
        run(async ({ client, json }) => {
          const job = await client.call('restore.volumeToDevice', {
            vm: o.vm,
            pointId: await choosePoint(client, o, json),
            volume: o.volume,
            device: o.device,
            confirmDevice: o.confirmDevice,
          });
          return followRestoreJob(client, job, o.wait, json);
        }),
    );

  restoreSubcommand(restore, 'disk', 'a virtual disk of a restore point as an image file')
    .requiredOption('--disk <target>', 'disk, e.g. vda')
    .addOption(formatOption())
    .requiredOption('--dest <file>', 'destination file')
    .option('--overwrite', 'replace an existing file')
    .action(
      (o: {
        vm: string;
        point?: string;
        at?: string;
        disk: string;
        format: ImageFormat;
        dest: string;
        overwrite?: boolean;
        wait?: boolean;
      }) =>
        run(async ({ client, json }) => {
          const job = await client.call('restore.disk', {
            vm: o.vm,
            pointId: await choosePoint(client, o, json),
            disk: o.disk,
            format: o.format,
            dest: resolve(o.dest),
            overwrite: Boolean(o.overwrite),
          });
          return followRestoreJob(client, job, o.wait, json);
        }),
    );
  return restore;
}
