import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogPoint } from '../../../src-main/engine/file-catalog/catalog-point';
import { RawImage } from '../../../src-main/engine/formats/raw/raw-image';
import type { PointManifest } from '../../../src-main/engine/repository/manifest';
import { listDiskVolumes } from '../../../src-main/engine/volumes/detect';
import { deterministicBytes } from '../../harness/image-recipes';
import { run } from '../../harness/exec';
import {
  catalogDump,
  openTempCatalog,
  type TempCatalog,
} from '../../unit/engine/file-catalog/temp-catalog';
import { TEST_VM, initRepo, writeImage } from '../repository/helpers';

/**
 * A real volume group made by lvm2 on two loop devices: one PV inside a GPT partition of disk
 * "vda", one on the whole disk "vdb"; a linear LV holding an ext4 file system and an LV striped
 * over both PVs. Activation is off (no device-mapper here), so the LV contents are written at the
 * extents `lvs` itself reports, and Hyperkeep must find them through the on-disk metadata alone.
 */
const canMakeLvm =
  process.getuid?.() === 0 &&
  existsSync('/dev/loop-control') &&
  ['/usr/sbin/pvcreate', '/sbin/pvcreate'].some(existsSync);

const SECTOR = 512;
const PART_START = 2048;
const PART_SECTORS = 77824;
const MiB = 1 << 20;

interface LvSegment {
  lv_name: string;
  seg_pe_ranges: string;
  stripes: string;
  stripe_size: string;
}

let dir: string;
const loops: string[] = [];
let layout: { segments: LvSegment[]; extentSize: number; peStart: Map<string, number> };

