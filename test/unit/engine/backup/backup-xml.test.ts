import { describe, expect, it } from 'vitest';
import {
  buildBackupXml,
  buildCheckpointXml,
  parseCheckpointXml,
  parseRunningBackup,
} from '../../../../src-main/engine/backup/backup-xml';

describe('backup XML', () => {
  it('asks for each disk full or incremental itself and lists excluded disks as not backed up', () => {
    const xml = buildBackupXml(
      { transport: 'unix', socket: "/tmp/a'b/nbd.sock" },
      [
        { target: 'vda', incrementalFrom: 'hk-1', scratchFile: '/tmp/x/vda.scratch' },
        { target: 'vdb', scratchFile: '/tmp/x/vdb.scratch' },
      ],
      ['vdc'],
    );
    expect(xml).toBe(
      "<domainbackup mode='pull'><server transport='unix' socket='/tmp/a&apos;b/nbd.sock'/><disks>" +
        "<disk name='vda' backup='yes' type='file' backupmode='incremental' incremental='hk-1'><scratch file='/tmp/x/vda.scratch'/></disk>" +
        "<disk name='vdb' backup='yes' type='file' backupmode='full'><scratch file='/tmp/x/vdb.scratch'/></disk>" +
        "<disk name='vdc' backup='no'/></disks></domainbackup>",
    );
    expect(buildCheckpointXml('hk-2', ['vda'], ['vdb'])).toContain(
      "<disks><disk name='vda' checkpoint='bitmap'/><disk name='vdb' checkpoint='no'/></disks>",
    );
  });

  it('reads the running backup as libvirt 9 reports it', () => {
    const running = parseRunningBackup(`<domainbackup mode='pull'>
      <server transport='tcp' name='10.0.0.5' port='10811'/>
      <disks>
        <disk name='vda' backup='yes' type='file' backupmode='incremental' incremental='hk-1' exportname='vda' exportbitmap='backup-vda' index='3'/>
        <disk name='vdb' backup='yes' type='file' backupmode='full' exportname='vdb' index='4'/>
        <disk name='vdc' backup='no'/>
      </disks></domainbackup>`);
    expect(running.server).toEqual({ transport: 'tcp', host: '10.0.0.5', port: 10811 });
    expect(running.disks).toEqual([
      {
        target: 'vda',
        backup: true,
        mode: 'incremental',
        incremental: 'hk-1',
        exportName: 'vda',
        exportBitmap: 'backup-vda',
      },
      { target: 'vdb', backup: true, mode: 'full', exportName: 'vdb' },
      { target: 'vdc', backup: false, mode: 'full', exportName: 'vdc' },
    ]);
    expect(() =>
      parseRunningBackup("<domainbackup><server transport='tcp' port='x'/></domainbackup>"),
    ).toThrow(/NBD port/);
  });

  it('reads which disks a checkpoint tracks, and their bitmap sizes', () => {
    const info =
      parseCheckpointXml(`<domaincheckpoint><name>hk-2</name><parent><name>hk-1</name></parent>
      <creationTime>1795346722</creationTime><disks>
      <disk name='vda' checkpoint='bitmap' bitmap='hk-2' size='1048576'/><disk name='vdb' checkpoint='no'/>
      </disks></domaincheckpoint>`);
    expect(info).toEqual({
      name: 'hk-2',
      creationTime: '1795346722',
      parent: 'hk-1',
      bitmapDisks: [{ target: 'vda', bitmap: 'hk-2', size: 1048576 }],
    });
  });
});
