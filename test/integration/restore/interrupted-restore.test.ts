/**
 * A file restore killed with SIGKILL half-way (the CLI as a child process, its own engine) leaves
 * no file under the real name, only a dot-partial; running the same restore again completes it,
 * replaces the leftover and produces the original bytes.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, sleep } from '../../harness/exec';
import { scratchDir } from '../filesystems/fs-fixtures';
import { seededBytes } from '../repository/helpers';
import { homeWithPoint, sha256File, sha256Of } from './restore-fixtures';

const repoRoot = resolve(import.meta.dirname, '../../..');
const node = join(repoRoot, 'node_modules/.bin/node');
const entry = join(import.meta.dirname, 'cli-entry.ts');
const BIG = 16 * 1024 * 1024;

let scratch: { path: string; remove: () => Promise<void> };
let home: string;
let pointId: string;
let bigSha: string;

function cli(args: string[]) {
  return spawn(node, ['--import', 'tsx', entry, '--home', home, '--json', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

beforeAll(async () => {
  scratch = await scratchDir('restore-kill');
  const staging = join(scratch.path, 'staging');
  await mkdir(staging);
  const big = seededBytes('kill-9', BIG);
  bigSha = sha256Of(big);
  await writeFile(join(staging, 'big.bin'), big);
  const image = join(scratch.path, 'disk.img');
  await run('truncate', ['-s', '48M', image]);
  await run('mkfs.ext4', ['-q', '-F', '-d', staging, image]);
  ({ home, pointId } = await homeWithPoint(scratch.path, image, 'kill-vm'));
}, 60_000);

afterAll(async () => {
  await scratch?.remove();
});

describe('a file restore killed with kill -9', () => {
  it('leaves no complete-looking file, and a second run completes it', async () => {
    const dest = join(scratch.path, 'dest');
    const args = ['restore', 'files', '--vm', 'kill-vm', '--point', pointId, '--dest', dest];
    const child = cli([...args, '--strip', '1', '/vda/big.bin']);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const partial = join(dest, '.big.bin.hk-partial');
    let killedAt = -1;
    // Bounded by the deadline: poll until some bytes are in the partial file, then kill.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const size = await stat(partial).then(
        (s) => s.size,
        () => 0,
      );
      if (size > 0) {
        killedAt = size;
        child.kill('SIGKILL');
        break;
      }
      if (child.exitCode !== null) break;
      await sleep(5);
    }
    await exited;
    expect(killedAt, `the restore ended before it could be killed: ${stderr}`).toBeGreaterThan(0);
    const names = await readdir(dest);
    expect(names).not.toContain('big.bin');
    expect(names).toEqual(['.big.bin.hk-partial']);

    const again = cli([...args, '--strip', '1', '/vda/big.bin']);
    let out = '';
    again.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => again.once('exit', (c) => r(c)));
    expect(code, out).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      status: 'succeeded',
      result: { files: 1, skipped: [] },
    });
    expect(await readdir(dest)).toEqual(['big.bin']);
    expect(await sha256File(join(dest, 'big.bin'))).toBe(bigSha);
  });
});
