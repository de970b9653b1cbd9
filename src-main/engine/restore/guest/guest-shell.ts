/**
 * What the guest agent's file commands cannot do (create folders, test whether names exist, make
 * symlinks, set owners, modes and times) done by programs run with guest-exec, many paths per
 * run: each run costs several agent round trips, so a thousand files must not cost a thousand.
 *
 * Paths never pass through a command line the guest parses. On Linux they are arguments of a
 * fixed /bin/sh script ("$@"), so no name can become shell syntax. On Windows they are literals
 * of a PowerShell script sent as -EncodedCommand (UTF-16LE base64), quoted by doubling every kind
 * of single quote PowerShell accepts.
 */
import { HyperkeepError } from '../../../../shared/errors';
import type { GuestAgent } from '../../connectors/libvirt/guest-agent';
import type { GuestPathStyle } from './guest-paths';

/** Bytes of paths per run: well inside Linux's 128 KiB per argument and 2 MiB in all. */
const POSIX_BATCH_BYTES = 96 * 1024;
/** Windows' command line ends at 32767 characters; base64 of UTF-16 is 8/3 of the script. */
const WINDOWS_BATCH_CHARS = 9000;

export interface MetaItem {
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
}

/** What a metadata run could not apply, by item path. */
export interface MetaFailure {
  path: string;
  what: 'owner' | 'permissions' | 'time';
}

