import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, startServe, type RunningServe } from '../harness/serve';

const lab = inject('lab');
let home: string;
const cli = (...args: string[]) => runCli(['--home', home, ...args]);
const json = async (...args: string[]) => {
  const result = await cli('--json', ...args);
  return { ...result, value: JSON.parse(result.stdout) };
};

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'hk-cli-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('hyperkeep CLI (the built bundle, as an administrator runs it)', () => {
  it('registers the lab hosts and lists their VMs with disks, as JSON', async () => {
    for (const host of lab.hosts) {
      const added = await json('hypervisor', 'add', '--name', host.name, '--uri', host.uri);
      expect(added.code).toBe(0);
      expect(added.value).toMatchObject({ name: host.name, type: 'libvirt', hasPassword: false });
    }
    const { code, value } = await json('vm', 'list');
    expect(code).toBe(0);
    expect(value.errors).toEqual([]);
    for (const vm of lab.vms) {
      const listed = value.vms.find((v: { name: string }) => v.name === vm.name);
      expect(listed, vm.name).toBeDefined();
      expect(listed.hypervisorName).toBe(vm.host);
      expect(listed.powerState).toBe(vm.running ? 'running' : 'shutoff');
      expect(listed.disks.map((d: { target: string }) => d.target)).toEqual(
        vm.disks.map((d) => d.target),
      );
    }
    const host1Only = await json('vm', 'list', '--hypervisor', 'lab-host-1');
    expect(
      new Set(host1Only.value.vms.map((v: { hypervisorName: string }) => v.hypervisorName)),
    ).toEqual(new Set(['lab-host-1']));
  });

  it('prints a readable table without --json', async () => {
    const { code, stdout } = await cli('vm', 'list');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NAME\s+HYPERVISOR\s+STATE/m);
    expect(stdout).toMatch(/lab-web-01\s+lab-host-1\s+running/);
  });

  it('an invalid or unreachable URI is a clear error, nothing registered', async () => {
    const invalid = await json('hypervisor', 'add', '--name', 'bad', '--uri', 'not a uri');
    expect(invalid.code).toBe(1);
    expect(invalid.value.error.message).toMatch(/URI/i);
    const gone = await cli(
      'hypervisor',
      'add',
      '--name',
      'gone',
      '--uri',
      'qemu+unix:///session?socket=/nonexistent/libvirt-sock',
    );
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^hyperkeep: .*\/nonexistent\/libvirt-sock/m);
    expect(gone.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const list = await json('hypervisor', 'list');
    expect(list.value.map((h: { name: string }) => h.name).sort()).toEqual([
      'lab-host-1',
      'lab-host-2',
    ]);
  });

  it('discover --json explains every assignment', async () => {
    expect(
      (
        await cli(
          'backupset',
          'create',
          'lab',
          '--hypervisor',
          'lab-host-1',
          '--hypervisor',
          'lab-host-2',
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await cli(
          'subclient',
          'create',
          'web',
          '--backupset',
          'lab',
          '--rule',
          'name~^lab-web',
          '--level',
          'disk',
          '--readers',
          '4',
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await cli(
          'subclient',
          'create',
          'second-host',
          '--backupset',
          'lab',
          '--rule',
          'host=lab-host-2',
        )
      ).code,
    ).toBe(0);
    const bad = await cli(
      'subclient',
      'create',
      'broken',
      '--backupset',
      'lab',
      '--rule',
      'name~web(',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Invalid regular expression \/web\(\//);
    const { code, value } = await json('discover', '--backupset', 'lab');
    expect(code).toBe(0);
    const entries = new Map(value.vms.map((v: { vm: string }) => [v.vm, v]));
    expect(entries.size).toBe(lab.vms.length);
    for (const entry of entries.values())
      expect(entry).toMatchObject({
        vm: expect.any(String),
        host: expect.any(String),
        subclient: expect.any(String),
        reason: expect.any(String),
      });
    expect(entries.get('lab-web-01')).toMatchObject({ subclient: 'web', host: 'lab-host-1' });
    expect(entries.get('lab-win-01')).toMatchObject({ subclient: 'second-host' });
    expect(entries.get('lab-db-01')).toMatchObject({ subclient: 'default' });
    const assigned = await json(
      'assign',
      '--backupset',
      'lab',
      '--vm',
      'lab-db-01',
      '--subclient',
      'web',
    );
    expect(assigned.value.vms.find((v: { vm: string }) => v.vm === 'lab-db-01')).toMatchObject({
      subclient: 'web',
      reason: 'assigned manually',
    });
    // A VM not discovered: the command to run names this backup set (review 3, P4).
    const unknown = await cli(
      'assign',
      '--backupset',
      'lab',
      '--vm',
      'nosuchvm',
      '--subclient',
      'web',
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'No VM "nosuchvm" has been discovered in backup set "lab". Run: hyperkeep discover --backupset lab',
    );
    const shown = await json('subclient', 'show', 'web', '--backupset', 'lab');
    expect(shown.value).toMatchObject({
      rulesText: ['name~^lab-web'],
      settings: { copyLevel: 'disk', dataReaders: 4 },
    });
    // Without --json: labelled lines a person reads, not JSON (review P5).
    const text = await cli('subclient', 'show', 'web', '--backupset', 'lab');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Subclient web of backup set lab \(evaluated #1\)$/m);
    expect(text.stdout).toMatch(/^ {2}Rules: +name~\^lab-web \(a VM matches any\)$/m);
    expect(text.stdout).toMatch(/^ {2}Copy: +disk level, 4 data readers/m);
    expect(text.stdout).not.toContain('{');
  });

  it('help speaks to an administrator: no patent figure numbers', async () => {
    for (const command of ['subclient', 'discover', 'restore', 'backupset']) {
      const help = await cli(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).not.toMatch(/FIG\./);
    }
    const top = await cli('--help');
    expect(top.stdout).toContain('2  usage error');
  });

  it('backupset create offers no proxy: this engine reads the disks, the proxy is "local"', async () => {
    const help = await cli('backupset', 'create', '--help');
    expect(help.stdout).not.toContain('--proxy');
    const refused = await cli(
      'backupset',
      'create',
      'elsewhere',
      '--hypervisor',
      'lab-host-1',
      '--proxy',
      'p2',
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("unknown option '--proxy'");
    const sets = await json('backupset', 'list');
    expect(sets.value.map((s: { name: string }) => s.name)).toEqual(['lab']);
    expect(sets.value[0].proxy).toBe('local');
  });

  it('schedules are validated and the next run is shown', async () => {
    const bad = await cli(
      'subclient',
      'edit',
      'web',
      '--backupset',
      'lab',
      '--schedule',
      '--full',
      '61 * * * *',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Invalid schedule "61 \* \* \* \*"/);
    const ok = await json(
      'subclient',
      'edit',
      'web',
      '--backupset',
      'lab',
      '--schedule',
      '--full',
      '30 2 * * 0',
      '--timezone',
      'Europe/Berlin',
    );
    expect(ok.code).toBe(0);
    expect(new Date(ok.value.nextFull).getTime()).toBeGreaterThan(Date.now());
    // The next incremental too, when it comes first (review M1).
    const list = await cli('subclient', 'list', '--backupset', 'lab');
    expect(list.stdout).toMatch(/NEXT FULL\s+NEXT INCREMENTAL$/m);
    expect(list.stdout).toContain(`${ok.value.nextFull}  ${ok.value.nextIncremental}`);
    expect(new Date(ok.value.nextIncremental).getTime()).toBeGreaterThan(Date.now());
  });

  describe('with `hyperkeep serve` running on the same home', () => {
    let serve: RunningServe;
    beforeAll(async () => {
      serve = await startServe({ home });
    });
    afterAll(() => serve.stop());

    it('the CLI goes through the server instead of opening a second engine', async () => {
      const { code, value } = await json('hypervisor', 'list');
      expect(code).toBe(0);
      expect(value).toHaveLength(2);
    });

    it('a second serve on the same home refuses with who holds it', async () => {
      const second = await cli('serve');
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/Another Hyperkeep engine \(serve, pid \d+/);
    });

    it('the API refuses a request without the token', async () => {
      const res = await fetch(`${serve.baseUrl}/api/invoke/vm.list`, {
        method: 'POST',
        body: '{}',
      });
      expect(res.status).toBe(401);
    });
  });

  it('reads an unattended password from a file, and never prints it', async () => {
    const file = join(home, 'pw');
    writeFileSync(file, 's3cr3t-pw\n', { mode: 0o600 });
    const added = await json(
      'hypervisor',
      'add',
      '--name',
      'with-pw',
      // lab-host-1's own URI is taken (the same host twice is refused), and the test is not
      // about connecting: a host of its own, not tested.
      '--uri',
      'qemu+tcp://with-pw.invalid/system',
      '--no-test',
      '--password-file',
      file,
    );
    expect(added.code).toBe(0);
    expect(added.value.hasPassword).toBe(true);
    expect(added.stdout).not.toContain('s3cr3t');
    const missing = await cli(
      'hypervisor',
      'add',
      '--name',
      'x',
      '--uri',
      lab.hosts[0]!.uri,
      '--password-file',
      join(home, 'nope'),
    );
    expect(missing.stderr).toBe(
      `hyperkeep: Cannot read the password file ${join(home, 'nope')}: no such file\n`,
    );
  });

  it('attaching an encrypted repository without a passphrase says how to give one', async () => {
    const location = join(home, 'encrypted-repo');
    const init = await cli(
      'repo',
      'init',
      '--name',
      'enc',
      '--path',
      location,
      '--password-file',
      join(home, 'pw'),
    );
    expect(init.code, init.stderr).toBe(0);
    const otherHome = mkdtempSync(join(tmpdir(), 'hk-cli-attach-'));
    try {
      const attach = await runCli(['--home', otherHome, 'repo', 'attach', '--path', location], {
        HYPERKEEP_PASSPHRASE: '',
      });
      expect(attach.code).toBe(1);
      expect(attach.stderr).toBe(
        `hyperkeep: The repository at ${location} is encrypted: set HYPERKEEP_PASSPHRASE or give --password-file FILE.\n`,
      );
    } finally {
      rmSync(otherHome, { recursive: true, force: true });
    }
  });
});
