import { describe, expect, it } from 'vitest';
import {
  guestParent,
  guestPath,
  normalizeGuestDest,
} from '../../../../../src-main/engine/restore/guest/guest-paths';

describe('the destination folder inside a guest', () => {
  it('normalizes Linux folders and refuses relative ones and ".."', () => {
    expect(normalizeGuestDest('/srv//restore/./x/', 'posix')).toBe('/srv/restore/x');
    expect(normalizeGuestDest('/', 'posix')).toBe('/');
    expect(() => normalizeGuestDest('srv/restore', 'posix')).toThrow(/must be an absolute path/);
    expect(() => normalizeGuestDest('/srv/../etc', 'posix')).toThrow(/may not contain "\.\."/);
    expect(() => normalizeGuestDest('/srv/a\0b', 'posix')).toThrow(/NUL byte/);
  });

  it('normalizes Windows folders to a drive letter and backslashes', () => {
    expect(normalizeGuestDest('c:/Restore\\2024/', 'windows')).toBe('C:\\Restore\\2024');
    expect(normalizeGuestDest('D:\\', 'windows')).toBe('D:\\');
    expect(() => normalizeGuestDest('\\\\server\\share', 'windows')).toThrow(/folder on a drive/);
    expect(() => normalizeGuestDest('Restore', 'windows')).toThrow(/folder on a drive/);
    expect(() => normalizeGuestDest('C:\\a\\..\\Windows', 'windows')).toThrow(/"\.\."/);
    expect(() => normalizeGuestDest('C:\\con\\x', 'windows')).toThrow(/reserved device name/);
    expect(() => normalizeGuestDest('C:\\a|b', 'windows')).toThrow(/Windows refuses/);
  });
});

describe('paths of restored items inside a guest', () => {
  it('joins with the guest separator', () => {
    expect(guestPath('/srv/restore', ['home', 'alice', 'notes.txt'], 'posix')).toBe(
      '/srv/restore/home/alice/notes.txt',
    );
    expect(guestPath('/', ['etc'], 'posix')).toBe('/etc');
    expect(guestPath('C:\\Restore', ['Users', 'Résumé.docx'], 'windows')).toBe(
      'C:\\Restore\\Users\\Résumé.docx',
    );
    expect(guestPath('C:\\', ['a'], 'windows')).toBe('C:\\a');
    expect(guestPath('/srv', [], 'posix')).toBe('/srv');
  });

  it('refuses components that would leave the destination or mean something else', () => {
    expect(() => guestPath('/srv', ['..', 'etc'], 'posix')).toThrow(/would leave its folder/);
    expect(() => guestPath('/srv', ['a/b'], 'posix')).toThrow(/contains "\/"/);
    expect(() => guestPath('/srv', ['a\0b'], 'posix')).toThrow(/NUL byte/);
    expect(() => guestPath('C:\\R', ['a\\..\\..\\Windows'], 'windows')).toThrow(/contains "\\"/);
    expect(() => guestPath('C:\\R', ['NUL.txt'], 'windows')).toThrow(/reserved device name/);
    expect(() => guestPath('C:\\R', ['x:y'], 'windows')).toThrow(/Windows does not allow/);
    // The same names are ordinary on Linux.
    expect(guestPath('/srv', ['NUL.txt', 'x:y'], 'posix')).toBe('/srv/NUL.txt/x:y');
  });

  it('finds the parent folder', () => {
    expect(guestParent('/srv/restore/a.txt', 'posix')).toBe('/srv/restore');
    expect(guestParent('/a', 'posix')).toBe('/');
    expect(guestParent('C:\\Restore\\a.txt', 'windows')).toBe('C:\\Restore');
    expect(guestParent('C:\\a.txt', 'windows')).toBe('C:\\');
  });
});
