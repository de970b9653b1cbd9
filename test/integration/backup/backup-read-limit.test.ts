/**
 * A subclient's read limit ("Limit read rate", MiB/s per VM): a backup in business hours must
 * not take the datastore's bandwidth from the VMs running on it. The scratch VM holds 24 MiB of
 * data; read at 4 MiB/s that takes at least 5 s (one 4 MiB read may go ahead of the rate), and a
 * cancel during the wait ends the backup at once rather than after the data.
 */
import { describe, expect, it } from 'vitest';
import { DATA_REGIONS_MIB } from './backup-helpers';
import { useScratchVmBackups } from './scratch-backups';

const MiB = 1024 * 1024;
const fixture = useScratchVmBackups('hk-read-limit');
const dataMiB = DATA_REGIONS_MIB.reduce((sum, [, size]) => sum + size, 0);

describe('the read limit of a backup', () => {
  it('reads the VM no faster than the limit, says so, and the point is whole', async () => {
    const began = performance.now();
    const result = await fixture.backup({ settings: { readLimitMiBps: 4 } });
    const seconds = (performance.now() - began) / 1000;
    const read = result.disks.reduce((sum, d) => sum + d.readBytes, 0);
    expect(read).toBeGreaterThanOrEqual(dataMiB * MiB);
    expect(seconds).toBeGreaterThanOrEqual((read / MiB - 4) / 4);
    expect(fixture.logs).toContain("Reading at most 4 MiB/s (the subclient's read limit)");
    await fixture.expectPointMatchesScratchVm(result.pointId);
  }, 180_000);

  it('ends at once when cancelled while it waits for the rate', async () => {
    const abort = new AbortController();
    const began = performance.now();
    const backup = fixture.backup({
      settings: { readLimitMiBps: 1 },
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 2_000);
    await expect(backup).rejects.toMatchObject({ code: 'CANCELLED' });
    // At 1 MiB/s the data alone would take 20 s and more.
    expect((performance.now() - began) / 1000).toBeLessThan(15);
  }, 180_000);
});
