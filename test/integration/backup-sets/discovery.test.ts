import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { virsh } from '../../harness/exec';
import { createHandlers, type Handlers } from '../../../src-main/engine/api/handlers';
import { dispatch } from '../../../src-main/engine/api/dispatch';
import { Engine } from '../../../src-main/engine/engine';
import type { Channel, RequestOf, ResponseOf } from '../../../shared/contract';
import { apiCall } from '../../harness/api-calls';

const lab = inject('lab');
let dir: string;
let engine: Engine;
let handlers: Handlers;

const call = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  apiCall(handlers, channel, request);

function scratchXml(name: string): string {
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os></domain>`;
}

let setId = '';
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hk-discovery-'));
  engine = Engine.open({ home: join(dir, 'home'), mode: 'cli' });
  handlers = createHandlers(engine);
  const ids: string[] = [];
  for (const host of lab.hosts)
    ids.push(
      (await call('hypervisor.add', { name: host.name, type: 'libvirt', uri: host.uri })).id,
    );
  const set = await call('backupSet.create', { name: 'lab', hypervisorIds: ids });
  setId = set.id;
  await call('subclient.create', {
    backupSetId: setId,
    name: 'web',
    content: { rules: [{ type: 'name', pattern: '^lab-web' }] },
  });
  await call('subclient.create', {
    backupSetId: setId,
    name: 'host2',
    content: { rules: [{ type: 'host', value: 'lab-host-2' }] },
  });
});

afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

const byName = (result: ResponseOf<'discovery.run'>) =>
  new Map(result.assignments.map((a) => [a.vmName, a]));

describe('discovery against the lab (FIG. 3)', () => {
  it('asks every host and places each VM by the rules, in order, with the reason', async () => {
    const result = await call('discovery.run', { backupSetId: setId });
    expect(result.errors).toEqual([]);
    const vms = byName(result);
    for (const vm of lab.vms) expect(vms.has(vm.name)).toBe(true);
    expect(vms.get('lab-web-01')).toMatchObject({
      subclientName: 'web',
      status: 'new',
      hypervisorName: 'lab-host-1',
    });
    expect(vms.get('lab-web-01')!.reason).toMatch(/name matching \/\^lab-web\/i/);
    expect(vms.get('lab-win-01')).toMatchObject({ subclientName: 'host2' });
    expect(vms.get('lab-win-01')!.reason).toMatch(/host = lab-host-2/);
    expect(vms.get('lab-archive-01')).toMatchObject({ subclientName: 'default' });
    expect(vms.get('lab-archive-01')!.reason).toMatch(/default subclient/);
  });

  it('a VM defined mid-test lands in the default subclient; once removed it is marked vanished, not dropped', async () => {
    const name = `lab-scratch-${process.pid}`;
    const xmlDir = mkdtempSync(join(tmpdir(), 'hk-xml-'));
    chmodSync(xmlDir, 0o755);
    const xmlPath = join(xmlDir, 'scratch.xml');
    writeFileSync(xmlPath, scratchXml(name), { mode: 0o644 });
    try {
      await virsh(host1.uri, 'define', xmlPath);
      const appeared = byName(await call('discovery.run', { backupSetId: setId })).get(name);
      expect(appeared).toMatchObject({
        subclientName: 'default',
        status: 'new',
        powerState: 'shutoff',
      });
      await virsh(host1.uri, 'undefine', name);
      const gone = byName(await call('discovery.run', { backupSetId: setId })).get(name);
      expect(gone).toMatchObject({ status: 'vanished', subclientName: 'default' });
      expect(gone!.reason).toMatch(/vanished/);
    } finally {
      await virsh(host1.uri, 'undefine', name).catch(() => undefined);
      rmSync(xmlDir, { recursive: true, force: true });
    }
  });

  it('a manual assignment overrides the rules and survives rediscovery; "back to rules" undoes it', async () => {
    const before = byName(await call('discovery.assignments', { backupSetId: setId }));
    const web = (await call('backupSet.get', { id: setId })).subclients.find(
      (s) => s.name === 'web',
    )!;
    const archive = before.get('lab-archive-01')!;
    await call('discovery.assign', {
      backupSetId: setId,
      vmUuids: [archive.vmUuid],
      subclientId: web.id,
    });
    const again = byName(await call('discovery.run', { backupSetId: setId })).get('lab-archive-01');
    expect(again).toMatchObject({
      subclientName: 'web',
      manual: true,
      reason: 'assigned manually',
      status: 'present',
    });
    const back = byName(
      await call('discovery.assign', {
        backupSetId: setId,
        vmUuids: [archive.vmUuid],
        subclientId: null,
      }),
    ).get('lab-archive-01');
    expect(back).toMatchObject({ subclientName: 'default', manual: false });
  });

  it('with automatic add off, VMs no rule claims are listed as unprotected', async () => {
    await call('backupSet.update', { id: setId, autoAddUnmatched: false });
    const vms = byName(await call('discovery.run', { backupSetId: setId }));
    expect(vms.get('lab-db-01')).toMatchObject({ subclientId: null, subclientName: null });
    expect(vms.get('lab-db-01')!.reason).toMatch(/NOT protected/);
    await call('backupSet.update', { id: setId, autoAddUnmatched: true });
  });

  it("the default subclient's VM filter leaves the VMs it names unprotected, and only those", async () => {
    const fallback = (await call('backupSet.get', { id: setId })).subclients.find(
      (s) => s.isDefault,
    )!;
    const withFilter = (excludeVms: string[]) =>
      call('subclient.update', {
        id: fallback.id,
        settings: { ...fallback.settings, filters: { ...fallback.settings.filters, excludeVms } },
      });
    await withFilter(['LAB-DB-*']);
    try {
      const vms = byName(await call('discovery.run', { backupSetId: setId }));
      expect(vms.get('lab-db-01')).toMatchObject({ subclientId: null, subclientName: null });
      expect(vms.get('lab-db-01')!.reason).toMatch(
        /NOT protected.*default subclient excludes "LAB-DB-\*"/,
      );
      // Still the default's: unclaimed, but not named by the filter.
      expect(vms.get('lab-archive-01')).toMatchObject({ subclientName: 'default' });
      // A rule's subclient is not bound by the default's filter.
      expect(vms.get('lab-web-01')).toMatchObject({ subclientName: 'web' });
    } finally {
      await withFilter([]);
    }
    const after = byName(await call('discovery.run', { backupSetId: setId }));
    expect(after.get('lab-db-01')).toMatchObject({ subclientName: 'default' });
  });

  it('the live rule preview shows what a rule matches right now, and rejects a bad regex', async () => {
    const preview = await call('rules.preview', {
      backupSetId: setId,
      content: {
        match: 'any',
        rules: [{ type: 'power-state', value: 'shutoff', negate: false }],
        exclusions: [],
      },
    });
    expect(preview.matches.map((m) => m.vmName)).toContain('lab-archive-01');
    expect(preview.matches.map((m) => m.vmName)).not.toContain('lab-web-01');
    const bad = await dispatch(handlers, 'rules.preview', {
      backupSetId: setId,
      content: { rules: [{ type: 'name', pattern: 'web(' }] },
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });
});
