import type { Hypervisor } from '../../../../shared/domain/hypervisor';
import { recoveryTestHostProblem } from '../../points/RecoveryTestDialog';

/** One entry of the recovery test's host select. */
export interface RecoveryTestHostChoice {
  value: string;
  label: string;
  /** Why it cannot be chosen (shown greyed out with this), or undefined. */
  disabledReason?: string;
}

export const OWN_HOST_LABEL = 'Each VM’s own host';

/**
 * The hosts a subclient's recovery tests can run on, and which one the saved setting names.
 * The setting holds an id or, as the CLI writes it, a name (case-insensitive, like the engine
 * resolves it); a host no longer registered stays listed so the select never shows a silent
 * "own host" for a setting that says otherwise.
 */
export function recoveryTestHostChoices(
  saved: string,
  hypervisors: readonly Pick<Hypervisor, 'id' | 'name' | 'type'>[],
  loaded: boolean,
): { selected: string; choices: RecoveryTestHostChoice[] } {
  const choices: RecoveryTestHostChoice[] = [
    { value: '', label: OWN_HOST_LABEL },
    ...hypervisors.map((h) => {
      const reason = recoveryTestHostProblem(h);
      return {
        value: h.id,
        label: h.name,
        ...(reason === undefined ? {} : { disabledReason: reason }),
      };
    }),
  ];
  if (saved === '') return { selected: '', choices };
  const match =
    hypervisors.find((h) => h.id === saved) ??
    hypervisors.find((h) => h.name.toLowerCase() === saved.toLowerCase());
  if (match !== undefined) return { selected: match.id, choices };
  choices.push({
    value: saved,
    label: loaded ? `${saved} (not registered)` : saved,
    ...(loaded ? { disabledReason: 'No hypervisor of this name or id is registered' } : {}),
  });
  return { selected: saved, choices };
}
