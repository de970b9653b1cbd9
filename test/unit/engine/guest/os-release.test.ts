import { describe, expect, it } from 'vitest';
import {
  hostnameFromFile,
  parseOsRelease,
  releaseFromDebianVersion,
  releaseFromOsRelease,
  releaseFromRedhatRelease,
} from '../../../../src-main/engine/guest';
import { hostnameFromSysconfig } from '../../../../src-main/engine/guest/os-release';

describe('os-release', () => {
  it('reads the distribution from a Debian os-release', () => {
    const text = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
ID=debian
`;
    expect(releaseFromOsRelease(text)).toEqual({
      name: 'Debian GNU/Linux 12 (bookworm)',
      version: '12',
      id: 'debian',
    });
  });

  it('follows shell quoting: escapes in double quotes, literal single quotes, comments', () => {
    const fields = parseOsRelease(
      `# comment\nNAME='Fancy $OS'\nPRETTY_NAME="Say \\"hi\\" \\\\ \\$HOME"\n  ID=fancy  \nnot a line\n`,
    );
    expect(fields.get('NAME')).toBe('Fancy $OS');
    expect(fields.get('PRETTY_NAME')).toBe('Say "hi" \\ $HOME');
    expect(fields.get('ID')).toBe('fancy');
    expect(fields.size).toBe(3);
  });

  it('builds a name from NAME and VERSION when PRETTY_NAME is missing', () => {
    expect(releaseFromOsRelease('NAME=Alpine\nVERSION=3.20\nID=alpine\n')).toEqual({
      name: 'Alpine 3.20',
      version: '3.20',
      id: 'alpine',
    });
  });

  it('falls back to debian_version and redhat-release', () => {
    expect(releaseFromDebianVersion('12.5\n')).toEqual({
      name: 'Debian GNU/Linux 12.5',
      version: '12.5',
      id: 'debian',
    });
    expect(releaseFromDebianVersion('bookworm/sid\n')).toEqual({
      name: 'Debian GNU/Linux bookworm/sid',
      id: 'debian',
    });
    expect(releaseFromRedhatRelease('CentOS Linux release 7.9.2009 (Core)\n')).toEqual({
      name: 'CentOS Linux release 7.9.2009 (Core)',
      version: '7.9.2009',
      id: 'centos',
    });
  });

  it('reads host names and rejects garbage', () => {
    expect(hostnameFromFile('# set by the installer\n\nweb-01.example.com\n')).toBe(
      'web-01.example.com',
    );
    expect(hostnameFromFile('two words\n')).toBeUndefined();
    expect(hostnameFromFile('x'.repeat(300))).toBeUndefined();
    expect(hostnameFromFile('')).toBeUndefined();
    expect(hostnameFromSysconfig('NETWORKING=yes\nHOSTNAME="legacy.example.com"\n')).toBe(
      'legacy.example.com',
    );
  });
});
