import { describe, expect, it } from 'vitest';
import type { RetentionPreview } from '../../../../../shared/contract';
import { retentionSummary } from '../../../../../src-renderer/features/backup-sets/subclient/RetentionPreviewLine';

const vm = { vmUuid: 'u-web', vmName: 'lab-web-01' };

describe('the Retention tab summary', () => {
  it('says how many kept points are protected, so keep-last 1 keeping 2 adds up', () => {
    const preview: RetentionPreview = {
      vms: [{ ...vm, total: 2, kept: 2, removed: 0, protected: 1 }],
      total: 2,
      kept: 2,
      removed: 0,
      protected: 1,
    };
    expect(retentionSummary(preview)).toBe(
      'With these settings: 2 of 2 restore points kept (1 protected), 0 removed after the next backup or prune.',
    );
  });

  it('says nothing of protection when no point is protected', () => {
    const preview: RetentionPreview = {
      vms: [{ ...vm, total: 2, kept: 1, removed: 1, protected: 0 }],
      total: 2,
      kept: 1,
      removed: 1,
      protected: 0,
    };
    expect(retentionSummary(preview)).toBe(
      'With these settings: 1 of 2 restore points kept, 1 removed after the next backup or prune.',
    );
  });
});
