import type { StoragePool } from '../../../shared/domain/restore';

/**
 * The Storage pool menu with an automatic choice: the pool the engine picks when none is named
 * (the one called "default", else the first active one — resolvePool), and the other pools.
 * The automatic pool is left out of `others`, so a hypervisor with a pool named "default" does
 * not list it twice (once as the automatic choice, once by name).
 */
export function poolChoices(pools: readonly StoragePool[]): {
  automatic: StoragePool | undefined;
  others: StoragePool[];
} {
  const automatic = pools.find((p) => p.name === 'default') ?? pools.find((p) => p.active);
  return { automatic, others: pools.filter((p) => p !== automatic) };
}
