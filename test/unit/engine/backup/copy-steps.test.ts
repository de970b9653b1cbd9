import { describe, expect, it } from 'vitest';
import { incrementalSteps } from '../../../../src-main/engine/backup/copy-steps';
import type { Extent } from '../../../../src-main/engine/formats/disk-image';

const K = 1024;

describe('incrementalSteps', () => {
  const allocation: Extent[] = [
    { kind: 'data', offset: 0, length: 64 * K },
    { kind: 'hole', offset: 64 * K, length: 64 * K },
    { kind: 'data', offset: 128 * K, length: 128 * K },
    { kind: 'zero', offset: 256 * K, length: 256 * K },
  ];

  it('reuses the parent for unchanged ranges, reads changed data, records changed zeros as holes', () => {
    const steps = incrementalSteps(
      allocation,
      [
        { offset: 32 * K, length: 64 * K },
        { offset: 192 * K, length: 128 * K },
      ],
      512 * K,
    );
    expect(steps).toEqual([
      { kind: 'copy', offset: 0, length: 32 * K },
      { kind: 'read', offset: 32 * K, length: 32 * K },
      { kind: 'hole', offset: 64 * K, length: 32 * K },
      { kind: 'copy', offset: 96 * K, length: 96 * K },
      { kind: 'read', offset: 192 * K, length: 64 * K },
      { kind: 'hole', offset: 256 * K, length: 64 * K },
      { kind: 'copy', offset: 320 * K, length: 192 * K },
    ]);
  });

  it('copies the whole disk when nothing changed, and reads it all when everything did', () => {
    expect(incrementalSteps(allocation, [], 512 * K)).toEqual([
      { kind: 'copy', offset: 0, length: 512 * K },
    ]);
    expect(incrementalSteps(allocation, [{ offset: 0, length: 512 * K }], 512 * K)).toEqual([
      { kind: 'read', offset: 0, length: 64 * K },
      { kind: 'hole', offset: 64 * K, length: 64 * K },
      { kind: 'read', offset: 128 * K, length: 128 * K },
      { kind: 'hole', offset: 256 * K, length: 256 * K },
    ]);
  });

  it('clips changed ranges to the disk', () => {
    const steps = incrementalSteps(allocation, [{ offset: 448 * K, length: 128 * K }], 512 * K);
    expect(steps).toEqual([
      { kind: 'copy', offset: 0, length: 448 * K },
      { kind: 'hole', offset: 448 * K, length: 64 * K },
    ]);
  });
});
