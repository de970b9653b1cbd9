/**
 * The QEMU guest agent of one running libvirt domain, reached through libvirt's
 * QEMU_DOMAIN_AGENT_COMMAND (no in-guest network, no credentials): ping, info, file open / write /
 * seek / close, and programs run with guest-exec. Every reply is checked before it is trusted:
 * the guest is as hostile as the data it holds.
 */
import { HyperkeepError } from '../../../../shared/errors';
import { QEMU_DOMAIN_AGENT_COMMAND } from './guest-agent-procedures';
import {
  DOMAIN_GET_STATE,
  DomainState,
  invoke,
  type DomainRef,
  type RpcCaller,
} from './procedures';

/** libvirt's virErrorNumber values an agent call can end with. */
const VIR_ERR_OPERATION_INVALID = 55;
const VIR_ERR_ARGUMENT_UNSUPPORTED = 67;
const VIR_ERR_AGENT_UNRESPONSIVE = 86;

/**
 * Bytes per guest-file-write. Measured with qemu-ga 7.2 through libvirt 9.0: a command whose JSON
 * exceeds 256 KiB is never answered (libvirt then times out and marks the agent "not available
 * for now"); 128 KiB of data is 171 KiB of base64, well inside.
 */
export const AGENT_WRITE_MAX = 128 * 1024;
const DEFAULT_TIMEOUT_S = 30;
const PING_TIMEOUT_S = 5;
/** guest-exec-status polls: quick at first (mkdir returns in ms), then backing off. */
const EXEC_POLL_FIRST_MS = 5;
const EXEC_POLL_MAX_MS = 200;
const EXEC_TIMEOUT_MS = 120_000;

export interface AgentCallOptions {
  signal?: AbortSignal;
  timeoutSeconds?: number;
}

export interface GuestOsInfo {
  /** guest-get-osinfo `id`: debian, ubuntu, mswindows… */
  id: string;
  name: string;
  kernelRelease: string;
  windows: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

export class GuestAgent {
  constructor(
    private readonly rpc: RpcCaller,
    readonly dom: DomainRef,
  ) {}

  get vmName(): string {
    return this.dom.name;
  }

