/**
 * The tools Hyperkeep is compared with, run the way their documentation says, each in its own
 * directory under the benchmark's scratch folder:
 * - virtnbdbackup (libvirt pull-mode backup over NBD, like Hyperkeep): `-l full -z` then `-l inc`.
 *   It needs a libvirt URI: the lab host's session daemon through its unix socket. A `qemu+unix`
 *   URI makes virtnbdbackup demand --user/--password (it then calls openAuth), which the lab's
 *   daemon does not need; `qemu:///session?socket=…` is the same daemon over the same socket and
 *   makes it use a plain open. It runs on the same machine as the daemon, so it asks QEMU for a
 *   unix NBD socket and a scratch file in /var/tmp, both of which the lab account can create.
 * - restic and borg back up the VM's image file (the qcow2 QEMU has open), the file-level way of
 *   protecting a VM. restic always encrypts (password from HK_BENCH_PASSPHRASE); borg runs with
 *   `-e none`, its fastest mode.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { measureCommand, type CommandMeasure } from './measure';

export function sessionUri(socketPath: string): string {
  return `qemu:///session?socket=${socketPath}`;
}

export class Peers {
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly dir: string,
    passphrase: string,
  ) {
    this.env = {
      ...process.env,
      LC_ALL: 'C',
      RESTIC_PASSWORD: passphrase,
      // Caches and configuration inside the scratch folder, not in the user's home.
      XDG_CACHE_HOME: join(dir, 'cache'),
      BORG_BASE_DIR: join(dir, 'borg-home'),
      BORG_PASSPHRASE: '',
      BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
      BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
    };
  }

  get virtnbdbackupDir(): string {
    return join(this.dir, 'virtnbdbackup');
  }

  async virtnbdbackup(uri: string, vm: string, level: 'full' | 'inc'): Promise<CommandMeasure> {
    await mkdir(this.virtnbdbackupDir, { recursive: true });
    const args = ['-U', uri, '-d', vm, '-l', level, '-o', this.virtnbdbackupDir, '-n'];
    if (level === 'full') args.push('-z');
    return measureCommand('virtnbdbackup', args, { env: this.env });
  }

  async resticBackup(file: string): Promise<CommandMeasure> {
    const repo = join(this.dir, 'restic');
    await measureCommand('restic', ['-r', repo, 'init', '-q'], { env: this.env });
    return measureCommand('restic', ['-r', repo, 'backup', '-q', file], { env: this.env });
  }

  async resticRestore(target: string): Promise<CommandMeasure> {
    await mkdir(target, { recursive: true });
    const repo = join(this.dir, 'restic');
    return measureCommand(
      'sh',
      ['-c', 'restic -r "$1" restore latest -q --target "$2" && sync -f "$2"', 'sh', repo, target],
      { env: this.env },
    );
  }

  async borgCreate(file: string): Promise<CommandMeasure> {
    const repo = join(this.dir, 'borg');
    await measureCommand('borg', ['init', '-e', 'none', repo], { env: this.env });
    return measureCommand('borg', ['create', `${repo}::full`, file], { env: this.env });
  }

  async borgExtract(target: string): Promise<CommandMeasure> {
    await mkdir(target, { recursive: true });
    const repo = join(this.dir, 'borg');
    return measureCommand('sh', ['-c', 'borg extract "$1::full" && sync -f .', 'sh', repo], {
      env: this.env,
      cwd: target,
    });
  }
}
