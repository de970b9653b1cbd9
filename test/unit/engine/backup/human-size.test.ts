import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../../shared/format';
import { humanSizeWithBytes } from '../../../../src-main/engine/backup/human-size';

describe('sizes in a job log', () => {
  it('reads as binary units with the exact count beside them', () => {
    expect(humanSizeWithBytes(1_610_612_736)).toBe('1.5 GiB (1 610 612 736 bytes)');
    expect(humanSizeWithBytes(629_145_600)).toBe('600 MiB (629 145 600 bytes)');
    expect(humanSizeWithBytes(512)).toBe('512 B');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(10.5 * 1024 * 1024)).toBe('10.5 MiB');
  });
});
