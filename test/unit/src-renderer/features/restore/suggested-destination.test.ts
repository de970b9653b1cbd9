import { describe, expect, it } from 'vitest';
import {
  fileStamp,
  suggestedDestination,
} from '../../../../../src-renderer/features/restore/suggested-destination';

// The console's time zone decides the stamp; the test builds its expectation the same way.
const time = '2026-11-23T14:05:00.000Z';
const stamp = fileStamp(time);

describe('suggestedDestination', () => {
  it('names the VM, the disk and the point time, with the format extension', () => {
    expect(stamp).toMatch(/^2026112[23]-\d{4}$/);
    expect(suggestedDestination('/root/hyperkeep-restores', ['web-01', 'vda'], time, 'qcow2')).toBe(
      `/root/hyperkeep-restores/web-01-vda-${stamp}.qcow2`,
    );
    expect(suggestedDestination('/srv/r/', ['web-01'], time)).toBe(`/srv/r/web-01-${stamp}`);
  });

  it('keeps separators and shell specials out of the file name', () => {
    expect(suggestedDestination('/r', ['../evil vm', 'vg0/root'], time, 'raw')).toBe(
      `/r/.._evil_vm-vg0_root-${stamp}.raw`,
    );
  });

  it("follows a Windows folder's separator, and is empty until the folder is known", () => {
    expect(suggestedDestination('C:\\Restores', ['dc01', 'C'], time, 'vhdx')).toBe(
      `C:\\Restores\\dc01-C-${stamp}.vhdx`,
    );
    expect(suggestedDestination(undefined, ['web-01'], time)).toBe('');
  });
});