/** Splits items into runs whose joined size stays under the budget. */
export function batches<T>(items: readonly T[], size: (t: T) => number, budget: number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const s = size(item) + 1;
    if (current.length > 0 && used + s > budget) {
      out.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += s;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** A PowerShell single-quoted literal: every quote PowerShell treats as one is doubled. */
export function powershellLiteral(text: string): string {
  return `'${text.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

/** The arguments of `powershell.exe -EncodedCommand` for a script. */
export function powershellArgs(script: string): string[] {
  // Output as UTF-8 so names outside the console code page come back intact.
  const full = `$ProgressPreference='SilentlyContinue';[Console]::OutputEncoding=[Text.Encoding]::UTF8;${script}`;
  return [
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-EncodedCommand',
    Buffer.from(full, 'utf16le').toString('base64'),
  ];
}

const POWERSHELL = 'powershell.exe';
const SH = '/bin/sh';

/** NUL-separated output (what the scripts print) as a list. */
function nulList(out: Buffer): string[] {
  return out
    .toString('utf8')
    .split('\0')
    .filter((s) => s !== '');
}

export class GuestShell {
  constructor(
    private readonly agent: GuestAgent,
    readonly style: GuestPathStyle,
    private readonly signal?: AbortSignal,
  ) {}

  private async run(
    path: string,
    args: string[],
    what: string,
    // null: not cancellable (an explicit undefined would take the default).
    signal: AbortSignal | null = this.signal ?? null,
  ): Promise<Buffer> {
    const r = await this.agent.exec(path, args, signal ? { signal } : {});
    if (r.exitCode !== 0)
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `${what} failed in VM ${this.agent.vmName} (exit ${r.exitCode}): ${r.stderr.toString('utf8').trim().slice(0, 500) || 'no message'}`,
      );
    return r.stdout;
  }

  private async each<T>(
    items: readonly T[],
    text: (t: T) => string,
    work: (batch: T[]) => Promise<void>,
  ): Promise<void> {
    const budget = this.style === 'windows' ? WINDOWS_BATCH_CHARS : POSIX_BATCH_BYTES;
    const size = (t: T) =>
      this.style === 'windows' ? text(t).length + 40 : Buffer.byteLength(text(t), 'utf8') + 24;
    for (const batch of batches(items, size, budget)) {
      if (this.signal?.aborted) throw this.signal.reason;
      await work(batch);
    }
  }

  /** Creates the folders (and their parents); returns those that could not be created. */
  mkdirs(paths: readonly string[]): Promise<Set<string>> {
    return this.pathsPrinted(paths, 'Creating folders', {
      powershell: (list) =>
        `foreach($p in @(${list})){try{[void][IO.Directory]::CreateDirectory($p)}catch{[Console]::Out.Write($p+[char]0)}}`,
      sh: 'for p do mkdir -p -- "$p" 2>/dev/null || printf "%s\\0" "$p"; done',
    });
  }

  /** Which of the paths exist (as anything, dangling symlinks included). */
  existing(paths: readonly string[]): Promise<Set<string>> {
    return this.pathsPrinted(paths, 'Looking for existing files', {
      powershell: (list) =>
        `foreach($p in @(${list})){if(Test-Path -LiteralPath $p){[Console]::Out.Write($p+[char]0)}}`,
      sh: 'for p do if [ -e "$p" ] || [ -L "$p" ]; then printf "%s\\0" "$p"; fi; done',
    });
  }

  /**
   * Runs a loop over `paths` in the guest, in batches, and returns the paths it printed
   * (NUL-separated): PowerShell gets the batch as a list of literals, sh as its arguments.
   */
  private async pathsPrinted(
    paths: readonly string[],
    what: string,
    script: { powershell: (list: string) => string; sh: string },
  ): Promise<Set<string>> {
    const printed = new Set<string>();
    await this.each(
      paths,
      (p) => p,
      async (batch) => {
        const out =
          this.style === 'windows'
            ? await this.run(
                POWERSHELL,
                powershellArgs(script.powershell(batch.map(powershellLiteral).join(','))),
                what,
              )
            : await this.run(SH, ['-c', script.sh, 'sh', ...batch], what);
        for (const p of nulList(out)) printed.add(p);
      },
    );
    return printed;
  }

  /**
   * A symbolic link; `replace` removes a file or link at `path` first (overwrite policy). A folder
   * in the way is never replaced, and ln is never handed an existing folder: it would put the link
   * inside it. A refusal (INVALID_INPUT) carries the reason the item is skipped.
   */
  async symlink(target: string, path: string, replace: boolean): Promise<void> {
    if (this.style === 'windows')
      throw new HyperkeepError(
        'INVALID_INPUT',
        'symbolic links are not restored into Windows guests',
      );
    if (target === '' || target.includes('\0'))
      throw new HyperkeepError('INVALID_INPUT', 'the link target is empty or contains a NUL byte');
    const script = [
      'if [ -d "$2" ] && [ ! -L "$2" ]; then echo "a folder of that name is in the way" >&2; exit 3; fi',
      replace
        ? 'rm -f -- "$2" || exit 1'
        : 'if [ -e "$2" ] || [ -L "$2" ]; then echo "it already exists in the destination" >&2; exit 3; fi',
      'ln -s -- "$1" "$2"',
    ].join('\n');
    const r = await this.agent.exec(SH, ['-c', script, 'sh', target, path], {
      signal: this.signal,
    });
    const why = r.stderr.toString('utf8').trim().slice(0, 500);
    if (r.exitCode === 3) throw new HyperkeepError('INVALID_INPUT', why);
    if (r.exitCode !== 0)
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `Creating a symbolic link failed in VM ${this.agent.vmName}: ${why || `exit ${r.exitCode}`}`,
      );
  }

  /**
   * Removes a file left half-written by a failed or cancelled restore. Not bound to the restore's
   * signal: after a cancel this is exactly what must still run.
   */
  async removeFile(path: string): Promise<void> {
    if (this.style === 'windows')
      await this.run(
        POWERSHELL,
        powershellArgs(`Remove-Item -LiteralPath ${powershellLiteral(path)} -Force`),
        'Removing a partial file',
        null,
      );
    else await this.run(SH, ['-c', 'rm -f -- "$1"', 'sh', path], 'Removing a partial file', null);
  }

  /**
   * Owners, then modes (chown clears set-id bits), then modification times. On Windows only the
   * times: Linux owners and modes have no meaning there.
   */
  async applyMeta(items: readonly MetaItem[], want: MetaWanted): Promise<MetaFailure[]> {
    const failures: MetaFailure[] = [];
    if (this.style === 'windows') {
      const timed = items.filter((i) => i.mtime && i.kind !== 'symlink' && want.timestamps);
      await this.each(
        timed,
        (i) => i.path,
        async (batch) => {
          const lines = batch.map((i) => {
            const api = i.kind === 'dir' ? 'Directory' : 'File';
            const ticks = BigInt(i.mtime!.getTime()) * 10_000n + 116_444_736_000_000_000n;
            return `try{[IO.${api}]::SetLastWriteTimeUtc(${powershellLiteral(i.path)},[DateTime]::FromFileTimeUtc(${ticks}))}catch{[Console]::Out.Write('time'+[char]0+${powershellLiteral(i.path)}+[char]0)}`;
          });
          const out = await this.run(POWERSHELL, powershellArgs(lines.join(';')), 'Setting times');
          failures.push(...pairs(out));
        },
      );
      return failures;
    }
    // Five arguments per item: path, uid:gid or "-", octal mode or "-", epoch seconds or "-",
    // and "l" for a symlink (whose mode and time are not set: chmod and touch would follow it).
    const args = items.flatMap((i) => [
      i.path,
      want.ownership && i.uid !== undefined && i.gid !== undefined ? `${i.uid}:${i.gid}` : '-',
      want.permissions && i.mode !== undefined && i.kind !== 'symlink'
        ? (i.mode & 0o7777).toString(8)
        : '-',
      want.timestamps && i.mtime && i.kind !== 'symlink'
        ? String(Math.floor(i.mtime.getTime() / 1000))
        : '-',
      i.kind === 'symlink' ? 'l' : '-',
    ]);
    const script = [
      'while [ $# -ge 5 ]; do',
      '  if [ "$2" != - ]; then chown -h -- "$2" "$1" 2>/dev/null || printf "owner\\0%s\\0" "$1"; fi',
      '  if [ "$3" != - ]; then chmod -- "$3" "$1" 2>/dev/null || printf "permissions\\0%s\\0" "$1"; fi',
      '  if [ "$4" != - ]; then touch -c -d "@$4" -- "$1" 2>/dev/null || printf "time\\0%s\\0" "$1"; fi',
      '  shift 5',
      'done',
    ].join('\n');
    const groups: string[][] = [];
    for (let i = 0; i < args.length; i += 5) groups.push(args.slice(i, i + 5));
    await this.each(
      groups,
      (g) => g.join(' '),
      async (batch) => {
        const out = await this.run(
          SH,
          ['-c', script, 'sh', ...batch.flat()],
          'Setting owners, modes and times',
        );
        failures.push(...pairs(out));
      },
    );
    return failures;
  }
}

export interface MetaWanted {
  timestamps: boolean;
  permissions: boolean;
  ownership: boolean;
}

function pairs(out: Buffer): MetaFailure[] {
  const list = nulList(out);
  const failures: MetaFailure[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    const what = list[i];
    if (what === 'owner' || what === 'permissions' || what === 'time')
      failures.push({ what, path: list[i + 1]! });
  }
  return failures;
}
