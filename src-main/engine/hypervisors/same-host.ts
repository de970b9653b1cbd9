import type { VmListResult } from '../../../shared/contract';
import type { Hypervisor } from '../../../shared/domain/hypervisor';

/**
 * One host registered twice, under two addresses (its Unix socket and its TCP port, a name and
 * an IP), lists every VM twice: the grid shows each twice, and a backup of "the" VM could run
 * through either registration at once. A VM's UUID names one VM, so hypervisors that list the
 * same UUIDs are the same host: the VMs are kept once, under the hypervisor registered first,
 * and the other registration is reported with what to do (the list's errors, which the console
 * and `vm list` show). The URI check at registration cannot see this: the addresses differ.
 */
export function dropSameHostDuplicates(result: VmListResult, hypervisors: Hypervisor[]): void {
  const registered = new Map(hypervisors.map((h) => [h.id, h]));
  const order = (id: string) => registered.get(id)?.createdAt ?? '';
  const first = new Map<string, VmListResult['vms'][number]>();
  /** Per later registration: the earlier one it repeats, and how many VMs. */
  const repeats = new Map<string, { keptName: string; name: string; count: number }>();
  const byAge = [...result.vms].sort((a, b) =>
    order(a.hypervisorId).localeCompare(order(b.hypervisorId)),
  );
  for (const vm of byAge) {
    const kept = first.get(vm.uuid);
    if (!kept) {
      first.set(vm.uuid, vm);
      continue;
    }
    if (kept.hypervisorId === vm.hypervisorId) continue;
    const seen = repeats.get(vm.hypervisorId) ?? {
      keptName: kept.hypervisorName,
      name: vm.hypervisorName,
      count: 0,
    };
    seen.count++;
    repeats.set(vm.hypervisorId, seen);
  }
  if (repeats.size === 0) return;
  result.vms = result.vms.filter((vm) => first.get(vm.uuid) === vm);
  for (const [hypervisorId, r] of repeats) {
    result.errors.push({
      hypervisorId,
      hypervisorName: r.name,
      error: {
        code: 'ALREADY_EXISTS',
        message: `${r.name} lists ${r.count === 1 ? 'a VM' : `${r.count} VMs`} that ${r.keptName} lists too (the same VM UUIDs): it is the same host registered twice, under another address. Its VMs are shown once, under ${r.keptName}; remove ${r.name} from Hypervisors.`,
      },
    });
  }
}
