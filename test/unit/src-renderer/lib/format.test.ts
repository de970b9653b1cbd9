import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatLatency } from '../../../../src-renderer/lib/format';

describe('formatBytes', () => {
  it('uses binary units the way hypervisors report sizes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(512 * 1024 * 1024)).toBe('512 MiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2 GiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
    expect(formatBytes(10.75 * 1024 ** 3)).toBe('10.8 GiB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3 TiB');
  });

  it('shows a dash for values that are not sizes', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('formatCount and formatLatency', () => {
  it('pluralizes and rounds for people', () => {
    expect(formatCount(1, 'VM')).toBe('1 VM');
    expect(formatCount(3, 'virtual machine')).toBe('3 virtual machines');
    expect(formatLatency(2.345)).toBe('2.3 ms');
    expect(formatLatency(123.6)).toBe('124 ms');
  });
});
