/**
 * The per-host limit of the backup job runner: several VMs run at once (data readers), never
 * more than the limit on one host, and hosts with free slots are not held up by a busy one.
 */
import { describe, expect, it } from 'vitest';
import { HostSlots, runHostLimited } from '../../../../src-main/engine/jobs/host-slots';

interface Vm {
  name: string;
  host: string;
  limit: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the VMs as 20 ms "backups"; records the most running per host and overall, and order. */
async function observe(
  vms: Vm[],
  parallel: number,
  slots = new HostSlots(),
  signal = new AbortController().signal,
) {
  const running = new Map<string, number>();
  const peakPerHost = new Map<string, number>();
  let runningAll = 0;
  let peakAll = 0;
  const started: string[] = [];
  await runHostLimited(
    vms,
    { parallel, hostOf: (v) => v.host, limitOf: (v) => v.limit, slots, signal },
    async (vm) => {
      started.push(vm.name);
      const now = (running.get(vm.host) ?? 0) + 1;
      running.set(vm.host, now);
      peakPerHost.set(vm.host, Math.max(peakPerHost.get(vm.host) ?? 0, now));
      peakAll = Math.max(peakAll, ++runningAll);
      await sleep(20);
      running.set(vm.host, running.get(vm.host)! - 1);
      runningAll--;
    },
  );
  return { peakPerHost, peakAll, started };
}

const onHost = (host: string, n: number, limit = 2): Vm[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${host}-vm${i}`, host, limit }));

describe('per-host concurrency limit of backup jobs', () => {
  it('runs 6 VMs of one host with 4 data readers at most 2 at a time', async () => {
    const { peakPerHost, started } = await observe(onHost('h1', 6), 4);
    expect(peakPerHost.get('h1')).toBe(2);
    expect(started).toHaveLength(6);
  });

  it('uses the other readers for VMs of other hosts instead of waiting behind a full host', async () => {
    // Queue order puts three h1 VMs first: with the limit, the h2 VM must start among the first 3.
    const vms = [...onHost('h1', 3), ...onHost('h2', 1)];
    const { peakPerHost, peakAll, started } = await observe(vms, 3);
    expect(peakPerHost.get('h1')).toBe(2);
    expect(peakAll).toBe(3);
    expect(started.slice(0, 3)).toContain('h2-vm0');
  });

  it('honours a limit of 1 and the data readers when they are the smaller bound', async () => {
    expect((await observe(onHost('h1', 4, 1), 4)).peakPerHost.get('h1')).toBe(1);
    expect((await observe(onHost('h1', 4, 8), 3)).peakAll).toBe(3);
  });

  it('shares a host between two jobs: together they stay within its limit', async () => {
    const slots = new HostSlots();
    let running = 0;
    let peak = 0;
    const job = (prefix: string) =>
      runHostLimited(
        onHost('shared', 3).map((v) => ({ ...v, name: `${prefix}-${v.name}` })),
        {
          parallel: 3,
          hostOf: (v) => v.host,
          limitOf: (v) => v.limit,
          slots,
          signal: new AbortController().signal,
        },
        async () => {
          peak = Math.max(peak, ++running);
          await sleep(15);
          running--;
        },
      );
    await Promise.all([job('a'), job('b')]);
    expect(peak).toBe(2);
    expect(slots.inUse('shared')).toBe(0);
  });

  it('starts nothing more after a cancel, and waits for the running backups', async () => {
    const controller = new AbortController();
    const done: string[] = [];
    const run = runHostLimited(
      onHost('h1', 5),
      {
        parallel: 2,
        hostOf: (v) => v.host,
        limitOf: (v) => v.limit,
        slots: new HostSlots(),
        signal: controller.signal,
      },
      async (vm) => {
        if (done.length === 0) setTimeout(() => controller.abort(), 5);
        await sleep(20);
        done.push(vm.name);
      },
    );
    await run;
    expect(done).toEqual(['h1-vm0', 'h1-vm1']);
  });
});
