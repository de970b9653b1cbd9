import { useEffect } from 'react';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import type { Hypervisor } from '../../../shared/domain/hypervisor';
import type { StoragePool } from '../../../shared/domain/restore';
import { describeError } from '../../api/api-error';
import { formatBytes } from '../../lib/format';
import { useStore } from '../../store';
import { poolChoices } from './pool-choices';
import { useEngineQuery } from './use-engine-query';

/** FIG. 14A "Server name": a registered hypervisor, shown with the address it is reached at. */
export function HypervisorSelect(props: {
  value: string;
  onChange(id: string): void;
  error: string | null;
  disabled: boolean;
  label?: string;
  /** Why a hypervisor cannot be chosen here (listed, greyed out, with the reason), or undefined. */
  unavailable?(hypervisor: Hypervisor): string | undefined;
  helperText?: string;
}) {
  const hypervisors = useStore((s) => s.hypervisors);
  const status = useStore((s) => s.hypervisorsStatus);
  const loadHypervisors = useStore((s) => s.loadHypervisors);
  useEffect(() => {
    if (status === 'idle') void loadHypervisors();
  }, [status, loadHypervisors]);
  return (
    <TextField
      select
      label={props.label ?? 'Destination hypervisor'}
      value={hypervisors.some((h) => h.id === props.value) ? props.value : ''}
      onChange={(e) => props.onChange(e.target.value)}
      error={props.error !== null}
      helperText={
        props.error ??
        (hypervisors.length === 0 && status === 'ready'
          ? 'No hypervisor registered: add one on the Hypervisors page'
          : (props.helperText ?? 'Uses the address and credentials registered for it'))
      }
      disabled={props.disabled}
      required
      slotProps={{
        select: { renderValue: (id) => hypervisors.find((h) => h.id === id)?.name ?? '' },
      }}
    >
      {hypervisors.map((h) => {
        const reason = props.unavailable?.(h);
        return (
          <MenuItem key={h.id} value={h.id} disabled={reason !== undefined}>
            <ListItemText primary={h.name} secondary={reason ?? h.uri} />
          </MenuItem>
        );
      })}
    </TextField>
  );
}

function poolText(pool: StoragePool): string {
  const where = pool.path ? ` · ${pool.path}` : '';
  return `${pool.type}${where} · ${formatBytes(pool.availableBytes)} free of ${formatBytes(pool.capacityBytes)}`;
}

/**
 * A storage pool of the chosen hypervisor (hypervisor.pools). With `defaultLabel`, '' means "let
 * the engine choose" (the pool named default, else the first active one).
 */
export function PoolSelect(props: {
  hypervisorId: string;
  value: string;
  onChange(pool: string): void;
  error: string | null;
  disabled: boolean;
  defaultLabel?: string;
}) {
  const { hypervisorId, value, onChange, defaultLabel } = props;
  const pools = useEngineQuery('hypervisor.pools', hypervisorId === '' ? null : { hypervisorId });
  const list = pools.data ?? [];
  // With a default entry, the pool it stands for is shown there rather than listed again.
  const { automatic, others } = poolChoices(list);
  const listed = defaultLabel !== undefined ? others : list;
  const automaticText =
    automatic === undefined ? (defaultLabel ?? '') : `Default pool: ${automatic.name}`;
  const known = value === '' ? defaultLabel !== undefined : listed.some((p) => p.name === value);
  return (
    <TextField
      select
      label="Storage pool"
      value={known ? value : ''}
      onChange={(e) => onChange(e.target.value)}
      error={props.error !== null || pools.error !== null}
      helperText={
        props.error ??
        (pools.error !== null
          ? `Could not list the storage pools: ${describeError(pools.error)}`
          : pools.loading
            ? 'Asking the hypervisor for its storage pools…'
            : hypervisorId === ''
              ? 'Choose the hypervisor first'
              : 'Where the restored disks are uploaded')
      }
      disabled={props.disabled || hypervisorId === ''}
      required={defaultLabel === undefined}
      slotProps={{
        // '' is a real choice ("let the engine choose") when there is a default entry.
        select: {
          displayEmpty: defaultLabel !== undefined,
          renderValue: (name) => (name === '' ? automaticText : String(name)),
        },
        inputLabel: defaultLabel !== undefined ? { shrink: true } : {},
      }}
    >
      {defaultLabel !== undefined && (
        <MenuItem value="">
          <ListItemText
            primary={automaticText}
            secondary={automatic === undefined ? undefined : poolText(automatic)}
          />
        </MenuItem>
      )}
      {listed.map((pool) => (
        <MenuItem key={pool.name} value={pool.name} disabled={!pool.active}>
          <ListItemText
            primary={pool.active ? pool.name : `${pool.name} (inactive)`}
            secondary={poolText(pool)}
          />
        </MenuItem>
      ))}
    </TextField>
  );
}
