import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestOf } from '../../../../shared/contract';
import type { Hypervisor } from '../../../../shared/domain/hypervisor';
import { dispatch } from '../../../../src-main/engine/api/dispatch';
import { createHandlers, type Handlers } from '../../../../src-main/engine/api/handlers';
import { Engine } from '../../../../src-main/engine/engine';

const open: Engine[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const e of open.splice(0)) await e.close();
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function handlers(): Handlers {
  const dir = mkdtempSync(join(tmpdir(), 'hk-hyp-'));
  dirs.push(dir);
  const engine = Engine.open({ home: dir, mode: 'cli' });
  open.push(engine);
  return createHandlers(engine);
}

const LAB_URI = 'qemu+unix:///system?socket=/var/tmp/hk-lab/lab-host-1/libvirt-sock';
const add = (h: Handlers, input: RequestOf<'hypervisor.add'>) =>
  dispatch(h, 'hypervisor.add', input);

describe('registering the same host twice (review M1)', () => {
  it('refuses a URI already registered under another name, naming that registration', async () => {
    const h = handlers();
    expect(await add(h, { name: 'lab-host-1', type: 'libvirt', uri: LAB_URI })).toMatchObject({
      ok: true,
    });
    for (const uri of [LAB_URI, ` ${LAB_URI} `, LAB_URI.replace('qemu+unix', 'QEMU+UNIX')]) {
      const again = await add(h, { name: 'lab-host-1-again', type: 'libvirt', uri });
      expect(again).toMatchObject({
        ok: false,
        error: { code: 'ALREADY_EXISTS', details: { field: 'uri' } },
      });
      if (!again.ok) expect(again.error.message).toContain(`lab-host-1 already uses ${LAB_URI}`);
    }
    const listed = await dispatch(h, 'hypervisor.list', {});
    expect(listed.ok && (listed.value as Hypervisor[]).map((x) => x.name)).toEqual(['lab-host-1']);
    // Another socket is another daemon: accepted.
    expect(
      await add(h, { name: 'lab-host-2', type: 'libvirt', uri: LAB_URI.replace('-1/', '-2/') }),
    ).toMatchObject({ ok: true });
  });

  it('compares host names case-insensitively, and a bare vSphere host as https://host/sdk', async () => {
    const h = handlers();
    await add(h, { name: 'kvm', type: 'libvirt', uri: 'qemu+tcp://KVM01.example/system' });
    expect(
      await add(h, { name: 'kvm-b', type: 'libvirt', uri: 'qemu+tcp://kvm01.EXAMPLE/system' }),
    ).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS' } });
    await add(h, { name: 'vc', type: 'vsphere', uri: 'vcenter.example' });
    expect(
      await add(h, { name: 'vc-b', type: 'vsphere', uri: 'https://VCENTER.example/sdk' }),
    ).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', message: /^vc already uses/ } });
  });

  it('refuses editing a hypervisor onto the URI of another one', async () => {
    const h = handlers();
    await add(h, { name: 'lab-host-1', type: 'libvirt', uri: LAB_URI });
    const other = await add(h, { name: 'other', type: 'libvirt', uri: 'qemu:///session' });
    if (!other.ok) throw new Error(other.error.message);
    const otherId = (other.value as Hypervisor).id;
    expect(await dispatch(h, 'hypervisor.update', { id: otherId, uri: LAB_URI })).toMatchObject({
      ok: false,
      error: { code: 'ALREADY_EXISTS', details: { field: 'uri' } },
    });
    // Saving a hypervisor with its own URI unchanged is not a duplicate of itself.
    expect(await dispatch(h, 'hypervisor.update', { id: otherId, name: 'renamed' })).toMatchObject({
      ok: true,
      value: { name: 'renamed' },
    });
  });
});

describe('URIs that cannot parse (review M2)', () => {
  it('refuses them with the problem and an example, and stores nothing', async () => {
    const h = handlers();
    const garbage = await add(h, { name: 'garbage', type: 'libvirt', uri: 'not a uri' });
    expect(garbage).toMatchObject({
      ok: false,
      error: { code: 'INVALID_URI', details: { field: 'uri' } },
    });
    if (!garbage.ok) expect(garbage.error.message).toMatch(/not a libvirt URI.*qemu:\/\/\/system/);
    expect(
      await add(h, { name: 'vc', type: 'vsphere', uri: 'ftp://vcenter.example' }),
    ).toMatchObject({ ok: false, error: { code: 'INVALID_URI', message: /https:\/\// } });
    expect(await add(h, { name: 'path', type: 'libvirt', uri: 'qemu:///nonsense' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_URI', message: /\/system or \/session/ },
    });
    const listed = await dispatch(h, 'hypervisor.list', {});
    expect(listed).toMatchObject({ ok: true, value: [] });
  });

  it('still registers a well-formed URI of a host that is down: it may come back', async () => {
    const h = handlers();
    expect(
      await add(h, {
        name: 'gone',
        type: 'libvirt',
        uri: 'qemu+unix:///session?socket=/nonexistent/libvirt-sock',
      }),
    ).toMatchObject({ ok: true });
  });
});
