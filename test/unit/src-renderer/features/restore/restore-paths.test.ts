import { describe, expect, it } from 'vitest';
import {
  isAbsoluteFolder,
  joinDestination,
  restoredRelativePath,
} from '../../../../../src-renderer/features/restore/restore-paths';
import { parseLevels } from '../../../../../src-renderer/features/restore/FileRestoreDialog';
import { searchPattern } from '../../../../../src-renderer/features/restore/FileSearchBar';
import {
  formatMismatch,
  imageFileError,
  withFormatExtension,
} from '../../../../../src-renderer/features/restore/ImageFileFields';
import { devicePathError } from '../../../../../src-renderer/features/restore/VolumeRestoreDialog';
import { vmNameError } from '../../../../../src-renderer/features/restore/VmRestoreDialog';

const NOTES = '/vda2/home/alice/notes.txt';

describe('restore dialog path preview (FIG. 12)', () => {
  it('preserves, removes levels from the beginning, or keeps levels from the end', () => {
    expect(restoredRelativePath(NOTES, { kind: 'preserve' })).toEqual([
      'vda2',
      'home',
      'alice',
      'notes.txt',
    ]);
    expect(restoredRelativePath(NOTES, { kind: 'strip', levels: 1 })).toEqual([
      'home',
      'alice',
      'notes.txt',
    ]);
    expect(restoredRelativePath(NOTES, { kind: 'keepLast', levels: 2 })).toEqual([
      'alice',
      'notes.txt',
    ]);
  });

  it('never removes the name itself', () => {
    expect(restoredRelativePath(NOTES, { kind: 'strip', levels: 9 })).toEqual(['notes.txt']);
    expect(restoredRelativePath(NOTES, { kind: 'keepLast', levels: 9 })).toHaveLength(4);
  });

  it('joins with the destination’s own separator', () => {
    expect(joinDestination('/srv/restore/', ['home', 'a.txt'])).toBe('/srv/restore/home/a.txt');
    expect(joinDestination('C:\\Restore', ['home', 'a.txt'])).toBe('C:\\Restore\\home\\a.txt');
  });

  it('accepts only absolute destination folders', () => {
    expect(isAbsoluteFolder('/var/tmp')).toBe(true);
    expect(isAbsoluteFolder('D:\\MountFolder')).toBe(true);
    expect(isAbsoluteFolder('\\\\server\\share')).toBe(true);
    expect(isAbsoluteFolder('restore')).toBe(false);
    expect(isAbsoluteFolder('./restore')).toBe(false);
  });
});

describe('restore dialog field checks', () => {
  it('reads level counts', () => {
    expect(parseLevels('2')).toEqual({ levels: 2 });
    expect(parseLevels('0')).toHaveProperty('error');
    expect(parseLevels('256')).toHaveProperty('error');
    expect(parseLevels('1.5')).toHaveProperty('error');
    expect(parseLevels('')).toHaveProperty('error');
  });

  it('turns a plain word into a contains-glob and leaves globs alone', () => {
    expect(searchPattern(' notes ')).toBe('*notes*');
    expect(searchPattern('*.txt')).toBe('*.txt');
    expect(searchPattern('report-202?.csv')).toBe('report-202?.csv');
  });

  it('follows the image format in the file name and checks the path', () => {
    expect(withFormatExtension('/var/tmp/web-vda.raw', 'vhdx')).toBe('/var/tmp/web-vda.vhdx');
    expect(withFormatExtension('/var/tmp/web-vda.VMDK', 'qcow2')).toBe('/var/tmp/web-vda.qcow2');
    expect(withFormatExtension('/var/tmp/web-vda', 'qcow2')).toBe('/var/tmp/web-vda');
    expect(imageFileError('')).not.toBeNull();
    expect(imageFileError('disk.raw')).not.toBeNull();
    expect(imageFileError('/var/tmp/')).not.toBeNull();
    expect(imageFileError('/var/tmp/disk.raw')).toBeNull();
  });

  it('warns when the file name names another image format than the one chosen', () => {
    expect(formatMismatch('/var/tmp/web2.raw', 'vhdx')).toContain('.vhdx');
    expect(formatMismatch('/var/tmp/web2.vhdx', 'vhdx')).toBeNull();
    expect(formatMismatch('/var/tmp/web2.img', 'raw')).toBeNull();
    expect(formatMismatch('/var/tmp/web2', 'qcow2')).toBeNull();
  });

  it('checks device paths and VM names', () => {
    expect(devicePathError('/dev/sdb1')).toBeNull();
    expect(devicePathError('\\\\.\\PhysicalDrive1')).toBeNull();
    expect(devicePathError('/tmp/file')).not.toBeNull();
    expect(devicePathError(' ')).not.toBeNull();
    expect(vmNameError('lab-web-01-restored')).toBeNull();
    expect(vmNameError('  ')).not.toBeNull();
    expect(vmNameError('a/b')).not.toBeNull();
    expect(vmNameError('x'.repeat(201))).not.toBeNull();
  });
});
