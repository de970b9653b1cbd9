import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import { formatBytes, formatCount, formatLatency } from '../../lib/format';
import type { TestState } from './use-hypervisor-form';

/** The outcome of "Test connection": what the host said about itself, or why it could not answer. */
export function ConnectionTestAlert({ test }: { test: TestState }) {
  if (test.phase === 'idle') return null;
  if (test.phase === 'testing') {
    return (
      <Box role="status" sx={{ mt: 2 }}>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          Connecting to {test.uri}…
        </Typography>
        <LinearProgress />
      </Box>
    );
  }
  if (test.phase === 'failed') {
    return (
      <Alert severity="error" sx={{ mt: 2 }}>
        <AlertTitle>Connection failed</AlertTitle>
        {test.message}
      </Alert>
    );
  }
  const { result } = test;
  if (!result.ok || result.host === undefined) {
    return (
      <Alert severity="error" sx={{ mt: 2 }}>
        <AlertTitle>Connection failed</AlertTitle>
        {result.error?.message ?? 'The hypervisor did not answer.'}
        {/* How long it tried only matters when it waited: a timeout, a slow DNS lookup. */}
        {result.latencyMs >= 1000 && ` (gave up after ${formatLatency(result.latencyMs)})`}
      </Alert>
    );
  }
  const { host } = result;
  return (
    <Alert severity="success" sx={{ mt: 2 }}>
      <AlertTitle>Connected to {host.hostname}</AlertTitle>
      {host.hypervisorVersion}
      {result.vmCount !== undefined && ` · ${formatCount(result.vmCount, 'virtual machine')}`}
      {` · ${host.cpus} CPUs (${host.cpuModel}) · ${formatBytes(host.memoryBytes)} memory`}
      {` · latency ${formatLatency(result.latencyMs)}`}
    </Alert>
  );
}
