import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src-main/engine/api/dispatch';
import { createHandlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';

const open: Engine[] = [];
const dirs: string[] = [];
function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hk-home-'));
  dirs.push(dir);
  return dir;
}
function engineAt(dir: string): Engine {
  const engine = Engine.open({ home: dir, mode: 'cli' });
  open.push(engine);
  return engine;
}
afterEach(async () => {
  for (const e of open.splice(0)) await e.close();
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('one engine per data home', () => {
  it('a second engine on the same home is refused with who holds it', () => {
    const dir = home();
    engineAt(dir);
    expect(() => Engine.open({ home: dir, mode: 'serve' })).toThrow(
      /Another Hyperkeep engine \(cli, pid \d+/,
    );
  });

  it('a lock left by a dead process is taken over', () => {
    const dir = home();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    writeFileSync(
      join(dir, 'engine.lock'),
      JSON.stringify({ pid: dead, hostname: hostname(), mode: 'serve', startedAt: 'x' }),
    );
    expect(() => engineAt(dir)).not.toThrow();
  });

  it('closing releases the home', async () => {
    const dir = home();
    await Engine.open({ home: dir, mode: 'cli' }).close();
    expect(() => engineAt(dir)).not.toThrow();
  });
});

describe('dispatch', () => {
  it('malformed payloads come back as INVALID_INPUT naming the field, never a throw', async () => {
    const handlers = createHandlers(engineAt(home()));
    const result = await dispatch(handlers, 'hypervisor.add', {
      name: '',
      type: 'libvirt',
      uri: 'qemu:///system',
    });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', details: { field: 'name' } },
    });
    expect(await dispatch(handlers, 'hypervisor.add', 'not an object')).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT' },
    });
    expect(await dispatch(handlers, 'no.such.channel', {})).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('stores passwords encrypted and never returns them', async () => {
    const dir = home();
    const engine = engineAt(dir);
    const handlers = createHandlers(engine);
    const added = await dispatch(handlers, 'hypervisor.add', {
      name: 'kvm-01',
      type: 'libvirt',
      uri: 'qemu:///system',
      username: 'root',
      password: 'Tr0ub4dor&3',
    });
    expect(added).toMatchObject({ ok: true, value: { name: 'kvm-01', hasPassword: true } });
    const listed = await dispatch(handlers, 'hypervisor.list', {});
    expect(JSON.stringify(listed)).not.toContain('Tr0ub4dor');
    await engine.close();
    open.splice(0);
    for (const file of ['catalog.sqlite', 'catalog.sqlite-wal']) {
      let bytes: string;
      try {
        bytes = readFileSync(join(dir, file)).toString('latin1');
      } catch {
        continue;
      }
      expect(bytes).not.toContain('Tr0ub4dor');
    }
  });

  it('duplicate names and unknown ids are clear errors', async () => {
    const handlers = createHandlers(engineAt(home()));
    const input = { name: 'kvm-01', type: 'libvirt', uri: 'qemu:///system' };
    await dispatch(handlers, 'hypervisor.add', input);
    expect(await dispatch(handlers, 'hypervisor.add', { ...input, name: 'KVM-01' })).toMatchObject({
      ok: false,
      error: { code: 'ALREADY_EXISTS' },
    });
    expect(await dispatch(handlers, 'hypervisor.remove', { id: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('an unreachable hypervisor makes vm.list partial and says why', async () => {
    const handlers = createHandlers(engineAt(home()));
    await dispatch(handlers, 'hypervisor.add', {
      name: 'gone',
      type: 'libvirt',
      uri: 'qemu+unix:///session?socket=/nonexistent/libvirt-sock',
    });
    const result = await dispatch(handlers, 'vm.list', {});
    expect(result).toMatchObject({
      ok: true,
      value: { vms: [], errors: [{ hypervisorName: 'gone', error: { code: 'CONNECT_FAILED' } }] },
    });
  });
});
