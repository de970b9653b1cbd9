/**
 * gc against restores and backups: gc repacks the packs a deleted point shared with a kept one,
 * so a restore of the kept point that is open while gc runs would lose its packs halfway. gc
 * waits for open readers; a restore open too long makes gc give up with a message naming it
 * (never a broken restore); a backup holding the repository is waited for when asked (prune and
 * deletion jobs do), cancellably.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { initRepoForGc, makeTempDir, TEST_VM } from './helpers';

const MIB = 1024 * 1024;
let dir: string;
let repo: Repository;
let keptImage: Buffer;
let kept: string;

async function readAll(reader: { size: number; read(o: number, l: number): Promise<Uint8Array> }) {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < reader.size; offset += MIB)
    parts.push(Buffer.from(await reader.read(offset, Math.min(MIB, reader.size - offset))));
  return Buffer.concat(parts);
}

beforeAll(async () => {
  dir = await makeTempDir('gc-reading');
  ({ repo, keptImage, kept } = await initRepoForGc(dir));
}, 60_000);

afterAll(async () => {
  await repo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('gc while restore points are being read', () => {
  it('waits for an open restore, which reads every byte, then frees the space', async () => {
    const reader = await repo.openDisk(kept, 'vda', { readAhead: false });
    const first = await reader.read(0, MIB);
    await repo.deletePoints(
      (await repo.listPoints()).filter((p) => p.id !== kept).map((p) => p.id),
    );
    let waitingFor: string[] = [];
    let gcDone = false;
    const gc = repo
      .gc({ repackThreshold: 0, onWaitForReaders: (r) => (waitingFor = r) })
      .finally(() => (gcDone = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(gcDone).toBe(false);
    expect(waitingFor).toEqual([`disk vda of restore point ${kept}`]);
    // The rest of the restore, with gc waiting: every byte as backed up.
    const rest = await readAll({
      size: reader.size - MIB,
      read: (o, l) => reader.read(MIB + o, l),
    });
    expect(Buffer.concat([Buffer.from(first), rest]).equals(keptImage)).toBe(true);
    await reader.close();
    const result = await gc;
    expect(result.freedBytes).toBeGreaterThan(4 * MIB);
    // And after gc moved the chunks, a new restore still reads them all.
    const again = await repo.openDisk(kept, 'vda');
    expect((await readAll(again)).equals(keptImage)).toBe(true);
    await again.close();
  });

  it('waits for a backup writing to the repository when asked to, and stops waiting when cancelled', async () => {
    const writer = await repo.startPoint({ vm: TEST_VM });
    let holders: string[] = [];
    let done = false;
    const gc = repo
      .gc({ lockWaitMs: 30_000, onWaitForLock: (h) => (holders = h) })
      .finally(() => (done = true));
    const cancel = new AbortController();
    const cancelled = repo.gc({ lockWaitMs: 30_000, signal: cancel.signal });
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    expect(holders).toEqual([`backup of ${TEST_VM.name}`]);
    cancel.abort(new Error('cancelled by the test'));
    await expect(cancelled).rejects.toThrow('cancelled by the test');
    // Without waiting, gc refuses at once, naming the backup.
    await expect(repo.gc()).rejects.toThrow(`backup of ${TEST_VM.name}`);
    const disk = writer.addDisk({ name: 'vda', sizeBytes: MIB });
    await disk.writeExtent(0, new Uint8Array(MIB).fill(7));
    const point = await writer.commit({ consistency: 'crash-consistent' });
    await gc;
    const reader = await repo.openDisk(point.id, 'vda');
    expect(Buffer.from(await reader.read(0, MIB)).equals(Buffer.alloc(MIB, 7))).toBe(true);
    await reader.close();
  });

  it('a restore open for too long makes gc give up, naming it, and the restore goes on', async () => {
    const reader = await repo.openDisk(kept, 'vda');
    await expect(repo.gc({ readersWaitMs: 200 })).rejects.toThrow(
      `for 1 reader(s) of restore points to finish (disk vda of restore point ${kept}) and did not run`,
    );
    expect((await readAll(reader)).equals(keptImage)).toBe(true);
    await reader.close();
    await expect(repo.gc({ readersWaitMs: 200 })).resolves.toMatchObject({ deletedPacks: 0 });
  });

  it('gc of packs with nothing to free leaves them alone (it used to delete its own rewrite)', async () => {
    // With every blob live, a rewritten pack came out identical, under the same id, and the
    // "old" pack deleted after the rewrite was that very file.
    const packs = async () =>
      (await readdir(join(dir, 'repo', 'packs'), { recursive: true })).sort();
    const before = await packs();
    await repo.gc({ repackThreshold: 0 });
    expect(await packs()).toEqual(before);
    const report = await repo.verify({ readData: true });
    expect(report.errors).toEqual([]);
  });
});
