/**
 * `hyperkeep repo passwd`: an administrator rotates an encrypted repository's passphrase, as
 * with restic's `key passwd`. The old passphrase stops opening it, the new one opens it, this
 * console's unattended jobs use the new one at once, and the data (the same keys) still reads.
 * Secrets come from the environment or files, never from a prompt.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepositoryInfo } from '../../../shared/domain/jobs';
import { LocalDirectoryBackend } from '../../../src-main/engine/repository/backends/local-directory';
import { Repository } from '../../../src-main/engine/repository/repository';
import { cliFromSource } from '../../harness/cli-process';
import { TEST_KDF, writeImage } from './helpers';

const OLD = 'correct horse battery staple';
const NEW = 'a quite different passphrase 42';
const VM = { uuid: '5a1e0000-0000-4000-8000-00000000c0de', name: 'passwd-vm' };

let scratch: string;
let home: string;
let repoDir: string;
let plainDir: string;
const { cli, cliOk, cliJson } = cliFromSource(() => home);
/** A second console, which attached nothing yet. */
const otherConsole = cliFromSource(() => join(scratch, 'other-home'));

const keyFiles = async (dir: string): Promise<string[]> =>
  (await readdir(join(dir, 'keys'))).sort();

async function opens(dir: string, passphrase: string): Promise<boolean> {
  try {
    await (await Repository.open(new LocalDirectoryBackend(dir), { passphrase })).close();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'AUTH_FAILED') return false;
    throw err;
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-passwd-'));
  home = join(scratch, 'home');
  repoDir = join(scratch, 'vault');
  plainDir = join(scratch, 'plain');
  // A repository with a point in it, made where the console cannot see, then attached.
  const repository = await Repository.init(new LocalDirectoryBackend(repoDir), {
    encrypt: true,
    passphrase: OLD,
    kdf: TEST_KDF,
  });
  const image = join(scratch, 'disk.raw');
  await writeFile(image, randomBytes(3 * 1024 * 1024));
  const writer = await repository.startPoint({ vm: VM, meta: { domainXml: '<domain/>' } });
  await writeImage(writer, 'vda', image);
  await writer.commit({ consistency: 'crash-consistent' });
  await repository.close();
  await cliOk(['repo', 'attach', '--name', 'vault', '--path', repoDir], {
    HYPERKEEP_PASSPHRASE: OLD,
  });
  await cliOk(['repo', 'init', '--name', 'plain', '--path', plainDir, '--no-encrypt']);
}, 120_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('repo passwd', () => {
  it('says where each passphrase comes from when one is missing', async () => {
    const noNew = await cli(['repo', 'passwd', 'vault'], { HYPERKEEP_PASSPHRASE: OLD });
    expect(noNew.code).toBe(2);
    expect(noNew.stderr).toContain('set HYPERKEEP_NEW_PASSPHRASE or give --new-password-file');
    const noCurrent = await cli(['repo', 'passwd', 'vault'], { HYPERKEEP_NEW_PASSPHRASE: NEW });
    expect(noCurrent.code).toBe(2);
    expect(noCurrent.stderr).toContain('set HYPERKEEP_PASSPHRASE or give --password-file');
  });

  it('refuses a wrong current passphrase, the same one again, and an unencrypted repository', async () => {
    const before = await keyFiles(repoDir);
    const wrong = await cli(['repo', 'passwd', 'vault'], {
      HYPERKEEP_PASSPHRASE: 'not it',
      HYPERKEEP_NEW_PASSPHRASE: NEW,
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      'The current passphrase of repository "vault" is wrong: nothing was changed.',
    );
    expect(wrong.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const same = await cli(['repo', 'passwd', 'vault'], {
      HYPERKEEP_PASSPHRASE: OLD,
      HYPERKEEP_NEW_PASSPHRASE: OLD,
    });
    expect(same.code).toBe(1);
    expect(same.stderr).toContain('The new passphrase is the same as the current one');
    expect(await keyFiles(repoDir)).toEqual(before);
    expect(await opens(repoDir, OLD)).toBe(true);

    const plain = await cli(['repo', 'passwd', 'plain'], {
      HYPERKEEP_PASSPHRASE: OLD,
      HYPERKEEP_NEW_PASSPHRASE: NEW,
    });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('Repository "plain" is not encrypted');
  });

  it('changes it from files: the old one stops opening it, this console goes on with the new one', async () => {
    const before = await keyFiles(repoDir);
    await writeFile(join(scratch, 'old.txt'), `${OLD}\n`, { mode: 0o600 });
    await writeFile(join(scratch, 'new.txt'), `${NEW}\n`, { mode: 0o600 });
    const info = await cliJson<RepositoryInfo>([
      'repo',
      'passwd',
      'vault',
      '--password-file',
      join(scratch, 'old.txt'),
      '--new-password-file',
      join(scratch, 'new.txt'),
    ]);
    expect(info).toMatchObject({ name: 'vault', encrypted: true, points: 1 });
    expect(JSON.stringify(info)).not.toContain(NEW);
    const after = await keyFiles(repoDir);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    expect(await opens(repoDir, OLD)).toBe(false);
    expect(await opens(repoDir, NEW)).toBe(true);
    // A new process opens the repository with what this console stored: the new passphrase. A
    // full read decrypts every chunk: the data keys did not change.
    const verify = await cli(['verify', '--repository', 'vault', '--read-data']);
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);
    // Another console that still has the old passphrase cannot attach it.
    const elsewhere = await otherConsole.cli(['repo', 'attach', '--path', repoDir], {
      HYPERKEEP_PASSPHRASE: OLD,
    });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`Wrong passphrase for repository at ${repoDir}`);
  }, 120_000);

  it('leaves both passphrases working when it stops between writing the new key and removing the old', async () => {
    const repository = await Repository.open(new LocalDirectoryBackend(repoDir), {
      passphrase: NEW,
    });
    await expect(
      repository.changePassphrase('third', TEST_KDF, {
        beforeRemovingOld: () => {
          throw new Error('power cut');
        },
      }),
    ).rejects.toThrow('power cut');
    await repository.close();
    expect(await keyFiles(repoDir)).toHaveLength(2);
    expect(await opens(repoDir, NEW)).toBe(true);
    expect(await opens(repoDir, 'third')).toBe(true);
  });
});
