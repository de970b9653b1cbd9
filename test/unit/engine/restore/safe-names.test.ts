import { describe, expect, it } from 'vitest';
import {
  applyPathMode,
  browseComponents,
  numberedName,
  unsafeNameReason,
  unsafePathReason,
} from '../../../../src-main/engine/restore/safe-names';
import { partialName } from '../../../../src-main/engine/restore/safe-destination';

const linux = { windows: false };
const windows = { windows: true };

describe('unsafeNameReason', () => {
  it('refuses names that leave their folder or hide a separator', () => {
    for (const name of ['', '.', '..', 'a/b', '/etc', 'a\\b', '..\\..\\x', 'a\0b'])
      expect(unsafeNameReason(name, linux), JSON.stringify(name)).toBeDefined();
  });

  it('keeps ordinary names, dots inside included', () => {
    for (const name of [
      '..x',
      '.bashrc',
      'notes.txt',
      'Résumé – 日本語.txt',
      'aux',
      'con.txt',
      'a:b',
    ])
      expect(unsafeNameReason(name, linux), name).toBeUndefined();
  });

  it('measures the length in UTF-8 bytes', () => {
    expect(unsafeNameReason('x'.repeat(255), linux)).toBeUndefined();
    expect(unsafeNameReason('x'.repeat(256), linux)).toMatch(/longer than 255 bytes/);
    expect(unsafeNameReason('é'.repeat(128), linux)).toMatch(/longer than 255 bytes/);
  });

  it('applies the Windows rules when asked', () => {
    for (const name of [
      'CON',
      'con.txt',
      'Nul',
      'COM1.log',
      'lpt9',
      'aux .txt',
      'a:b',
      'a?',
      'x.',
      'x ',
      'tab\tname',
    ])
      expect(unsafeNameReason(name, windows), name).toBeDefined();
    expect(unsafeNameReason('console.txt', windows)).toBeUndefined();
    expect(unsafeNameReason('COM10', windows)).toBeUndefined();
  });
});

describe('path modes (FIG. 12)', () => {
  const file = browseComponents('/vda1/home/alice/docs/report.txt');

  it('keeps, strips or keeps the last levels of the browse path', () => {
    expect(applyPathMode(file, { kind: 'preserve' })).toEqual([
      'vda1',
      'home',
      'alice',
      'docs',
      'report.txt',
    ]);
    expect(applyPathMode(file, { kind: 'strip', levels: 1 })).toEqual([
      'home',
      'alice',
      'docs',
      'report.txt',
    ]);
    expect(applyPathMode(file, { kind: 'keepLast', levels: 2 })).toEqual(['docs', 'report.txt']);
  });

  it('never strips a file of its own name', () => {
    expect(applyPathMode(file, { kind: 'strip', levels: 40 })).toEqual(['report.txt']);
    expect(applyPathMode(file, { kind: 'keepLast', levels: 40 })).toEqual(file);
  });

  it('keeps ".." as a component for the name check to refuse', () => {
    const hostile = browseComponents('/vda1/../../etc/passwd');
    expect(hostile).toEqual(['vda1', '..', '..', 'etc', 'passwd']);
    expect(unsafePathReason(hostile, linux)).toMatch(/would leave its folder/);
  });
});

describe('generated names', () => {
  it('numbers a conflicting file before its extension', () => {
    expect(numberedName('report.txt', 1)).toBe('report (1).txt');
    expect(numberedName('.bashrc', 2)).toBe('.bashrc (2)');
    expect(numberedName('archive.tar.gz', 3)).toBe('archive.tar (3).gz');
    expect(Buffer.byteLength(numberedName('x'.repeat(255), 12))).toBeLessThanOrEqual(255);
  });

  it('keeps partial names valid for the longest names', () => {
    expect(partialName('notes.txt')).toBe('.notes.txt.hk-partial');
    expect(Buffer.byteLength(partialName('é'.repeat(127)))).toBeLessThanOrEqual(255);
  });
});
