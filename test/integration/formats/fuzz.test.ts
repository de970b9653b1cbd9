import { copyFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import { openDiskImage } from '../../../src-main/engine/formats/open-image';
import { Qcow2Image } from '../../../src-main/engine/formats/qcow2/qcow2-image';
import { listVolumes } from '../../../src-main/engine/volumes/detect';
import { run } from '../../harness/exec';
import { FUZZ_BITMAP, addDirtyBitmap, convertRaw, prng, qemuImg } from './test-disks';

/**
 * Damaged images must fail with a HyperkeepError (or read), never with another exception and
 * never hang. Small real images are mutated with a seeded PRNG, mostly in their metadata, for a
 * fixed time budget; a failure prints the seed and mutations to reproduce it.
 */
// FUZZ_BUDGET_MS / FUZZ_SEED let a developer run longer or other campaigns locally.
const BUDGET_MS = Number(process.env['FUZZ_BUDGET_MS'] ?? 10_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20240501);
const PER_CASE_TIMEOUT_MS = 3_000;

interface Sample {
  file: string;
  /** Bytes where the format keeps its headers and tables: mutated most often. */
  hot: [number, number][];
  bytes?: Buffer;
  /** Extra files the sample needs next to it (backing file, descriptor's extent). */
  companions?: string[];
}

let dir: string;
const samples: Sample[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-fuzz-'));
  const raw = join(dir, 'disk.raw');
  await writeFile(raw, '');
  await truncate(raw, 4 << 20);
  await run('sfdisk', ['-q', raw], {
    input: 'label: gpt\nstart=2048, size=4096, type=U\nstart=6144, size=1024, type=L\n',
  });
  await run('mkfs.fat', ['--offset', '2048', raw, '2048']);
  await run('mcopy', ['-i', `${raw}@@${2048 * 512}`, '/etc/os-release', '::/']);
  const mbr = join(dir, 'mbr.raw');
  await writeFile(mbr, '');
  await truncate(mbr, 4 << 20);
  await run('sfdisk', ['-q', mbr], {
    input:
      'label: dos\nstart=2048, size=2048, type=83\nstart=4096, size=4096, type=5\nstart=6144, size=1024, type=c\nstart=8000, size=100, type=82\n',
  });
  const K = 1024;
  const head: [number, number] = [0, 256 * K];
  const make = async (file: string, format: string, options: string[], hot: [number, number][]) => {
    await convertRaw(raw, join(dir, file), format, options);
    samples.push({ file, hot });
  };
  await make('d.qcow2', 'qcow2', ['-o', 'cluster_size=4096'], [head]);
  await make('c.qcow2', 'qcow2', ['-c', '-o', 'cluster_size=4096'], [head]);
  await make('z.qcow2', 'qcow2', ['-c', '-o', 'cluster_size=4096,compression_type=zstd'], [head]);
  await make('x.qcow2', 'qcow2', ['-o', 'extended_l2=on,cluster_size=16k'], [head]);
  // A persistent dirty bitmap with writes in it, as a powered-off VM's image holds one.
  await make('b.qcow2', 'qcow2', ['-o', 'cluster_size=4096'], [head]);
  await addDirtyBitmap(join(dir, 'b.qcow2'));
  await make('s.vmdk', 'vmdk', [], [head]);
  await make('o.vmdk', 'vmdk', ['-o', 'subformat=streamOptimized'], [head, [-64 * K, 0]]);
  await make(
    'd.vhd',
    'vpc',
    ['-o', 'subformat=dynamic,force_size=on'],
    [
      [0, 8 * K],
      [-512, 0],
    ],
  );
  await make('d.vhdx', 'vhdx', ['-o', 'block_size=1M'], [[0, 4 << 20]]);
  await make('d.vdi', 'vdi', [], [[0, 8 * K]]);
  samples.push({
    file: 'disk.raw',
    hot: [
      [0, 40 * K],
      [-40 * K, 0],
    ],
  });
  samples.push({
    file: 'mbr.raw',
    hot: [
      [0, 512],
      [4096 * 512, 4097 * 512],
      [6143 * 512, 6144 * 512],
    ],
  });
  await convertRaw(raw, join(dir, 'base.qcow2'), 'qcow2');
  await qemuImg(
    'create',
    '-f',
    'qcow2',
    '-o',
    'cluster_size=4096',
    '-b',
    'base.qcow2',
    '-F',
    'qcow2',
    join(dir, 'top.qcow2'),
  );
  await run('qemu-io', ['-c', 'write -P 0x41 8k 12k', join(dir, 'top.qcow2')]);
  samples.push({ file: 'top.qcow2', hot: [head], companions: ['base.qcow2'] });
  for (const s of samples) s.bytes = await readFile(join(dir, s.file));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens, reads around, maps and lists a (damaged) image; returns what it threw. */
async function exercise(path: string): Promise<unknown> {
  try {
    const { reader } = await openDiskImage(path);
    try {
      const probes = [0, Math.floor(reader.size / 2), reader.size - 65536, 12345];
      for (const at of probes) {
        const offset = Math.max(0, Math.min(at, reader.size - 1));
        await reader.read(offset, Math.min(65536, reader.size - offset));
      }
      await reader.allocationMap(0, Math.min(reader.size, 16 << 20));
      if (reader instanceof Qcow2Image) await reader.changedSince(FUZZ_BITMAP);
      await listVolumes(reader, 'vda');
    } finally {
      await reader.close();
    }
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('damaged images', () => {
  it(
    'fail with HyperkeepError or read, never crash or hang',
    async () => {
      const random = prng(SEED);
      const started = Date.now();
      let cases = 0;
      let refused = 0;
      while (Date.now() - started < BUDGET_MS) {
        const sample = samples[Math.floor(random() * samples.length)]!;
        const bytes = Buffer.from(sample.bytes!);
        const mutations: string[] = [];
        const count = 1 + Math.floor(random() * 8);
        for (let m = 0; m < count; m++) {
          let at: number;
          if (random() < 0.8) {
            const [from, to] = sample.hot[Math.floor(random() * sample.hot.length)]!;
            const start = from < 0 ? bytes.length + from : from;
            const end = to <= 0 ? bytes.length + to : Math.min(to, bytes.length);
            at = start + Math.floor(random() * Math.max(1, end - start));
          } else {
            at = Math.floor(random() * bytes.length);
          }
          at = Math.min(Math.max(at, 0), bytes.length - 1);
          const kind = random();
          const value =
            kind < 0.4
              ? Math.floor(random() * 256)
              : kind < 0.6
                ? 0xff
                : kind < 0.8
                  ? 0
                  : bytes[at]! ^ (1 << Math.floor(random() * 8));
          bytes[at] = value;
          mutations.push(`${at}=${value}`);
        }
        const caseDir = await mkdtemp(join(dir, 'case-'));
        const path = join(caseDir, sample.file);
        await writeFile(path, bytes);
        for (const c of sample.companions ?? []) await copyFile(join(dir, c), join(caseDir, c));
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          exercise(path),
          new Promise((resolve) => {
            timer = setTimeout(() => resolve('hang'), PER_CASE_TIMEOUT_MS);
          }),
        ]);
        clearTimeout(timer);
        const what = `${sample.file} with bytes ${mutations.join(', ')}`;
        if (outcome === 'hang')
          throw new Error(`no answer within ${PER_CASE_TIMEOUT_MS} ms: ${what}`);
        if (outcome !== undefined && !(outcome instanceof HyperkeepError)) {
          throw new Error(`${what} threw ${String((outcome as Error)?.stack ?? outcome)}`);
        }
        if (outcome !== undefined) refused++;
        cases++;
        await rm(caseDir, { recursive: true, force: true });
      }
      if (process.env['FUZZ_SEED']) console.log(`fuzz: ${cases} cases, ${refused} refused`);
      expect(cases).toBeGreaterThan(50);
      expect(refused).toBeGreaterThan(0);
    },
    BUDGET_MS + 60_000,
  );
});
