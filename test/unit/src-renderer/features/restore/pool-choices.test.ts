import { describe, expect, it } from 'vitest';
import type { StoragePool } from '../../../../../shared/domain/restore';
import { poolChoices } from '../../../../../src-renderer/features/restore/pool-choices';

function pool(name: string, active = true): StoragePool {
  return {
    name,
    type: 'dir',
    path: `/pools/${name}`,
    capacityBytes: 100,
    availableBytes: 50,
    active,
  };
}

describe('Storage pool menu (review P11)', () => {
  it('lists the pool named "default" once: as the automatic choice, not again by name', () => {
    const { automatic, others } = poolChoices([pool('images'), pool('default'), pool('fast')]);
    expect(automatic?.name).toBe('default');
    expect(others.map((p) => p.name)).toEqual(['images', 'fast']);
  });

  it('takes the first active pool as the engine does when none is called "default"', () => {
    const { automatic, others } = poolChoices([pool('off', false), pool('images'), pool('fast')]);
    expect(automatic?.name).toBe('images');
    expect(others.map((p) => p.name)).toEqual(['off', 'fast']);
  });

  it('has no automatic pool when no pool could take the disks', () => {
    expect(poolChoices([pool('off', false)])).toEqual({
      automatic: undefined,
      others: [pool('off', false)],
    });
    expect(poolChoices([])).toEqual({ automatic: undefined, others: [] });
  });
});
