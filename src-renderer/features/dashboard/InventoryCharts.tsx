import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { formatBytes, formatCount } from '../../lib/format';
import type { HostStats, InventoryStats } from './dashboard-stats';

/** One stacked bar: running / off / other, with a legend that carries the numbers. */
export function StateBar({ stats }: { stats: InventoryStats }) {
  const parts = [
    { label: 'Running', count: stats.running, color: 'success.main' },
    { label: 'Off', count: stats.off, color: 'text.disabled' },
    { label: 'Other', count: stats.other, color: 'warning.main' },
  ];
  if (stats.vms === 0) {
    return <Typography color="text.secondary">No virtual machines discovered yet.</Typography>;
  }
  return (
    <Box>
      <Box
        role="img"
        aria-label={parts.map((p) => `${p.count} ${p.label.toLowerCase()}`).join(', ')}
        sx={{
          display: 'flex',
          height: 20,
          borderRadius: 1,
          overflow: 'hidden',
          bgcolor: 'action.hover',
        }}
      >
        {parts
          .filter((p) => p.count > 0)
          .map((p) => (
            <Box
              key={p.label}
              sx={{ width: `${(p.count / stats.vms) * 100}%`, bgcolor: p.color }}
            />
          ))}
      </Box>
      <Stack direction="row" spacing={3} sx={{ mt: 1.5 }}>
        {parts.map((p) => (
          <Stack key={p.label} direction="row" spacing={1} sx={{ alignItems: 'center' }}>
            <Box sx={{ width: 10, height: 10, borderRadius: '50%', bgcolor: p.color }} />
            <Typography variant="body2">
              {p.label} <strong>{p.count}</strong>
            </Typography>
          </Stack>
        ))}
      </Stack>
    </Box>
  );
}

/** Horizontal bars scaled to the largest host; unreachable hosts say so instead of showing 0. */
export function HostBars({ hosts }: { hosts: HostStats[] }) {
  if (hosts.length === 0) {
    return <Typography color="text.secondary">No hypervisor registered.</Typography>;
  }
  const max = Math.max(1, ...hosts.map((h) => h.provisionedBytes));
  return (
    <Stack spacing={1.5}>
      {hosts.map((host) => (
        <Box key={host.hypervisorId}>
          <Stack direction="row" sx={{ justifyContent: 'space-between' }}>
            <Typography variant="body2" sx={{ fontWeight: 600 }}>
              {host.name}
            </Typography>
            <Typography variant="body2" color={host.reachable ? 'text.secondary' : 'error'}>
              {host.reachable
                ? `${formatBytes(host.provisionedBytes)} · ${formatCount(host.vmCount, 'VM')}`
                : 'unreachable'}
            </Typography>
          </Stack>
          <Tooltip title={`${host.name}: ${formatBytes(host.provisionedBytes)} provisioned`}>
            <Box sx={{ height: 10, mt: 0.5, borderRadius: 1, bgcolor: 'action.hover' }}>
              <Box
                sx={{
                  height: '100%',
                  borderRadius: 1,
                  width: `${(host.provisionedBytes / max) * 100}%`,
                  bgcolor: host.reachable ? 'primary.main' : 'error.main',
                }}
              />
            </Box>
          </Tooltip>
        </Box>
      ))}
    </Stack>
  );
}
