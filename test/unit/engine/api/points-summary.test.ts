import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResponseOf } from '../../../../shared/contract';
import { dispatch } from '../../../../src-main/engine/api/dispatch';
import { createHandlers, type Handlers } from '../../../../src-main/engine/api/handlers';
import { Engine } from '../../../../src-main/engine/engine';

/** points.summary: the dashboard's and VM grid's "Last backup", read from the catalog. */
let engine: Engine | undefined;
let home: string | undefined;

afterEach(async () => {
  await engine?.close();
  if (home) rmSync(home, { recursive: true, force: true });
  engine = undefined;
  home = undefined;
});

async function summary(handlers: Handlers): Promise<ResponseOf<'points.summary'>> {
  const result = await dispatch(handlers, 'points.summary', {});
  if (!result.ok) throw new Error(result.error.message);
  return result.value as ResponseOf<'points.summary'>;
}

async function writePoint(vmName: string): Promise<void> {
  const repository = await engine!.repositories.get('default');
  const writer = await repository.startPoint({ vm: { uuid: `uuid-${vmName}`, name: vmName } });
  const data = new Uint8Array(64 * 1024).fill(vmName.length);
  await writer.addDisk({ name: 'vda', sizeBytes: data.length }).writeExtent(0, data);
  await writer.commit({ consistency: 'crash-consistent' });
  await engine!.repositories.refreshPoints('default');
}

describe('points.summary', () => {
  it('gives each VM its point count and newest point time, and nothing for a new console', async () => {
    home = mkdtempSync(join(tmpdir(), 'hk-points-summary-'));
    engine = Engine.open({ home, mode: 'cli' });
    const handlers = createHandlers(engine);
    expect(await summary(handlers)).toEqual([]);
    await dispatch(handlers, 'repo.init', { location: join(home, 'repository'), encrypt: false });
    await writePoint('web-01');
    await writePoint('web-01');
    await writePoint('db-01');

    const rows = await summary(handlers);
    const points = engine.repositories.points();
    const newestOf = (uuid: string) => points.find((p) => p.vmUuid === uuid)!.time;
    expect(rows.sort((a, b) => a.vmName.localeCompare(b.vmName))).toEqual([
      { vmUuid: 'uuid-db-01', vmName: 'db-01', points: 1, newestTime: newestOf('uuid-db-01') },
      { vmUuid: 'uuid-web-01', vmName: 'web-01', points: 2, newestTime: newestOf('uuid-web-01') },
    ]);
  });
});
