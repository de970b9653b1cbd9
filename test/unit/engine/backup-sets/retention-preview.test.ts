import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel, RequestOf, ResponseOf } from '../../../../shared/contract';
import type { RestorePoint } from '../../../../shared/domain/jobs';
import type { ErrorData } from '../../../../shared/errors';
import { dispatch } from '../../../../src-main/engine/api/dispatch';
import { createHandlers, type Handlers } from '../../../../src-main/engine/api/handlers';
import { Engine } from '../../../../src-main/engine/engine';

/**
 * The Retention tab's preview, through the same dispatch path the console and `hyperkeep serve`
 * take: the subclient's VMs, their points as the catalog lists them, the policy prune would use.
 */
const engines: Engine[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function call<C extends Channel>(
  handlers: Handlers,
  channel: C,
  request: RequestOf<C>,
): Promise<ResponseOf<C>> {
  const result = await dispatch(handlers, channel, request);
  if (!result.ok) throw new Error(`${channel}: ${result.error.message}`);
  return result.value as ResponseOf<C>;
}

async function refusal<C extends Channel>(
  handlers: Handlers,
  channel: C,
  request: RequestOf<C>,
): Promise<ErrorData> {
  const result = await dispatch(handlers, channel, request);
  if (result.ok) throw new Error(`${channel} was accepted`);
  return result.error;
}

/** A console with one backup set of two subclients, "web" and the default. */
async function console_(): Promise<{
  engine: Engine;
  handlers: Handlers;
  backupSetId: string;
  web: string;
  other: string;
}> {
  const home = mkdtempSync(join(tmpdir(), 'hk-retention-preview-'));
  dirs.push(home);
  const engine = Engine.open({ home, mode: 'cli' });
  engines.push(engine);
  const handlers = createHandlers(engine);
  const hypervisor = await call(handlers, 'hypervisor.add', {
    name: 'host-1',
    type: 'libvirt',
    uri: 'qemu+unix:///system?socket=/nonexistent/libvirt-sock',
  });
  const set = await call(handlers, 'backupSet.create', {
    name: 'lab-set',
    hypervisorIds: [hypervisor.id],
  });
  const web = await call(handlers, 'subclient.create', { backupSetId: set.id, name: 'web' });
  const other = set.subclients.find((s) => s.isDefault)!.id;
  return { engine, handlers, backupSetId: set.id, web: web.id, other };
}

/** What discovery records when it assigns a VM (only the fields the preview reads matter). */
function assign(engine: Engine, backupSetId: string, vm: string, subclientId: string, at: string) {
  engine.db
    .prepare(
      `INSERT OR REPLACE INTO vm_assignments (backup_set_id, vm_uuid, vm_name, hypervisor_id, host,
         power_state, subclient_id, reason, manual, status, first_seen, last_seen)
       VALUES (?, ?, ?, 'h', 'host-1', 'running', ?, 'manual', 1, 'assigned', ?, ?)`,
    )
    .run(backupSetId, `uuid-${vm}`, vm, subclientId, at, at);
}

/** A point in the catalog's list, as a backup records it (the preview never opens the repository). */
function point(
  engine: Engine,
  vm: string,
  time: string,
  repository = 'main',
  extra: Partial<RestorePoint> = {},
): void {
  const p: RestorePoint = {
    id: `${vm}-${time}`,
    repository,
    vmUuid: `uuid-${vm}`,
    vmName: vm,
    time,
    type: 'full',
    consistency: 'crash-consistent',
    logicalBytes: 1 << 20,
    storedBytes: 1 << 20,
    disks: [{ name: 'vda', sizeBytes: 1 << 20, dataBytes: 1 << 20 }],
    ...extra,
  };
  engine.db
    .prepare(
      'INSERT INTO restore_points (id, repository, vm_uuid, vm_name, time, point_json) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run(p.id, repository, p.vmUuid, p.vmName, p.time, JSON.stringify(p));
}

const NONE = { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0 };

describe('retention.preview', () => {
  it('keep last 2 keeps 2 of each VM; daily counts days in the schedule time zone', async () => {
    const { engine, handlers, backupSetId, web, other } = await console_();
    assign(engine, backupSetId, 'web-01', web, '2026-03-01T00:00:00Z');
    assign(engine, backupSetId, 'web-02', web, '2026-03-01T00:00:00Z');
    assign(engine, backupSetId, 'db-01', other, '2026-03-01T00:00:00Z');
    // web-01: four points, the last two an hour apart around midnight UTC (one Berlin day).
    for (const t of [
      '2026-02-26T12:00:00Z',
      '2026-02-27T12:00:00Z',
      '2026-02-28T23:30:00Z',
      '2026-03-01T00:30:00Z',
    ])
      point(engine, 'web-01', t);
    point(engine, 'web-02', '2026-02-28T12:00:00Z');
    for (const t of ['2026-02-27T12:00:00Z', '2026-02-28T12:00:00Z', '2026-03-01T12:00:00Z'])
      point(engine, 'db-01', t);

    const last2 = await call(handlers, 'retention.preview', {
      backupSetId,
      subclientId: web,
      retention: { ...NONE, keepLast: 2 },
      timezone: 'UTC',
    });
    expect(last2).toEqual({
      vms: [
        { vmUuid: 'uuid-web-01', vmName: 'web-01', total: 4, kept: 2, protected: 0, removed: 2 },
        { vmUuid: 'uuid-web-02', vmName: 'web-02', total: 1, kept: 1, protected: 0, removed: 0 },
      ],
      total: 5,
      kept: 3,
      protected: 0,
      removed: 2,
    });

    // daily 10 keeps the newest point of each day: four UTC days, but in Berlin (UTC+1)
    // 23:30Z and 00:30Z are both March 1, so one of them goes.
    const daily = (timezone: string) =>
      call(handlers, 'retention.preview', {
        backupSetId,
        subclientId: web,
        retention: { ...NONE, keepDaily: 10 },
        timezone,
      });
    expect((await daily('UTC')).vms[0]).toMatchObject({ total: 4, kept: 4, removed: 0 });
    expect((await daily('Europe/Berlin')).vms[0]).toMatchObject({ total: 4, kept: 3, removed: 1 });

    // The default subclient's preview covers only db-01.
    const db = await call(handlers, 'retention.preview', {
      backupSetId,
      subclientId: other,
      retention: { ...NONE, keepLast: 1 },
      timezone: 'UTC',
    });
    expect(db).toMatchObject({ total: 3, kept: 1, removed: 2 });
    expect(db.vms.map((v) => v.vmName)).toEqual(['db-01']);
  });

  it('prune decides per repository, and a VM moved to another subclient since is not counted', async () => {
    const { engine, handlers, backupSetId, web, other } = await console_();
    assign(engine, backupSetId, 'web-01', web, '2026-03-01T00:00:00Z');
    for (const t of ['2026-02-27T12:00:00Z', '2026-02-28T12:00:00Z']) {
      point(engine, 'web-01', t, 'main');
      point(engine, 'web-01', t, 'offsite');
    }
    const request = {
      backupSetId,
      subclientId: web,
      retention: { ...NONE, keepLast: 1 },
      timezone: 'UTC',
    };
    expect(await call(handlers, 'retention.preview', request)).toMatchObject({
      total: 4,
      kept: 2,
      removed: 2,
    });
    assign(engine, backupSetId, 'web-01', other, '2026-03-02T00:00:00Z');
    expect(await call(handlers, 'retention.preview', request)).toEqual({
      vms: [],
      total: 0,
      kept: 0,
      protected: 0,
      removed: 0,
    });
  });

  it('counts the protected points it keeps, which take no rule’s place (review M11)', async () => {
    const { engine, handlers, backupSetId, web } = await console_();
    assign(engine, backupSetId, 'web-01', web, '2026-03-01T00:00:00Z');
    const protection = { reason: 'audit', since: '2026-03-01T00:00:00Z' };
    point(engine, 'web-01', '2026-02-27T12:00:00Z', 'main', { protection });
    point(engine, 'web-01', '2026-02-28T12:00:00Z');
    const preview = await call(handlers, 'retention.preview', {
      backupSetId,
      subclientId: web,
      retention: { ...NONE, keepLast: 1 },
      timezone: 'UTC',
    });
    // "2 of 2 kept, 0 removed" with keep-last 1 only adds up with "(1 protected)".
    expect(preview).toEqual({
      vms: [
        { vmUuid: 'uuid-web-01', vmName: 'web-01', total: 2, kept: 2, protected: 1, removed: 0 },
      ],
      total: 2,
      kept: 2,
      protected: 1,
      removed: 0,
    });
  });

  it('refuses a policy that keeps nothing, an unknown zone and a subclient of another set', async () => {
    const { handlers, backupSetId, web } = await console_();
    const base = { backupSetId, subclientId: web, retention: { ...NONE, keepLast: 1 } };
    const nothing = await refusal(handlers, 'retention.preview', {
      ...base,
      retention: NONE,
      timezone: 'UTC',
    });
    expect(nothing.message).toMatch(/keeps nothing/);
    const zone = await refusal(handlers, 'retention.preview', { ...base, timezone: 'Mars/Base' });
    expect(zone).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'timezone' } });
    const foreign = await refusal(handlers, 'retention.preview', {
      ...base,
      backupSetId: 'another-set',
      timezone: 'UTC',
    });
    expect(foreign.code).toBe('NOT_FOUND');
  });
});
