import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawImage } from '../../../src-main/engine/formats/raw/raw-image';
import { listDiskVolumes } from '../../../src-main/engine/volumes/detect';
import { deterministicBytes } from '../../harness/image-recipes';
import { run } from '../../harness/exec';

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

describe.skipIf(!canMakeLvm)('LVM2 volume groups made by lvm2', () => {
  it('finds linear and striped logical volumes across two disks and reads their contents', async () => {
    const devices = [...layout.peStart.keys()].sort();
    const ranges = (s: LvSegment) =>
      s.seg_pe_ranges.split(' ').map((r) => {
        const m = /^(.+):(\d+)-(\d+)$/.exec(r)!;
        return { device: m[1]!, first: Number(m[2]) };
      });
    const placeAt = async (
      device: string,
      pe: number,
      at: number,
      bytes: Buffer,
    ): Promise<void> => {
      const { path, base } = pvFile(device, devices);
      const f = await open(path, 'r+');
      await f.write(
        bytes,
        0,
        bytes.length,
        base + layout.peStart.get(device)! + pe * layout.extentSize + at,
      );
      await f.close();
    };

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
    const stripes = ranges(data);
    const dataBytes = deterministicBytes(99, 16 * MiB);
    for (let i = 0; i < dataBytes.length / chunk; i++) {
      const s = stripes[i % 2]!;
      await placeAt(
        s.device,
        s.first,
        Math.floor(i / 2) * chunk,
        dataBytes.subarray(i * chunk, (i + 1) * chunk),
      );
    }

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
});
