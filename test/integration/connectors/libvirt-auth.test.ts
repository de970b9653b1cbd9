import { mkdir, mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLibvirtConnector } from '../../../src-main/engine/connectors/libvirt/libvirt-connector';
import { pathExists, readPidFile, run, sleep, stopProcess } from '../../harness/exec';
import { asAccount, ensureLabAccount, giveToAccount } from '../../harness/lab-account';

/**
 * A real libvirtd that demands SASL on its socket: Hyperkeep does not speak SASL yet, so an
 * administrator must get a clear AUTH_FAILED that says what to change — never a hang or a crash.
 */
let dir = '';
let socket = '';

beforeAll(async () => {
  const account = await ensureLabAccount();
  dir = await mkdtemp('/tmp/hk-sasl-');
  await chmod(dir, 0o755);
  for (const sub of ['home', 'config/libvirt', 'run', 'cache', 'data'])
    await mkdir(join(dir, sub), { recursive: true });
  const conf = join(dir, 'config/libvirt/libvirtd.conf');
  await writeFile(
    conf,
    'listen_tls = 0\nlisten_tcp = 0\nauth_unix_rw = "sasl"\nauth_unix_ro = "sasl"\n',
  );
  await writeFile(join(dir, 'config/libvirt/qemu.conf'), 'stdio_handler = "file"\n');
  await giveToAccount(account, dir);
  const [cmd, args] = asAccount(account, 'libvirtd', ['-d', '-f', conf, '-p', join(dir, 'pid')]);
  await run(cmd, args, {
    untilExit: true,
    timeoutMs: 60_000,
    env: {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      LC_ALL: 'C',
      HOME: join(dir, 'home'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_RUNTIME_DIR: join(dir, 'run'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      XDG_DATA_HOME: join(dir, 'data'),
    },
  });
  socket = join(dir, 'run/libvirt/libvirt-sock');
  for (let i = 0; i < 100 && !(await pathExists(socket)); i++) await sleep(100);
});

afterAll(async () => {
  const pid = dir ? await readPidFile(join(dir, 'pid')) : null;
  if (pid !== null) await stopProcess(pid);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a libvirtd that requires SASL', () => {
  it('is refused with AUTH_FAILED and a message that says what to change', async () => {
    const connector = createLibvirtConnector({
      type: 'libvirt',
      uri: `qemu+unix:///session?socket=${socket}`,
      username: 'admin',
      password: 'wrong',
    });
    const started = Date.now();
    const error = await connector.connect().then(
      () => undefined,
      (err: unknown) => err as { code: string; message: string },
    );
    await connector.close();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(error).toMatchObject({ code: 'AUTH_FAILED' });
    expect(error!.message).toMatch(/requires SASL authentication/);
    expect(error!.message).toMatch(/auth_unix_rw/);
  });
});
