/**
 * `hyperkeep points delete` as an administrator runs it after attaching a repository to a new
 * console (no subclient here sets a retention, so prune keeps everything): chosen points go, the
 * space only they used comes back, and what stays still verifies and restores byte for byte.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, PruneJobResult } from '../../../shared/domain/jobs';
import { cliFromSource } from '../../harness/cli-process';
import { pointIdsIn, writeRandomPoints } from './helpers';

const WEB = { uuid: '6f1c1e0e-3c1a-4d7e-9a51-00000000de01', name: 'old-web-01' };
const GONE = { uuid: '6f1c1e0e-3c1a-4d7e-9a51-00000000de02', name: 'decommissioned-01' };
const DISK_BYTES = 512 * 1024;

let scratch: string;
let home: string;
const { cli, cliOk, cliJson } = cliFromSource(() => home);
let repoDir: string;
/** Oldest first, with the image each point holds. */
const webPoints: { id: string; image: string }[] = [];
const gonePoints: string[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-delete-points-'));
  repoDir = join(scratch, 'repository');
  // Made on one console, then attached to another: the second has no subclient for these VMs.
  home = join(scratch, 'first-home');
  await cliOk(['repo', 'init', '--path', repoDir, '--no-encrypt']);
  webPoints.push(...(await writeRandomPoints(repoDir, scratch, WEB, 3, DISK_BYTES)));
  gonePoints.push(
    ...(await writeRandomPoints(repoDir, scratch, GONE, 2, DISK_BYTES)).map((p) => p.id),
  );
  home = join(scratch, 'home');
  await cliOk(['repo', 'attach', '--path', repoDir]);
}, 120_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('deleting restore points from the CLI', () => {
  it('an unknown id is refused by name before any job, and nothing is deleted', async () => {
    const jobsBefore = await cliJson<Job[]>(['jobs']);
    const result = await cli(['--json', 'points', 'delete', webPoints[0]!.id, 'no-such-point']);
    expect(result.code).toBe(1);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('has no restore point no-such-point');
    expect(error.message).toContain('nothing was deleted');
    expect(await pointIdsIn(repoDir)).toHaveLength(5);
    expect((await cliJson<Job[]>(['jobs'])).length).toBe(jobsBefore.length);
  });

  it('names what to delete or says how: a usage error, exit 2', async () => {
    const none = await cli(['points', 'delete']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--vm VM --all');
    const both = await cli(['points', 'delete', webPoints[0]!.id, '--vm', WEB.name, '--all']);
    expect(both.code).toBe(2);
  });

  it('a dry run says what would go and deletes nothing', async () => {
    const job = await cliJson<Job>(['points', 'delete', webPoints[0]!.id, '--dry-run']);
    const result = job.result as PruneJobResult;
    expect(job.status).toBe('succeeded');
    expect(result.wouldRemove?.map((p) => [p.id, p.vmName, p.reason])).toEqual([
      [webPoints[0]!.id, WEB.name, 'deleted by request'],
    ]);
    expect(await pointIdsIn(repoDir)).toHaveLength(5);
  });

  it('deletes two points of a VM, frees their space, and the third still verifies and restores', async () => {
    const [oldest, middle, newest] = webPoints;
    const text = await cliOk(['points', 'delete', oldest!.id, middle!.id]);
    // Their disks held bytes no other point has: the space comes back.
    expect(text).toMatch(
      new RegExp(
        `Removed 2 restore points, freed \\d+(\\.\\d+)? (KiB|MiB); 1 other restore point of ${WEB.name} remains\\.`,
      ),
    );
    expect(text).toMatch(new RegExp(`\\n  removed +\\S+  ${oldest!.id}  deleted by request`));
    expect(text).toMatch(new RegExp(`\\n  keep +\\S+  ${newest!.id}  not chosen for deletion`));
    expect(await pointIdsIn(repoDir)).toEqual([...gonePoints, newest!.id].sort());
    const listed = await cliJson<{ id: string }[]>(['points', '--vm', WEB.name]);
    expect(listed.map((p) => p.id)).toEqual([newest!.id]);

    await cliOk(['verify', '--read-data']);
    const dest = join(scratch, 'restored.raw');
    await cliOk(['restore', 'disk', '--vm', WEB.name, '--disk', 'vda', '--dest', dest, '--wait']);
    expect((await readFile(dest)).equals(await readFile(newest!.image))).toBe(true);
  });

  it('--vm with --all deletes every point of a VM that is gone', async () => {
    const job = await cliJson<Job>(['points', 'delete', '--vm', GONE.name, '--all']);
    expect(job.title).toBe(`Delete 2 restore points of ${GONE.name} from default`);
    expect((job.result as PruneJobResult).removed?.map((p) => p.id).sort()).toEqual(
      [...gonePoints].sort(),
    );
    expect(await pointIdsIn(repoDir)).toEqual([webPoints[2]!.id]);
  });
});
