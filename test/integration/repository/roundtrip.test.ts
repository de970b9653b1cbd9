import { randomBytes } from 'node:crypto';
import { copyFile, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import type { Repository } from '../../../src-main/engine/repository/repository';
import {
  PASSPHRASE,
  TEST_VM,
  du,
  hashFile,
  hashReader,
  initRepo,
  makeExt4Image,
  makeTempDir,
  mbps,
  openRepo,
  writeImage,
} from './helpers';

/** Overwrites ranges of `length` random bytes at `offsets`; returns the number of bytes changed. */
async function scribble(image: string, offsets: number[], length: number): Promise<number> {
  const fh = await open(image, 'r+');
  try {
    for (const off of offsets) await fh.write(randomBytes(length), 0, length, off);
  } finally {
    await fh.close();
  }
  return offsets.length * length;
}

describe('repository round trip on a real ext4 disk image', () => {
  let dir: string;
  let repoDir: string;
  let image1: string;
  let image2: string;
  let repo: Repository;
  const points: string[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('repo-roundtrip');
    repoDir = join(dir, 'repo');
    image1 = await makeExt4Image(dir);
    repo = await initRepo(repoDir);
  });

  afterAll(async () => {
    await repo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a point and reads the disk back byte-identical', async () => {
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const t0 = performance.now();
    const writer = await repo.startPoint({ vm: TEST_VM, meta: { domainXml: '<domain/>' } });
    await writeImage(writer, 'vda', image1);
    const point = await writer.commit({ consistency: 'crash-consistent' });
    const writeMs = performance.now() - t0;
    lag.disable();
    points.push(point.id);

    const t1 = performance.now();
    const reader = await repo.openDisk(point.id, 'vda');
    expect(await hashReader(reader)).toBe(await hashFile(image1));
    const readMs = performance.now() - t1;
    const stats = await repo.stats();
    console.log(
      `64 MiB ext4 image: write ${mbps(reader.size, writeMs)}, read ${mbps(reader.size, readMs)}; ` +
        `allocated ${(point.disks[0]!.allocatedBytes / 2 ** 20).toFixed(1)} MiB, data ${(point.disks[0]!.dataBytes / 2 ** 20).toFixed(1)} MiB, ` +
        `stored ${(stats.storedBytes / 2 ** 20).toFixed(1)} MiB in ${stats.packs} packs, ${stats.uniqueChunks} chunks, compression ${stats.compressionRatio.toFixed(2)}x; ` +
        `event-loop delay during the write p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`,
    );
    // Free space costs nothing and text compresses: the repository is smaller than the disk.
    expect(stats.storedBytes).toBeLessThan(reader.size * 0.75);
    expect(point.disks[0]!.dataBytes).toBeLessThan(reader.size);
  });

  it('dedups a second full backup after 1% of the disk changed', async () => {
    image2 = join(dir, 'disk2.img');
    await copyFile(image1, image2);
    // 1% of the disk (656 KiB) rewritten in the middle of the file system's data.
    const changed = await scribble(image2, [20 * 2 ** 20 + 4096], 656 * 1024);
    const before = await du(repoDir);
    const writer = await repo.startPoint({ vm: TEST_VM });
    await writeImage(writer, 'vda', image2);
    const point = await writer.commit({ consistency: 'crash-consistent' });
    points.push(point.id);
    const growth = (await du(repoDir)) - before;
    console.log(
      `changed ${(changed / 2 ** 20).toFixed(2)} MiB → repository grew ${(growth / 2 ** 20).toFixed(2)} MiB; new chunks ${point.stats.newChunks}`,
    );
    // Random bytes do not compress, so growth is at least the change. Around it, only the one or
    // two chunks it touches are stored again (zero runs keep boundaries in step: 0.7–2.7 MiB in
    // our runs), against ~15 MiB for the whole disk.
    expect(growth).toBeGreaterThan(changed * 0.9);
    expect(growth).toBeLessThan(changed + 4 * 2 ** 20);
    expect(await hashReader(await repo.openDisk(point.id, 'vda'))).toBe(await hashFile(image2));
  });

  it('writes an incremental point that reuses the parent for unchanged ranges', async () => {
    const image3 = join(dir, 'disk3.img');
    await copyFile(image2, image3);
    const offset = 40 * 2 ** 20;
    const length = 2 ** 20;
    await scribble(image3, [offset], length);
    const parent = points[1]!;
    const writer = await repo.startPoint({ vm: TEST_VM, parent });
    const parentDisk = await repo.openDisk(parent, 'vda');
    const size = parentDisk.size;
    await parentDisk.close();
    const disk = writer.addDisk({ name: 'vda', sizeBytes: size });
    // Changed-block tracking said: only [offset, offset+length) changed.
    await disk.copyExtentFrom(parent, 0, offset);
    const fh = await open(image3, 'r');
    const buf = new Uint8Array(length);
    await fh.read(buf, 0, length, offset);
    await fh.close();
    await disk.writeExtent(offset, buf);
    await disk.copyExtentFrom(parent, offset + length, size - offset - length);
    const point = await writer.commit({ consistency: 'filesystem-consistent' });
    points.push(point.id);
    expect(point.parent).toBe(parent);
    expect(point.stats.newRawBytes).toBeLessThan(2 * length);
    expect(await hashReader(await repo.openDisk(point.id, 'vda'))).toBe(await hashFile(image3));
  });

  it('refuses a commit that leaves part of a disk undescribed', async () => {
    const writer = await repo.startPoint({ vm: TEST_VM });
    const disk = writer.addDisk({ name: 'vda', sizeBytes: 8 * 2 ** 20 });
    await disk.writeExtent(0, new Uint8Array(2 ** 20).fill(1));
    disk.markHole(4 * 2 ** 20, 4 * 2 ** 20);
    await expect(writer.commit({ consistency: 'crash-consistent' })).rejects.toThrow(
      /bytes 1048576–4194304 were neither written, marked as a hole, nor copied/,
    );
    expect((await repo.listPoints()).map((p) => p.id)).toEqual(points);
  });

  it('is self-describing: a fresh open with path + passphrase lists and reads every point', async () => {
    const fresh = await openRepo(repoDir);
    try {
      const listed = await fresh.listPoints();
      expect(listed.map((p) => p.id)).toEqual(points);
      expect(listed[0]!.vm).toEqual(TEST_VM);
      expect(listed[0]!.meta).toEqual({ domainXml: '<domain/>' });
      expect(listed[2]!.consistency).toBe('filesystem-consistent');
      expect(await hashReader(await fresh.openDisk(points[0]!, 'vda'))).toBe(
        await hashFile(image1),
      );
    } finally {
      await fresh.close();
    }
  });

  it('answers a wrong passphrase with a clear AUTH_FAILED error', async () => {
    const err = await openRepo(repoDir, `${PASSPHRASE}!`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HyperkeepError);
    expect((err as HyperkeepError).code).toBe('AUTH_FAILED');
    expect((err as HyperkeepError).message).toBe(`Wrong passphrase for repository at ${repoDir}`);
  });

  it('verifies every byte, then prunes and collects garbage without harming the kept point', async () => {
    const report = await repo.verify({ readData: true });
    expect(report).toMatchObject({ ok: true, points: 3, errors: [] });
    const sizeBefore = await du(repoDir);
    const chunksBefore = (await repo.stats()).uniqueChunks;
    const pruned = await repo.prune({ policy: { keepLast: 1 } });
    expect(pruned.removed.sort()).toEqual(points.slice(0, 2).sort());
    // Point 3 still uses most chunks of the pruned points, so the garbage is a small part of each
    // pack; threshold 0 makes gc rewrite every pack and leave no unreferenced byte behind.
    const gc = await repo.gc({ repackThreshold: 0 });
    const sizeAfter = await du(repoDir);
    console.log(
      `gc: ${JSON.stringify(gc)}; repository ${(sizeBefore / 2 ** 20).toFixed(1)} → ${(sizeAfter / 2 ** 20).toFixed(1)} MiB`,
    );
    const kept = await repo.getPoint(points[2]!);
    const chunksAfter = (await repo.stats()).uniqueChunks;
    expect(chunksAfter).toBe(kept.disks[0]!.chunkCount);
    expect(chunksAfter).toBeLessThan(chunksBefore);
    expect(gc.freedBytes).toBeGreaterThan(0);
    expect(sizeAfter).toBeLessThan(sizeBefore);
    expect((await repo.listPoints()).map((p) => p.id)).toEqual([points[2]]);
    expect(await repo.verify({ readData: true })).toMatchObject({ ok: true, points: 1 });
    const image3 = join(dir, 'disk3.img');
    expect(await hashReader(await repo.openDisk(points[2]!, 'vda'))).toBe(await hashFile(image3));
  });

  it('cuts the same chunks whatever the read sizes, so a re-read stores nothing new', async () => {
    // Odd piece sizes cross the 16 MiB segment boundaries at other places than 4 MiB pieces do.
    const first = await repo.startPoint({ vm: TEST_VM });
    await writeImage(first, 'vda', image1, { holes: false });
    const a = await first.commit({ consistency: 'crash-consistent' });
    const second = await repo.startPoint({ vm: TEST_VM });
    await writeImage(second, 'vda', image1, { holes: false, pieceBytes: 1_000_003 });
    const b = await second.commit({ consistency: 'crash-consistent' });
    expect(b.stats.newChunks).toBe(0);
    expect(b.disks[0]!.chunkCount).toBe(a.disks[0]!.chunkCount);
    expect(await hashReader(await repo.openDisk(b.id, 'vda'))).toBe(await hashFile(image1));
  });

  it('stores reads placed in their segments (as backups read) exactly as copied ones', async () => {
    // 4 MiB pieces are all placed; 1,000,003-byte pieces sometimes cross a segment window.
    for (const pieceBytes of [4 * 1024 * 1024, 1_000_003]) {
      const copied = await repo.startPoint({ vm: TEST_VM });
      await writeImage(copied, 'vda', image2, { pieceBytes });
      const a = await copied.commit({ consistency: 'crash-consistent' });
      const placed = await repo.startPoint({ vm: TEST_VM });
      await writeImage(placed, 'vda', image2, { pieceBytes, placed: true });
      const b = await placed.commit({ consistency: 'crash-consistent' });
      expect(b.stats.newChunks).toBe(0);
      expect(b.disks[0]!.chunkCount).toBe(a.disks[0]!.chunkCount);
      expect(await hashReader(await repo.openDisk(b.id, 'vda'))).toBe(await hashFile(image2));
    }
  });
});
