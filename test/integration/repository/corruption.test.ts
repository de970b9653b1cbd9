import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { TEST_VM, hashReader, initRepo, makeTempDir, seededBytes } from './helpers';

async function flipByte(path: string, offset: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0]! ^= 0x40;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

/** Pack files in the order they were written (oldest first). */
async function packsByAge(repoDir: string): Promise<string[]> {
  const files = (await readdir(join(repoDir, 'packs'), { recursive: true })).map((f) =>
    join(repoDir, 'packs', f),
  );
  const withTimes = await Promise.all(files.map(async (f) => ({ f, st: await stat(f) })));
  return withTimes
    .filter((x) => x.st.isFile())
    .sort((a, b) => a.st.mtimeMs - b.st.mtimeMs)
    .map((x) => x.f);
}

describe('damage inside the repository', () => {
  let dir: string;
  let repo: Repository;
  const ids: string[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('repo-corrupt');
    repo = await initRepo(dir);
    // p1 and p2 share most data (p2 changes its last MiB); p3 is another VM with its own data.
    const shared = seededBytes('shared', 6 * 2 ** 20);
    for (const [vm, data] of [
      [TEST_VM, shared],
      [TEST_VM, Buffer.concat([shared.subarray(0, 5 * 2 ** 20), seededBytes('tail', 2 ** 20)])],
      [{ uuid: 'other', name: 'db-01' }, seededBytes('other', 2 * 2 ** 20)],
    ] as const) {
      const writer = await repo.startPoint({ vm });
      await writer.addDisk({ name: 'vda', sizeBytes: data.length }).writeExtent(0, data);
      ids.push((await writer.commit({ consistency: 'crash-consistent' })).id);
    }
  });

  afterAll(async () => {
    await repo.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('verify with data checking names exactly the points that use the damaged chunk', async () => {
    expect(await repo.verify({ readData: true })).toMatchObject({ ok: true, points: 3 });
    const [firstPack] = await packsByAge(dir);
    // A byte early in p1's pack: inside the first chunk of the shared data.
    await flipByte(firstPack!, 1000);
    // Metadata checks cannot see it (sizes and names are intact)…
    expect(await repo.verify()).toMatchObject({ ok: true });
    // …reading every byte does.
    const report = await repo.verify({ readData: true });
    expect(report.ok).toBe(false);
    const damaged = report.errors.filter((e) => e.kind === 'damaged-chunk');
    expect(damaged).toHaveLength(1);
    expect(damaged[0]!.points).toEqual([ids[0]!, ids[1]!].sort());
    expect(damaged[0]!.pack).toBe(firstPack!.split('/').pop());
    expect(damaged[0]!.message).toMatch(/is damaged \(authentication failed/);
    // The pack as a whole no longer matches its hash either; that error names no extra points.
    expect(report.errors.filter((e) => e.kind === 'damaged-pack').flatMap((e) => e.points)).toEqual(
      [],
    );

    // Reading the damaged point fails loudly; the untouched one still reads.
    const err = await hashReader(await repo.openDisk(ids[0]!, 'vda')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HyperkeepError);
    expect((err as HyperkeepError).details?.reason).toBe('CORRUPT');
    expect(await hashReader(await repo.openDisk(ids[2]!, 'vda'))).toMatch(/^[0-9a-f]{64}$/);
    await flipByte(firstPack!, 1000);
  });

  it('names the point whose manifest is damaged', async () => {
    const manifest = join(dir, 'snapshots', ids[2]!);
    await flipByte(manifest, 40);
    const report = await repo.verify();
    expect(report.errors).toEqual([
      expect.objectContaining({ kind: 'damaged-manifest', points: [ids[2]] }),
    ]);
    await flipByte(manifest, 40);
    expect(await repo.verify({ readData: true })).toMatchObject({ ok: true });
  });

  it('rebuilds a lost index from the packs’ own blob tables', async () => {
    for (const f of await readdir(join(dir, 'index'))) await rm(join(dir, 'index', f));
    const report = await repo.verify();
    expect(report.ok).toBe(false);
    expect(new Set(report.errors.map((e) => e.kind))).toEqual(new Set(['missing-chunk']));
    expect(await repo.rebuildIndex()).toMatchObject({ unreadablePacks: [] });
    expect(await repo.verify({ readData: true })).toMatchObject({ ok: true, points: 3 });
  });
});
