import { useEffect, useMemo, useRef, useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import SettingsBackupRestoreIcon from '@mui/icons-material/SettingsBackupRestore';
import type { RestorePoint } from '../../../shared/domain/jobs';
import { describeError } from '../../api/api-error';
import { onEvent } from '../../api/client';
import { formatCount } from '../../lib/format';
import { useStore } from '../../store';
import { formatPointTime } from './browse-time';
import { useEngineQuery } from './use-engine-query';
import { FilterField } from '../../shell/FilterField';

interface ProtectedVm {
  uuid: string;
  name: string;
  points: number;
  latest: RestorePoint;
  oldest: RestorePoint;
  host: string | undefined;
}

/** Every VM that has restore points (in any repository), newest activity first. */
function protectedVms(points: RestorePoint[], hostOf: Map<string, string>): ProtectedVm[] {
  const byVm = new Map<string, ProtectedVm>();
  for (const point of points) {
    const entry = byVm.get(point.vmUuid);
    if (entry === undefined) {
      byVm.set(point.vmUuid, {
        uuid: point.vmUuid,
        name: point.vmName,
        points: 1,
        latest: point,
        oldest: point,
        host: hostOf.get(point.vmUuid),
      });
      continue;
    }
    entry.points += 1;
    if (Date.parse(point.time) > Date.parse(entry.latest.time)) entry.latest = point;
    if (Date.parse(point.time) < Date.parse(entry.oldest.time)) entry.oldest = point;
  }
  return [...byVm.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Step one of a restore: which VM's backups to browse. */
export function VmPicker({
  onPick,
  focusHeading = false,
}: {
  onPick(vm: { uuid: string; name: string }): void;
  /** Takes the focus when shown: the button that led back here ("All VMs") is gone. */
  focusHeading?: boolean;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusHeading) heading.current?.focus();
  }, [focusHeading]);
  const query = useEngineQuery('points.list', {});
  const vms = useStore((s) => s.vms);
  const [filter, setFilter] = useState('');
  const { reload } = query;

  useEffect(() => onEvent('points.changed', () => reload()), [reload]);

  const rows = useMemo(() => {
    const hostOf = new Map(vms.map((vm) => [vm.uuid, `${vm.host} (${vm.hypervisorName})`]));
    const all = protectedVms(query.data ?? [], hostOf);
    const needle = filter.trim().toLowerCase();
    return needle === '' ? all : all.filter((vm) => vm.name.toLowerCase().includes(needle));
  }, [query.data, vms, filter]);

  return (
    <Paper variant="outlined" sx={{ p: 2 }}>
      <Stack direction="row" sx={{ alignItems: 'center', gap: 2, mb: 1.5, flexWrap: 'wrap' }}>
        <Typography
          ref={heading}
          tabIndex={-1}
          variant="subtitle1"
          component="h2"
          sx={{ flex: '1 1 auto', outline: 'none' }}
        >
          Virtual machines with restore points
        </Typography>
        <FilterField label="Filter by name" value={filter} onChange={setFilter} />
      </Stack>
      {query.loading && <LinearProgress aria-label="Loading restore points" />}
      {query.error !== null && (
        <Alert
          severity="error"
          action={
            <Button color="inherit" onClick={reload}>
              Retry
            </Button>
          }
        >
          Could not list the restore points: {describeError(query.error)}
        </Alert>
      )}
      {query.data !== undefined && rows.length === 0 && (
        <Typography color="text.secondary" sx={{ py: 2 }}>
          {filter.trim() === ''
            ? 'No VM has a restore point yet. Back one up first (Virtual machines → a VM → Back up now), or attach a repository that holds backups (Storage).'
            : `No protected VM matches “${filter.trim()}”.`}
        </Typography>
      )}
      {rows.length > 0 && (
        <Table size="small" aria-label="Virtual machines with restore points">
          <TableHead>
            <TableRow>
              <TableCell>VM</TableCell>
              <TableCell>Host</TableCell>
              <TableCell>Guest OS</TableCell>
              <TableCell align="right">Points</TableCell>
              <TableCell>Latest</TableCell>
              <TableCell>Oldest</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((vm) => (
              <TableRow key={vm.uuid} hover>
                <TableCell sx={{ fontWeight: 500 }}>{vm.name}</TableCell>
                <TableCell>{vm.host ?? '—'}</TableCell>
                <TableCell>{vm.latest.guestOs?.name ?? vm.latest.guestOs?.family ?? '—'}</TableCell>
                <TableCell align="right">{formatCount(vm.points, 'point')}</TableCell>
                <TableCell sx={{ whiteSpace: 'nowrap' }}>
                  {formatPointTime(vm.latest.time)}
                </TableCell>
                <TableCell sx={{ whiteSpace: 'nowrap' }}>
                  {formatPointTime(vm.oldest.time)}
                </TableCell>
                <TableCell align="right">
                  <Button
                    size="small"
                    startIcon={<SettingsBackupRestoreIcon />}
                    onClick={() => onPick({ uuid: vm.uuid, name: vm.name })}
                    aria-label={`Restore from ${vm.name}`}
                  >
                    Restore…
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Paper>
  );
}
