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
});
