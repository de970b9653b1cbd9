/**
 * The consoles reload on the engine's change events. A host's name is learned the first time its
 * VMs are listed (after the hypervisor was added): the engine must say so, or the Hostname column
 * stays "—" until Refresh (review P2). Against the lab's real libvirtd.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel, EventName, RequestOf } from '../../../shared/contract';
import { createHandlers, type Handlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import { apiCall } from '../../harness/api-calls';

const lab = inject('lab');
const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;

let dir: string;
let engine: Engine;
let handlers: Handlers;
const events: EventName[] = [];

const call = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  apiCall(handlers, channel, request);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-inventory-events-'));
  engine = Engine.open({ home: join(dir, 'home'), mode: 'cli' });
  handlers = createHandlers(engine);
  engine.events.onAny((event) => events.push(event));
});

afterAll(async () => {
  await engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('inventory change events', () => {
  it("tells the consoles when a newly added host's name is learned, once", async () => {
    const added = await call('hypervisor.add', { name: host.name, type: 'libvirt', uri: host.uri });
    expect(added.hostname).toBeUndefined();
    events.length = 0;

    const { vms } = await call('vm.list', {});
    expect(vms.length).toBeGreaterThan(0);
    const [listed] = await call('hypervisor.list', {});
    expect(listed!.hostname).toBe(hostname());
    expect(events).toContain('hypervisors.changed');

    // Nothing new the second time: no event, so the consoles' reload does not loop.
    events.length = 0;
    await call('vm.list', {});
    expect(events).not.toContain('hypervisors.changed');
  });

  it('shows the VMs of a host registered twice (socket and TCP) once, and says which to remove', async () => {
    const before = (await call('vm.list', {})).vms.map((v) => v.uuid).sort();
    // The demo's lab table prints both addresses of each host (review 3, M1).
    const twice = await call('hypervisor.add', {
      name: 'dup-host',
      type: 'libvirt',
      uri: host.tcpUri!,
    });
    try {
      const listed = await call('vm.list', {});
      expect(listed.vms.map((v) => v.uuid).sort()).toEqual(before);
      expect(new Set(listed.vms.map((v) => v.hypervisorName))).toEqual(new Set([host.name]));
      expect(listed.errors).toEqual([
        {
          hypervisorId: twice.id,
          hypervisorName: 'dup-host',
          error: {
            code: 'ALREADY_EXISTS',
            message: `dup-host lists ${before.length} VMs that ${host.name} lists too (the same VM UUIDs): it is the same host registered twice, under another address. Its VMs are shown once, under ${host.name}; remove dup-host from Hypervisors.`,
          },
        },
      ]);
    } finally {
      await call('hypervisor.remove', { id: twice.id });
    }
  });
});
