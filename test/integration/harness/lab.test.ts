import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../../harness/exec';
import { UNICODE_NAME, WEB_NOTES } from '../../harness/image-recipes';
import { restartHost, virsh } from '../../harness/lab';
import type { LabDisk, LabVm } from '../../harness/lab-info';

const lab = inject('lab');

function vm(name: string): LabVm {
  const found = lab.vms.find((v) => v.name === name);
  if (!found) throw new Error(`lab.json has no VM ${name}`);
  return found;
}

function uriOf(vmName: string): string {
  return lab.hosts.find((h) => h.name === vm(vmName).host)!.uri;
}

function disk(vmName: string, target: string): LabDisk {
  return vm(vmName).disks.find((d) => d.target === target)!;
}

let scratch: string;
/** A raw copy of a lab disk; `-U` because a running VM holds a lock on its image. */
async function rawCopy(d: LabDisk): Promise<string> {
  const out = join(scratch, `${d.path.split('/').pop()}.raw`);
  await run('qemu-img', ['convert', '-U', '-f', 'qcow2', '-O', 'raw', d.path, out]);
  return out;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-lab-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('the lab', () => {
  it('runs two hosts that answer on their unix sockets, and one also on TCP', async () => {
    expect(lab.hosts.map((h) => h.name)).toEqual(['lab-host-1', 'lab-host-2']);
    for (const host of lab.hosts) {
      expect(await virsh(host.uri, 'list', '--all')).toContain('Name');
    }
    const tcp = lab.hosts.find((h) => h.tcpUri)!.tcpUri!;
    expect(await virsh(tcp, 'list', '--all', '--name')).toContain('lab-web-01');
  });

  it('has the four VMs on their hosts in the documented power states', async () => {
    const expected = {
      'lab-web-01': ['lab-host-1', 'running'],
      'lab-db-01': ['lab-host-1', 'running'],
      'lab-archive-01': ['lab-host-1', 'shut off'],
      'lab-win-01': ['lab-host-2', 'running'],
    };
    for (const [name, [host, state]] of Object.entries(expected)) {
      expect(vm(name).host).toBe(host);
      expect((await virsh(uriOf(name), 'domstate', name)).trim()).toBe(state);
      expect((await virsh(uriOf(name), 'domuuid', name)).trim()).toBe(vm(name).uuid);
    }
  });

  it('gives every domain a title, a description and custom metadata', async () => {
    const xml = await virsh(uriOf('lab-web-01'), 'dumpxml', 'lab-web-01');
    expect(xml).toContain('<title>Web front end</title>');
    expect(xml).toMatch(/<description>.+<\/description>/);
    expect(xml).toMatch(/<hk:tags xmlns:hk="https:\/\/hyperkeep.dev\/ns\/lab">web,prod<\/hk:tags>/);
    expect(await virsh(uriOf('lab-db-01'), 'domblklist', 'lab-db-01')).toMatch(/vda[\s\S]*vdb/);
  });

  it('writes every disk with the partition table and file systems lab.json announces', async () => {
    const labels = { gpt: 'label: gpt', mbr: 'label: dos' } as const;
    for (const v of lab.vms) {
      for (const d of v.disks) {
        const raw = await rawCopy(d);
        if (d.partitionTable !== 'none') {
          expect((await run('sfdisk', ['--dump', raw])).stdout).toContain(labels[d.partitionTable]);
        }
        expect(d.partitions!.map((p) => p.filesystem)).toEqual(d.filesystems);
        for (const p of d.partitions!) {
          // blkid -p probes the superblock itself at the offset, trusting no table or cache.
          const args = ['-p', '-O', String(p.offsetBytes), '-o', 'export', raw];
          const { stdout } = await run('blkid', args);
          expect(stdout, `${v.name} ${d.target} #${p.number}`).toContain(`TYPE=${p.filesystem}`);
          expect(stdout).toContain(`LABEL=${p.label}`);
        }
        await rm(raw);
      }
    }
  });

  it('puts a GPT and an ext4 home directory on lab-web-01', async () => {
    const d = disk('lab-web-01', 'vda');
    expect(d.format).toBe('qcow2');
    const raw = await rawCopy(d);
    const { stdout: table } = await run('sfdisk', ['--dump', raw]);
    expect(table).toContain('label: gpt');
    expect(table).toMatch(/start=\s*2048, size=\s*258048, type=0FC63DAF/);
    const offset = d.partitions![0]!.offsetBytes;
    const ls = await run('debugfs', ['-R', 'ls -l /home/alice', `${raw}?offset=${offset}`]);
    for (const name of ['notes.txt', 'docs', 'empty.txt', 'latest-report']) {
      expect(ls.stdout).toContain(name);
    }
    // debugfs escapes non-ASCII bytes as \xNN; check the name decodes back to the unicode one.
    const escaped = [...Buffer.from(UNICODE_NAME)]
      .map((b) => (b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16)}`))
      .join('');
    expect(ls.stdout).toContain(escaped);
    const cat = await run('debugfs', [
      '-R',
      'cat /home/alice/notes.txt',
      `${raw}?offset=${offset}`,
    ]);
    expect(cat.stdout).toBe(WEB_NOTES);
    const link = await run('debugfs', [
      '-R',
      'stat /home/alice/latest-report',
      `${raw}?offset=${offset}`,
    ]);
    expect(link.stdout).toContain('Fast link dest: "docs/report.txt"');
    const os = await run('debugfs', ['-R', 'cat /etc/os-release', `${raw}?offset=${offset}`]);
    expect(os.stdout).toContain('VERSION_ID="12"');
  });

  it('gives lab-db-01 a second disk with ext4 and no partition table', async () => {
    const d = disk('lab-db-01', 'vdb');
    expect(d.partitionTable).toBe('none');
    const raw = await rawCopy(d);
    await expect(run('sfdisk', ['--dump', raw])).rejects.toThrow(/partition table/i);
    const ls = await run('debugfs', ['-R', 'ls -l /exports', raw]);
    expect(ls.stdout).toContain('customers.csv');
    const { stdout: fs } = await run('blkid', ['-o', 'value', '-s', 'TYPE', raw]);
    expect(fs.trim()).toBe('ext4');
  });

  it('gives lab-win-01 an MBR with NTFS and FAT32 partitions holding files', async () => {
    const d = disk('lab-win-01', 'vda');
    const raw = await rawCopy(d);
    const { stdout: table } = await run('sfdisk', ['--dump', raw]);
    expect(table).toContain('label: dos');
    expect(table).toMatch(/type=7, bootable/);
    expect(table).toMatch(/type=c\b/);
    const [ntfs, fat] = d.partitions!;
    expect(d.filesystems).toEqual(['ntfs', 'vfat']);
    const part = join(scratch, 'ntfs.part');
    // Only the NTFS partition, read straight out of the qcow2 (ntfs-3g tools take no offset).
    const slice = `driver=raw,offset=${ntfs!.offsetBytes},size=${ntfs!.sizeBytes}`;
    const source = `${slice},file.driver=qcow2,file.file.driver=file,file.file.filename=${d.path}`;
    await run('qemu-img', ['convert', '-U', '-O', 'raw', '--image-opts', source, part]);
    const { stdout: ntfsFiles } = await run('ntfsls', [part]);
    expect(ntfsFiles.split('\n')).toEqual(expect.arrayContaining(['README.txt', 'Überblick.txt']));
    const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
    const { stdout: fatFiles } = await run(
      'mdir',
      ['-i', `${raw}@@${fat!.offsetBytes}`, '::/Documents'],
      { env },
    );
    expect(fatFiles).toContain('A long file name for testing.txt');
  });

  it('brings a host back after restartHost, with its VMs still running', async () => {
    const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
    const before = await readFile(host.pidFile, 'utf8');
    await restartHost(lab, 'lab-host-1');
    const after = await readFile(host.pidFile, 'utf8');
    expect(after).not.toBe(before);
    expect((await virsh(host.uri, 'domstate', 'lab-web-01')).trim()).toBe('running');
    expect(await virsh(host.tcpUri!, 'list', '--name')).toContain('lab-db-01');
  });
});
