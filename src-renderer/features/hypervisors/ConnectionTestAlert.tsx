import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import { formatBytes, formatCount, formatLatency } from '../../lib/format';
import type { TestState } from './use-hypervisor-form';

/**
 * The outcome of "Test connection": what the host said about itself, or why it could not answer.
 * A vSphere server's certificate is shown with an Accept step until its fingerprint is pinned.
 */
export function ConnectionTestAlert({
  test,
  pinnedFingerprint = '',
  onAcceptCertificate,
}: {
  test: TestState;
  pinnedFingerprint?: string;
  onAcceptCertificate?: (fingerprint: string) => void;
}) {
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
  const certificate = result.certificate;
  const certificateAlert = certificate !== undefined &&
    certificate.fingerprint !== pinnedFingerprint.toUpperCase() && (
      <Alert
        severity="warning"
        sx={{ mt: 2 }}
        action={
          onAcceptCertificate && (
            <Button
              color="inherit"
              size="small"
              onClick={() => onAcceptCertificate(certificate.fingerprint)}
            >
              Accept
            </Button>
          )
        }
      >
        <AlertTitle>Server certificate</AlertTitle>
        Compare this SHA-256 fingerprint with the one the server shows before accepting it:
        <Box
          component="code"
          sx={{ display: 'block', wordBreak: 'break-all', my: 1 }}
          aria-label="Certificate fingerprint"
        >
          {certificate.fingerprint}
        </Box>
        {certificate.subject} · valid to {new Date(certificate.validTo).toLocaleDateString()}
      </Alert>
    );
  if (!result.ok || result.host === undefined) {
    return (
      <>
        {certificateAlert}
        <Alert severity="error" sx={{ mt: 2 }}>
          <AlertTitle>Connection failed</AlertTitle>
          {result.error?.message ?? 'The hypervisor did not answer.'}
          {/* How long it tried only matters when it waited: a timeout, a slow DNS lookup. */}
          {result.latencyMs >= 1000 && ` (gave up after ${formatLatency(result.latencyMs)})`}
        </Alert>
      </>
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