  /** One agent command; resolves with its `return` value, rejects with the agent's error. */
  async command(execute: string, args?: object, options: AgentCallOptions = {}): Promise<unknown> {
    const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_S;
    const cmd = JSON.stringify(args ? { execute, arguments: args } : { execute });
    let reply: string | null;
    try {
      reply = await invoke(
        this.rpc,
        QEMU_DOMAIN_AGENT_COMMAND,
        { dom: this.dom, cmd, timeoutSeconds },
        { signal: options.signal, timeoutMs: (timeoutSeconds + 15) * 1000 },
      );
    } catch (err) {
      throw this.explain(err, execute);
    }
    if (reply === null)
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `The QEMU guest agent in VM ${this.vmName} sent no reply to ${execute}.`,
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply);
    } catch {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `The QEMU guest agent in VM ${this.vmName} answered ${execute} with text that is not JSON.`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || !('return' in parsed))
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `The QEMU guest agent in VM ${this.vmName} answered ${execute} without a result.`,
      );
    return parsed.return;
  }

  /** Throws "the QEMU guest agent is not running in VM X" when the VM or its agent is not there. */
  async ping(options: AgentCallOptions = {}): Promise<void> {
    const { state } = await invoke(this.rpc, DOMAIN_GET_STATE, { dom: this.dom });
    if (state !== DomainState.RUNNING && state !== DomainState.BLOCKED)
      throw new HyperkeepError(
        'INVALID_INPUT',
        `VM ${this.vmName} is not running: start it to restore files into it through its QEMU guest agent.`,
        { reason: 'VM_NOT_RUNNING' },
      );
    try {
      await this.command('guest-ping', undefined, {
        ...options,
        timeoutSeconds: options.timeoutSeconds ?? PING_TIMEOUT_S,
      });
    } catch (err) {
      if (err instanceof HyperkeepError && err.code === 'CANCELLED') throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `The QEMU guest agent is not running in VM ${this.vmName} (${why}). Install and start qemu-guest-agent in the guest, and give the VM an org.qemu.guest_agent.0 channel.`,
        { reason: 'AGENT_NOT_RUNNING' },
      );
    }
  }

  /** The agent's version and the commands it has enabled (guest-info). */
  async info(options?: AgentCallOptions): Promise<{ version: string; commands: Set<string> }> {
    const info = (await this.command('guest-info', undefined, options)) as {
      version?: unknown;
      supported_commands?: { name?: unknown; enabled?: unknown }[];
    };
    const commands = new Set<string>();
    for (const c of Array.isArray(info.supported_commands) ? info.supported_commands : [])
      if (typeof c.name === 'string' && c.enabled !== false) commands.add(c.name);
    return { version: typeof info.version === 'string' ? info.version : 'unknown', commands };
  }

  /** guest-get-osinfo; agents older than 2.10 lack it, and then the guest is taken for Linux. */
  async osInfo(options?: AgentCallOptions): Promise<GuestOsInfo> {
    try {
      const os = (await this.command('guest-get-osinfo', undefined, options)) as Record<
        string,
        unknown
      >;
      const text = (k: string) => (typeof os[k] === 'string' ? (os[k] as string) : '');
      const id = text('id');
      return {
        id,
        name: text('pretty-name') || text('name') || id,
        kernelRelease: text('kernel-release'),
        windows: id === 'mswindows' || /windows/i.test(text('kernel-version')),
      };
    } catch (err) {
      if (err instanceof HyperkeepError && err.code === 'CANCELLED') throw err;
      return { id: '', name: '', kernelRelease: '', windows: false };
    }
  }

  /** guest-file-open; modes as fopen(3) takes them ("w" truncates, "r" reads). */
  async fileOpen(path: string, mode: string, options?: AgentCallOptions): Promise<number> {
    const handle = await this.command('guest-file-open', { path, mode }, options);
    if (typeof handle !== 'number' || !Number.isSafeInteger(handle))
      throw this.malformed('guest-file-open');
    return handle;
  }

  /**
   * Writes all of `data` at the handle's position, in commands of at most AGENT_WRITE_MAX bytes;
   * a short write is continued. `onWritten` hears of every command's bytes (progress at the
   * agent's pace, which can be well under 1 MiB/s).
   */
  async fileWrite(
    handle: number,
    data: Uint8Array,
    options?: AgentCallOptions & { onWritten?: (bytes: number) => void },
  ): Promise<void> {
    // Bounded: every pass writes at least one byte or throws.
    for (let done = 0; done < data.length;) {
      const length = Math.min(AGENT_WRITE_MAX, data.length - done);
      const piece = Buffer.from(data.buffer, data.byteOffset + done, length);
      const reply = (await this.command(
        'guest-file-write',
        { handle, 'buf-b64': piece.toString('base64') },
        options,
      )) as { count?: unknown };
      const count = reply.count;
      if (typeof count !== 'number' || count <= 0 || count > piece.length)
        throw this.malformed('guest-file-write');
      done += count;
      options?.onWritten?.(count);
    }
  }

  /** Moves the handle's position (from the start); a write past the end leaves a hole. */
  async fileSeek(handle: number, offset: number, options?: AgentCallOptions): Promise<void> {
    // whence 0 is SEEK_SET; the number form is the one every agent version takes.
    const reply = (await this.command(
      'guest-file-seek',
      { handle, offset, whence: 0 },
      options,
    )) as { position?: unknown };
    if (reply.position !== offset) throw this.malformed('guest-file-seek');
  }

  async fileClose(handle: number, options?: AgentCallOptions): Promise<void> {
    await this.command('guest-file-close', { handle }, options);
  }

  /**
   * Runs a program in the guest (guest-exec, no shell unless `path` is one) and waits for it.
   * Arguments travel as a list, never as a command line the guest would parse.
   */
  async exec(
    path: string,
    args: readonly string[],
    options: AgentCallOptions & { input?: Uint8Array } = {},
  ): Promise<ExecResult> {
    const started = (await this.command(
      'guest-exec',
      {
        path,
        arg: args,
        'capture-output': true,
        ...(options.input ? { 'input-data': Buffer.from(options.input).toString('base64') } : {}),
      },
      options,
    )) as { pid?: unknown };
    const pid = started.pid;
    if (typeof pid !== 'number') throw this.malformed('guest-exec');
    const deadline = Date.now() + EXEC_TIMEOUT_MS;
    let wait = EXEC_POLL_FIRST_MS;
    // Bounded by the deadline.
    for (;;) {
      const s = (await this.command('guest-exec-status', { pid }, options)) as Record<
        string,
        unknown
      >;
      if (s.exited === true) {
        const decode = (v: unknown) => Buffer.from(typeof v === 'string' ? v : '', 'base64');
        const exitCode =
          typeof s.exitcode === 'number'
            ? s.exitcode
            : typeof s.signal === 'number'
              ? 128 + s.signal
              : -1;
        return { exitCode, stdout: decode(s['out-data']), stderr: decode(s['err-data']) };
      }
      if (Date.now() > deadline)
        throw new HyperkeepError(
          'TIMEOUT',
          `${path} did not finish within ${EXEC_TIMEOUT_MS / 1000} s in VM ${this.vmName}.`,
        );
      if (options.signal?.aborted) throw options.signal.reason;
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(EXEC_POLL_MAX_MS, wait * 2);
    }
  }

  private malformed(command: string): HyperkeepError {
    return new HyperkeepError(
      'HYPERVISOR_ERROR',
      `The QEMU guest agent in VM ${this.vmName} answered ${command} with an unexpected reply.`,
    );
  }

  /** libvirt's wording for agent failures, turned into what an administrator can act on. */
  private explain(err: unknown, execute: string): unknown {
    if (!(err instanceof HyperkeepError)) return err;
    const code = (err.details as { libvirtCode?: number } | undefined)?.libvirtCode;
    if (code === VIR_ERR_AGENT_UNRESPONSIVE || code === VIR_ERR_ARGUMENT_UNSUPPORTED)
      return new HyperkeepError(
        'HYPERVISOR_ERROR',
        `The QEMU guest agent is not running in VM ${this.vmName}: ${err.message}`,
        { ...err.details, reason: 'AGENT_NOT_RUNNING' },
      );
    if (code === VIR_ERR_OPERATION_INVALID)
      return new HyperkeepError('INVALID_INPUT', `VM ${this.vmName}: ${err.message}`, err.details);
    if (err.code === 'HYPERVISOR_ERROR')
      // "internal error: unable to execute QEMU agent command 'x': <the agent's own words>"
      return new HyperkeepError(
        'HYPERVISOR_ERROR',
        err.message.replace(/^internal error: unable to execute QEMU agent command '[^']*': /, ''),
        { ...err.details, command: execute },
      );
    return err;
  }
}
