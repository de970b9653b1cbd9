import type { Hypervisor } from '../../../shared/domain/hypervisor';
import { ConfirmDialog } from '../../shell/ConfirmDialog';
import { useStore } from '../../store';

/** Asks before forgetting a hypervisor; nothing on the host itself is touched. */
export function RemoveHypervisorDialog(props: { hypervisor: Hypervisor; onClose: () => void }) {
  const removeHypervisor = useStore((s) => s.removeHypervisor);
  const { hypervisor, onClose } = props;
  return (
    <ConfirmDialog
      title={`Remove ${hypervisor.name}?`}
      text={`Hyperkeep forgets this hypervisor (${hypervisor.uri}) and its stored credentials, and its virtual machines leave the inventory. Nothing changes on the host itself; you can add it again later.`}
      confirmLabel="Remove"
      busyLabel="Removing…"
      onConfirm={() => removeHypervisor(hypervisor.id)}
      onClose={onClose}
    />
  );
}
