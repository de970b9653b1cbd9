import { describe, expect, it } from 'vitest';
import type { FileEntry } from '../../../../../shared/domain/files';
import {
  compareFileEntries,
  folderLocation,
  ownerDetails,
  ownerText,
  selectionSummary,
  sortedByEntry,
} from '../../../../../src-renderer/features/restore/file-order';

function entry(name: string, type: FileEntry['type'] = 'file', extra: Partial<FileEntry> = {}) {
  return { name, path: `/vda1/home/alice/${name}`, type, size: 0, ...extra } satisfies FileEntry;
}

describe('browse list order (review P10)', () => {
  it('lists folders first, then files, case-insensitively and accent-blind', () => {
    // The catalog's byte order: capitals and accented names first, folders mixed in.
    const fromCatalog = [
      entry('Résumé – 日本語 notes.txt'),
      entry('docs', 'dir'),
      entry('empty.txt'),
      entry('latest-report', 'symlink'),
      entry('Music', 'dir'),
      entry('notes.txt'),
      entry('Zeta.txt'),
      entry('alpha.txt'),
    ];
    expect([...fromCatalog].sort(compareFileEntries).map((e) => e.name)).toEqual([
      'docs',
      'Music',
      'alpha.txt',
      'empty.txt',
      'latest-report',
      'notes.txt',
      'Résumé – 日本語 notes.txt',
      'Zeta.txt',
    ]);
  });

  it('orders numbers by value and keeps names equal but for case in a fixed order', () => {
    const names = ['file10.log', 'file2.log', 'File1.log', 'file1.log', 'file01b.log'];
    const sorted = sortedByEntry(names.map((name) => ({ entry: entry(name) })));
    expect(sorted.map((row) => row.entry.name)).toEqual([
      'File1.log',
      'file1.log',
      'file01b.log',
      'file2.log',
      'file10.log',
    ]);
    // The input is left as it was: React state is not sorted in place.
    expect(names[0]).toBe('file10.log');
  });
});

describe('owner column (review P10)', () => {
  it('shows the name the catalog found, else the numeric id marked as a uid', () => {
    expect(ownerText(entry('notes.txt', 'file', { owner: 'alice' }))).toBe('alice');
    expect(ownerText(entry('notes.txt', 'file', { owner: '1000' }))).toBe('uid 1000');
    expect(ownerText(entry('boot.ini', 'file', { owner: 'BUILTIN\\Administrators' }))).toBe(
      'BUILTIN\\Administrators',
    );
    expect(ownerText(entry('x.sys'))).toBe('—');
  });

  it('explains a numeric owner and adds the group and ACL in the tooltip', () => {
    expect(ownerDetails(entry('a', 'file', { owner: '1000', group: '1000' }))).toBe(
      "Owner uid 1000 (the guest's /etc/passwd does not name it) · group gid 1000",
    );
    expect(
      ownerDetails(
        entry('a', 'file', {
          owner: 'alice',
          group: 'staff',
          aclSummary: 'POSIX ACL: user:bob:r--',
        }),
      ),
    ).toBe('Owner alice · group staff · POSIX ACL: user:bob:r--');
    expect(ownerDetails(entry('a'))).toBe('');
  });
});

describe('selection and location lines (review P10)', () => {
  it('counts files and folders and sums the size of the files', () => {
    const selection = [
      entry('a.bin', 'file', { size: 4 * 1024 * 1024 }),
      entry('docs', 'dir'),
      entry('b.bin', 'file', { size: 8 * 1024 * 1024 }),
      entry('latest-report', 'symlink', { size: 0 }),
    ];
    expect(selectionSummary(selection)).toBe('Selected: 3 files (12 MiB), 1 folder');
    expect(selectionSummary([entry('notes.txt', 'file', { size: 72 })])).toBe(
      'Selected: 1 file (72 B)',
    );
    expect(selectionSummary([entry('docs', 'dir'), entry('etc', 'dir')])).toBe(
      'Selected: 2 folders',
    );
    expect(selectionSummary([])).toBe('Nothing selected');
  });

  it('names the open folder without "Current selected"', () => {
    expect(folderLocation('lab-web-01', '/vda1/home/alice')).toBe(
      'Folder: lab-web-01/vda1/home/alice',
    );
    expect(folderLocation('lab-web-01', '/')).toBe('Folder: lab-web-01');
  });
});
