/**
 * A digest of a disk's contents that does not depend on how its bytes travelled: the restore
 * hashes what it uploads, then hashes what the host's volume holds when read back, and swaps the
 * volume in over the original only when both agree. Holes, zero blocks and zeros sent as data
 * all hash alike because all-zero grains are left out; every other grain is hashed with its
 * offset, so moved data does not match either.
 */
import { createHash, type Hash } from 'node:crypto';
import { HyperkeepError } from '../../../../shared/errors';
import { isAllZero } from '../file-pieces';

/** Blocks fed in must start at a multiple of this (8 MiB restore blocks and reads do). */
export const DIGEST_GRAIN = 1024 * 1024;

export class DiskDigest {
  private readonly hash: Hash = createHash('sha256');
  private nextOffset = 0;
  private readonly header = Buffer.alloc(8);

  /** Blocks in increasing offsets; gaps between them read as zeros. */
  update(offset: number, data: Uint8Array): void {
    if (offset % DIGEST_GRAIN !== 0 || offset < this.nextOffset) {
      throw new HyperkeepError(
        'INTERNAL',
        `Disk digest fed a block at ${offset} (needs ${DIGEST_GRAIN}-aligned offsets from ${this.nextOffset} on)`,
      );
    }
    // Bounded: each iteration takes one grain of the block.
    for (let at = 0; at < data.length; at += DIGEST_GRAIN) {
      const grain = data.subarray(at, Math.min(data.length, at + DIGEST_GRAIN));
      if (isAllZero(grain)) continue;
      this.header.writeBigUInt64LE(BigInt(offset + at));
      this.hash.update(this.header);
      this.hash.update(grain);
    }
    this.nextOffset = offset + data.length;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
