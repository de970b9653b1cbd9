import { describe, expect, it } from 'vitest';
import { selectDisks } from '../../../../src-main/engine/backup/disk-selection';
import type { ConfiguredDisk } from '../../../../src-main/engine/connectors/libvirt/domain-xml';

describe('selectDisks', () => {
  const disk = (
    target: string,
    path: string,
    device: ConfiguredDisk['device'] = 'disk',
  ): ConfiguredDisk => ({
    target,
    path,
    device,
    bus: 'virtio',
    format: 'qcow2',
    readonly: false,
  });

  it('keeps hard disks with a source and drops excluded targets, paths and file names', () => {
    const { included, skipped } = selectDisks(
      [
        disk('vda', '/images/os.qcow2'),
        disk('vdb', '/images/data.qcow2'),
        disk('vdc', '/scratch/tmp.raw'),
        disk('sda', '/iso/debian.iso', 'cdrom'),
        disk('vdd', ''),
        disk('vde', '/images/logs.qcow2'),
      ],
      ['vdb', '/scratch/*', 'logs.*'],
    );
    expect(included.map((d) => d.target)).toEqual(['vda']);
    expect(skipped).toEqual([
      { target: 'vdb', reason: 'excluded by "vdb"' },
      { target: 'vdc', reason: 'excluded by "/scratch/*"' },
      { target: 'sda', reason: 'a cdrom, not a hard disk' },
      { target: 'vdd', reason: 'no source configured' },
      { target: 'vde', reason: 'excluded by "logs.*"' },
    ]);
  });

  it('treats regular-expression characters in patterns literally', () => {
    const { included } = selectDisks([disk('vda', '/images/a+b.qcow2')], ['a.b.qcow2', '(vda)']);
    expect(included).toHaveLength(1);
  });
});