async function lvm(args: string[]): Promise<string> {
  const filter = loops.map((l) => `"a|^${l}$|"`).join(', ');
  const config =
    'global { activation = 0 } backup { backup = 0 archive = 0 } ' +
    `devices { filter = [ ${filter}, "r|.*|" ] obtain_device_list_from_udev = 0 }`;
  const [cmd, ...rest] = args;
  return (
    await run(cmd!, ['--config', config, ...rest], {
      env: { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' },
    })
  ).stdout;
}

beforeAll(async () => {
  if (!canMakeLvm) return;
  dir = await mkdtemp(join(tmpdir(), 'hk-lvm-'));
  const vda = join(dir, 'vda.raw');
  const vdb = join(dir, 'vdb.raw');
  for (const p of [vda, vdb]) {
    await writeFile(p, '');
    await truncate(p, 40 * MiB);
  }
  await run('sfdisk', ['-q', vda], {
    input: `label: gpt\nstart=${PART_START}, size=${PART_SECTORS}, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n`,
  });
  const a = (
    await run('losetup', [
      '-f',
      '--show',
      '-o',
      String(PART_START * SECTOR),
      '--sizelimit',
      String(PART_SECTORS * SECTOR),
      vda,
    ])
  ).stdout.trim();
  loops.push(a);
  const b = (await run('losetup', ['-f', '--show', vdb])).stdout.trim();
  loops.push(b);
  await lvm(['pvcreate', a, b]);
  await lvm(['vgcreate', '-s', '4M', 'vg-test', a, b]);
  await lvm(['lvcreate', '-an', '-Zn', '-L', '8M', '-n', 'root', 'vg-test', a]);
  await lvm(['lvcreate', '-an', '-Zn', '-i2', '-I64k', '-L', '16M', '-n', 'data', 'vg-test']);
  const lvs = JSON.parse(
    await lvm([
      'lvs',
      '--reportformat',
      'json',
      '--units',
      'b',
      '-o',
      'lv_name,seg_pe_ranges,stripes,stripe_size',
    ]),
  ) as { report: { lv: LvSegment[] }[] };
  const pvs = JSON.parse(
    await lvm([
      'pvs',
      '--reportformat',
      'json',
      '--units',
      'b',
      '-o',
      'pv_name,pe_start,vg_extent_size',
    ]),
  ) as { report: { pv: { pv_name: string; pe_start: string; vg_extent_size: string }[] }[] };
  const pvList = pvs.report[0]!.pv;
  layout = {
    segments: lvs.report[0]!.lv,
    extentSize: parseInt(pvList[0]!.vg_extent_size, 10),
    peStart: new Map(pvList.map((p) => [p.pv_name, parseInt(p.pe_start, 10)])),
  };
  for (const l of loops.splice(0)) await run('losetup', ['-d', l]);
}, 60_000);

afterAll(async () => {
  for (const l of loops) await run('losetup', ['-d', l]).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Where PV `device` lives in our files: the partition of vda.raw, or all of vdb.raw. */
function pvFile(device: string, devices: string[]): { path: string; base: number } {
  return device === devices[0]
    ? { path: join(dir, 'vda.raw'), base: PART_START * SECTOR }
    : { path: join(dir, 'vdb.raw'), base: 0 };
}

/** The PV extents each segment of an LV starts at, as `lvs` reports them. */
const ranges = (s: LvSegment) =>
  s.seg_pe_ranges.split(' ').map((r) => {
    const m = /^(.+):(\d+)-(\d+)$/.exec(r)!;
    return { device: m[1]!, first: Number(m[2]) };
  });

/** Writes `bytes` at byte `at` of extent `pe` of PV `device`, in the file holding that PV. */
async function placeAt(device: string, pe: number, at: number, bytes: Buffer): Promise<void> {
  const devices = [...layout.peStart.keys()].sort();
  const { path, base } = pvFile(device, devices);
  const f = await open(path, 'r+');
  await f.write(
    bytes,
    0,
    bytes.length,
    base + layout.peStart.get(device)! + pe * layout.extentSize + at,
  );
  await f.close();
}

/** Lays `bytes` into the striped LV "data": its chunks dealt round-robin over the stripes. */
async function placeStriped(bytes: Buffer): Promise<void> {
  const data = layout.segments.find((s) => s.lv_name === 'data')!;
  const chunk = parseInt(data.stripe_size, 10);
  const stripes = ranges(data);
  for (let i = 0; i < bytes.length / chunk; i++) {
    const s = stripes[i % 2]!;
    await placeAt(
      s.device,
      s.first,
      Math.floor(i / 2) * chunk,
      bytes.subarray(i * chunk, (i + 1) * chunk),
    );
  }
}

describe.skipIf(!canMakeLvm)('LVM2 volume groups made by lvm2', () => {
  it('finds linear and striped logical volumes across two disks and reads their contents', async () => {
    // root: a real ext4 image laid into its extents.
    const root = layout.segments.find((s) => s.lv_name === 'root')!;
    const ext4 = join(dir, 'root.ext4');
    await writeFile(ext4, '');
    await truncate(ext4, 8 * MiB);
    await run('mkfs.ext4', ['-F', '-q', '-L', 'lvroot', ext4]);
    const rootBytes = await readFile(ext4);
    const [rootRange] = ranges(root);
    await placeAt(rootRange!.device, rootRange!.first, 0, rootBytes);

    // data: 64 KiB chunks dealt round-robin over the two stripes, as dm-stripe lays them out.
    const data = layout.segments.find((s) => s.lv_name === 'data')!;
    expect(data.stripes).toBe('2');
    const chunk = parseInt(data.stripe_size, 10);
    const dataBytes = deterministicBytes(99, 16 * MiB);
    await placeStriped(dataBytes);

    const vda = await RawImage.open(join(dir, 'vda.raw'));
    const vdb = await RawImage.open(join(dir, 'vdb.raw'));
    try {
      const { volumes, warnings } = await listDiskVolumes([
        { name: 'vda', reader: vda },
        { name: 'vdb', reader: vdb },
      ]);
      expect(warnings).toEqual([]);
      expect(volumes.map((v) => [v.name, v.disk, v.size, v.partitionKind, v.fsHint])).toEqual([
        ['vda1', 'vda', PART_SECTORS * SECTOR, 'linux-lvm', 'lvm'],
        ['vdb', 'vdb', 40 * MiB, 'whole-disk', 'lvm'],
        ['vg--test-root', 'vda', 8 * MiB, 'lvm-logical-volume', 'ext'],
        ['vg--test-data', 'vda', 16 * MiB, 'lvm-logical-volume', 'unknown'],
      ]);
      const byName = new Map(volumes.map((v) => [v.name, v.reader]));
      expect(
        Buffer.from(await byName.get('vg--test-root')!.read(0, 8 * MiB)).equals(rootBytes),
      ).toBe(true);
      expect(
        Buffer.from(await byName.get('vg--test-data')!.read(0, 16 * MiB)).equals(dataBytes),
      ).toBe(true);
      // Reads that cross stripe chunks at odd offsets.
      const odd = await byName.get('vg--test-data')!.read(chunk - 100, 3 * chunk + 7);
      expect(Buffer.from(odd).equals(dataBytes.subarray(chunk - 100, 4 * chunk + 7 - 100))).toBe(
        true,
      );

      // With only the first disk, the striped LV cannot be read and says why.
      const partial = await listDiskVolumes([{ name: 'vda', reader: vda }]);
      expect(partial.volumes.map((v) => v.name)).toEqual(['vda1', 'vg--test-root']);
      expect(partial.warnings).toEqual([
        expect.stringMatching(/vg-test\/data needs physical volume\(s\) pv1 .*other disks/),
      ]);
    } finally {
      await vda.close();
      await vdb.close();
    }
  });

  it('catalogs an ext volume striped over both disks from what changed, as a full walk would', async () => {
    const tree = join(dir, 'tree');
    for (let i = 0; i < 300; i++) {
      await mkdir(join(tree, `d${i % 9}`), { recursive: true });
      await writeFile(join(tree, `d${i % 9}`, `f${i}.txt`), `${i}\n`.repeat(i));
    }
    const ext4 = join(dir, 'data.ext4');
    await writeFile(ext4, '');
    await truncate(ext4, 16 * MiB);
    await run('mkfs.ext4', ['-F', '-q', '-b', '1024', '-d', tree, ext4]);
    await placeStriped(await readFile(ext4));
    const repository = await initRepo(join(dir, 'repo'));
    const store = async () => {
      const writer = await repository.startPoint({ vm: TEST_VM });
      await writeImage(writer, 'vda', join(dir, 'vda.raw'));
      await writeImage(writer, 'vdb', join(dir, 'vdb.raw'));
      return writer.commit({ consistency: 'crash-consistent' });
    };
    const catalogWith = (c: TempCatalog, manifest: PointManifest) =>
      catalogPoint({ catalog: c.catalog, repository, repositoryName: 'r', manifest });
    const incremental = openTempCatalog('hk-lvm-incremental-');
    const whole = openTempCatalog('hk-lvm-whole-');
    try {
      const first = await catalogWith(incremental, await store());
      expect(first.notes).toContainEqual(expect.stringMatching(/^vg--test-data: walked whole/));
      await writeFile(
        join(dir, 'cmd'),
        `write ${ext4}.cmd /d3/new.txt\nrm /d4/f4.txt\nmkdir /d5/sub\n`,
      );
      await writeFile(`${ext4}.cmd`, 'new\n'.repeat(3000));
      await run('debugfs', ['-w', '-f', join(dir, 'cmd'), ext4]);
      await placeStriped(await readFile(ext4));
      const second = await store();
      const delta = await catalogWith(incremental, second);
      expect(delta.notes).toContainEqual(
        expect.stringMatching(/^vg--test-data: \d+ entries in [1-9]\d* changed folders indexed/),
      );
      const reference = await catalogWith(whole, second);
      expect(reference.notes).toContainEqual(expect.stringMatching(/^vg--test-data: walked whole/));
      const dump = catalogDump(incremental, second.id, 'vg--test-data');
      expect(dump.some((line) => line.includes('"/d3/new.txt"'))).toBe(true);
      expect(dump).toEqual(catalogDump(whole, second.id, 'vg--test-data'));
    } finally {
      incremental.remove();
      whole.remove();
      await repository.close();
    }
  }, 120_000);
});
