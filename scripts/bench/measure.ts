/**
 * Wall time, event-loop lag and peak memory of one step of the benchmark. Hyperkeep runs inside
 * this process (what the console's main process would do), so its lag and RSS are measured here;
 * the peers are child processes measured by GNU time.
 */
import { readFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { run } from '../../test/harness/exec';

export interface InProcessMeasure<T> {
  value: T;
  wallMs: number;
  /** Event-loop delay percentiles while the step ran (10 ms resolution histogram). */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Highest RSS sampled every 50 ms while the step ran (worker threads included). */
  peakRssBytes: number;
  /** User + system CPU time of this process (all its threads) while the step ran. */
  cpuMs: number;
}

export async function measureInProcess<T>(fn: () => Promise<T>): Promise<InProcessMeasure<T>> {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  let peakRssBytes = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  }, 50);
  lag.enable();
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  try {
    const value = await fn();
    const wallMs = performance.now() - began;
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
    const cpu = process.cpuUsage(cpuBefore);
    return {
      value,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      lagP50Ms: lag.percentile(50) / 1e6,
      lagP99Ms: lag.percentile(99) / 1e6,
      lagMaxMs: lag.max / 1e6,
      peakRssBytes,
    };
  } finally {
    lag.disable();
    clearInterval(sampler);
  }
}

export interface CommandMeasure {
  wallMs: number;
  peakRssBytes: number;
  /** User + system CPU time of the tool and its children (comparable on a busy machine). */
  cpuMs: number;
  stdout: string;
}

/** Runs a tool under GNU time: wall time as seen from here, peak RSS as the kernel counted it. */
export async function measureCommand(
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CommandMeasure> {
  const began = performance.now();
  const { stdout, stderr } = await run(
    '/usr/bin/time',
    ['-f', 'hk-bench-maxrss=%M hk-bench-cpu=%U+%S', cmd, ...args],
    {
      ...options,
      timeoutMs: 600_000,
    },
  );
  const wallMs = performance.now() - began;
  const kib = /hk-bench-maxrss=(\d+)/.exec(stderr)?.[1];
  const cpu = /hk-bench-cpu=([\d.]+)\+([\d.]+)/.exec(stderr);
  const cpuMs = cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : 0;
  return { wallMs, peakRssBytes: Number(kib ?? 0) * 1024, cpuMs, stdout };
}

/** CPU seconds of a running VM's QEMU process (its NBD server reads the disk for a backup). */
export async function qemuCpuSeconds(vmName: string): Promise<number> {
  const found = await run('pgrep', ['-f', `guest=${vmName},`]).catch(() => ({ stdout: '' }));
  const pid = found.stdout.trim().split('\n')[0];
  if (!pid) return 0;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
