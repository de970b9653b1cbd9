import { describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../../../shared/errors';
import { DIGEST_GRAIN, DiskDigest } from '../../../../../src-main/engine/restore/vm/disk-digest';
import {
  disksLeftOut,
  originalDisks,
} from '../../../../../src-main/engine/restore/vm/in-place-disks';

const MiB = 1024 * 1024;

function digestOf(blocks: [number, Uint8Array][]): string {
  const d = new DiskDigest();
  for (const [offset, data] of blocks) d.update(offset, data);
  return d.digest();
}

describe('DiskDigest', () => {
  const data = Buffer.alloc(2 * MiB, 0x5c);

  it('gives the same digest whether zeros came as holes or as data', () => {
    const sparse = digestOf([[4 * MiB, data]]);
    const dense = digestOf([
      [0, Buffer.alloc(4 * MiB)],
      [4 * MiB, data],
      [6 * MiB, Buffer.alloc(2 * MiB)],
    ]);
    const split = digestOf([
      [4 * MiB, data.subarray(0, MiB)],
      [5 * MiB, data.subarray(MiB)],
    ]);
    expect(dense).toBe(sparse);
    expect(split).toBe(sparse);
  });

  it('tells moved or changed data apart', () => {
    const original = digestOf([[4 * MiB, data]]);
    expect(digestOf([[6 * MiB, data]])).not.toBe(original);
    const changed = Buffer.from(data);
    changed[12345] = 0;
    expect(digestOf([[4 * MiB, changed]])).not.toBe(original);
  });

  it('refuses unaligned or backward blocks', () => {
    const d = new DiskDigest();
    expect(() => d.update(DIGEST_GRAIN / 2, data)).toThrow(HyperkeepError);
    d.update(4 * MiB, data);
    expect(() => d.update(0, data)).toThrow(/aligned offsets from/);
  });
});

describe('originalDisks', () => {
  const xml = (disk: string) =>
    `<domain><name>vm</name><devices>${disk}<disk type='file' device='cdrom'><target dev='hdc'/></disk></devices></domain>`;

  it('finds the image files of the disks the point restores', () => {
    const disks = originalDisks(
      xml(
        `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/pool/vm-vda.qcow2'/><target dev='vda' bus='virtio'/></disk>`,
      ),
      ['vda'],
      'vm',
    );
    expect(disks).toEqual([{ target: 'vda', path: '/pool/vm-vda.qcow2', format: 'qcow2' }]);
  });

  it('refuses disks it cannot recreate at the same path', () => {
    const block = xml(
      `<disk type='block' device='disk'><source dev='/dev/vg/vm'/><target dev='vda'/></disk>`,
    );
    expect(() => originalDisks(block, ['vda'], 'vm')).toThrow(/block disk .*new name/);
    const vmdk = xml(
      `<disk type='file' device='disk'><driver type='vmdk'/><source file='/p/vm.vmdk'/><target dev='vda'/></disk>`,
    );
    expect(() => originalDisks(vmdk, ['vda'], 'vm')).toThrow(/vmdk image/);
  });

  it('names the disks the point does not have, which the restored VM leaves out', () => {
    const two = xml(
      `<disk type='file' device='disk'><source file='/p/a.qcow2'/><target dev='vda'/></disk>` +
        `<disk type='file' device='disk'><source file='/p/b.qcow2'/><target dev='vdb'/></disk>`,
    );
    expect(disksLeftOut(two, ['vda'])).toEqual(['vdb (/p/b.qcow2)']);
    expect(disksLeftOut(two, ['vda', 'vdb'])).toEqual([]);
  });
});
