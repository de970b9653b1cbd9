import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel, RequestOf, ResponseOf } from '../../../../shared/contract';
import type { ErrorData } from '../../../../shared/errors';
import { dispatch } from '../../../../src-main/engine/api/dispatch';
import { createHandlers, type Handlers } from '../../../../src-main/engine/api/handlers';
import { Engine } from '../../../../src-main/engine/engine';

/** Adding, refusing and removing repositories through the same path the console and CLI take. */
const engines: Engine[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hk-repo-registry-'));
  dirs.push(dir);
  return dir;
}

function engineAt(home: string): { engine: Engine; handlers: Handlers } {
  const engine = Engine.open({ home, mode: 'cli' });
  engines.push(engine);
  return { engine, handlers: createHandlers(engine) };
}

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

/** A committed point of 1 MiB on one disk, as a backup would leave it. */
async function writePoint(engine: Engine, repositoryName: string, vmName: string): Promise<void> {
  const repository = await engine.repositories.get(repositoryName);
  const writer = await repository.startPoint({ vm: { uuid: `uuid-${vmName}`, name: vmName } });
  const data = new Uint8Array(1 << 20).map((_, i) => (i * 7 + vmName.length) & 0xff);
  await writer.addDisk({ name: 'vda', sizeBytes: data.length }).writeExtent(0, data);
  await writer.commit({ consistency: 'crash-consistent' });
  await engine.repositories.refreshPoints(repositoryName);
}

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('repository folders', () => {
  it('a relative folder is refused on create and attach, and nothing is created', async () => {
    const { handlers } = engineAt(tempDir());
    const request = { name: 'typo', location: 'relative/repo' };
    for (const error of [
      await refusal(handlers, 'repo.init', { ...request, encrypt: false }),
      await refusal(handlers, 'repo.attach', request),
    ]) {
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toMatch(/^Enter the repository folder as a full path, e\.g\. \/srv/);
      expect(error.details).toMatchObject({ field: 'location' });
    }
    expect(existsSync(join(process.cwd(), 'relative'))).toBe(false);
    expect(await call(handlers, 'repo.list', {})).toEqual([]);
  });

  it('a folder that holds a repository is to be attached, in words that fit the UI and the CLI', async () => {
    const scratch = tempDir();
    const { handlers } = engineAt(tempDir());
    await call(handlers, 'repo.init', { location: join(scratch, 'repo'), encrypt: false });
    const existing = await refusal(handlers, 'repo.init', {
      name: 'again',
      location: join(scratch, 'repo'),
      encrypt: false,
    });
    expect(existing.message).toBe(
      `${join(scratch, 'repo')} already holds a repository: attach it instead of creating a new one.`,
    );
    mkdirSync(join(scratch, 'notes'));
    writeFileSync(join(scratch, 'notes', 'todo.txt'), 'not a repository\n');
    const occupied = await refusal(handlers, 'repo.init', {
      name: 'notes',
      location: join(scratch, 'notes'),
      encrypt: false,
    });
    expect(occupied.message).toMatch(/is not empty: choose an empty or new folder/);
    for (const message of [existing.message, occupied.message]) expect(message).not.toMatch(/`/);
  });
});

describe('removing a repository', () => {
  it('is refused while a subclient targets it, naming the subclient and its backup set', async () => {
    const scratch = tempDir();
    const { handlers } = engineAt(tempDir());
    await call(handlers, 'repo.init', { location: join(scratch, 'repo'), encrypt: false });
    const host = await call(handlers, 'hypervisor.add', {
      name: 'kvm-01',
      type: 'libvirt',
      uri: 'qemu:///system',
    });
    // A new backup set's default subclient stores into "default".
    const set = await call(handlers, 'backupSet.create', {
      name: 'Production',
      hypervisorIds: [host.id],
    });
    const error = await refusal(handlers, 'repo.remove', { name: 'default' });
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(
      /^Repository "default" is the target of subclient "[^"]+" of backup set "Production": choose another repository/,
    );
    expect((await call(handlers, 'repo.list', {})).map((r) => r.name)).toEqual(['default']);

    await call(handlers, 'backupSet.delete', { id: set.id });
    expect(await call(handlers, 'repo.remove', { name: 'DEFAULT' })).toEqual({
      name: 'default',
      location: join(scratch, 'repo'),
      points: 0,
    });
  });

  it('is refused while a job runs, and allowed once it has finished', async () => {
    const scratch = tempDir();
    const { engine, handlers } = engineAt(tempDir());
    await call(handlers, 'repo.init', { location: join(scratch, 'repo'), encrypt: false });
    let finish = () => {};
    const job = engine.jobs.start(
      'verify',
      'Verify default',
      () => new Promise<void>((resolve) => (finish = resolve)),
    );
    const error = await refusal(handlers, 'repo.remove', { name: 'default' });
    expect(error.message).toBe(
      'Jobs are running ("Verify default"): remove repository "default" when they have finished.',
    );
    finish();
    await engine.jobs.wait(job.id);
    await call(handlers, 'repo.remove', { name: 'default' });
    expect(await call(handlers, 'repo.list', {})).toEqual([]);
  });

  it('keeps every byte on disk: attached again, its restore points are listed again', async () => {
    const scratch = tempDir();
    const location = join(scratch, 'offsite');
    const { engine, handlers } = engineAt(tempDir());
    await call(handlers, 'repo.init', { name: 'offsite', location, encrypt: false });
    await writePoint(engine, 'offsite', 'web-01');
    await writePoint(engine, 'offsite', 'db-01');
    const before = await call(handlers, 'points.list', {});
    expect(before.map((p) => p.vmName).sort()).toEqual(['db-01', 'web-01']);
    const filesBefore = readdirSync(location, { recursive: true }).sort();

    expect(await call(handlers, 'repo.remove', { name: 'offsite' })).toEqual({
      name: 'offsite',
      location,
      points: 2,
    });
    expect(await call(handlers, 'repo.list', {})).toEqual([]);
    expect(await call(handlers, 'points.list', {})).toEqual([]);
    expect((await refusal(handlers, 'repo.info', { name: 'offsite' })).code).toBe('NOT_FOUND');
    expect(readdirSync(location, { recursive: true }).sort()).toEqual(filesBefore);

    const attached = await call(handlers, 'repo.attach', { name: 'offsite', location });
    expect(attached.points).toBe(2);
    const after = await call(handlers, 'points.list', {});
    expect(after.map((p) => p.id).sort()).toEqual(before.map((p) => p.id).sort());
    // And the repository still reads: a point's disk comes back byte for byte.
    const repository = await engine.repositories.get('offsite');
    const web = after.find((p) => p.vmName === 'web-01')!;
    const disk = await repository.openDisk(web.id, 'vda');
    const bytes = await disk.read(0, 1 << 20);
    expect(bytes[1]).toBe((7 + 'web-01'.length) & 0xff);
  });

  it('an unknown name is NOT_FOUND', async () => {
    const { handlers } = engineAt(tempDir());
    expect((await refusal(handlers, 'repo.remove', { name: 'nope' })).code).toBe('NOT_FOUND');
  });
});
