import { useEffect, useState } from 'react';
import type { Hypervisor } from '../../../shared/domain/hypervisor';
import { invoke } from '../../api/client';
import { ApiError } from '../../api/api-error';
import { ConfirmDialog } from '../../shell/ConfirmDialog';
import { useStore } from '../../store';
import { removalBlockedReason } from './removal';

/**
 * Asks before forgetting a hypervisor; nothing on the host itself is touched. While a backup set
 * targets it, says so and offers no Remove (the engine would refuse it).
 */
export function RemoveHypervisorDialog(props: { hypervisor: Hypervisor; onClose: () => void }) {
  const removeHypervisor = useStore((s) => s.removeHypervisor);
  const { hypervisor, onClose } = props;
  const [inUse, setInUse] = useState<string | undefined>(undefined);
  const [refusal, setRefusal] = useState<string | undefined>(undefined);

  useEffect(() => {
    let current = true;
    // Fresh, not the Backup sets page's copy: that one is only loaded once the page was opened.
    invoke('backupSet.list', {})
      .then((sets) => {
        if (current) setInUse(removalBlockedReason(hypervisor, sets));
      })
      // Not knowing the sets is no reason to block: the engine still refuses a removal in use.
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [hypervisor]);

  return (
    <ConfirmDialog
      title={`Remove ${hypervisor.name}?`}
      text={`Hyperkeep forgets this hypervisor (${hypervisor.uri}) and its stored credentials, and its virtual machines leave the inventory. Nothing changes on the host itself; you can add it again later.`}
      confirmLabel="Remove"
      busyLabel="Removing…"
      blockedReason={inUse ?? refusal}
      onConfirm={async () => {
        try {
          await removeHypervisor(hypervisor.id);
        } catch (err) {
          // Refused for what it is (in use), not for a failure to reach the engine: do not offer it again.
          if (err instanceof ApiError && err.code === 'INVALID_INPUT') setRefusal(err.message);
          throw err;
        }
      }}
      onClose={onClose}
    />
  );
}
