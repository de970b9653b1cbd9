import { useMemo, type ReactNode } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Grid from '@mui/material/Grid';
import LinearProgress from '@mui/material/LinearProgress';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { describeError } from '../../api/api-error';
import { formatBytes, formatCount } from '../../lib/format';
import { PageHeader } from '../../shell/PageHeader';
import { useStore } from '../../store';
import { BackupCards } from './BackupCards';
import { BackupHistoryCard } from './BackupHistoryCard';
import { GettingStartedCard } from './GettingStartedCard';
import { inventoryStats } from './dashboard-stats';
import { HostBars, StateBar } from './InventoryCharts';

interface StatCardProps {
  title: string;
  value: ReactNode;
  detail: ReactNode;
  loading: boolean;
  /** Nothing loaded and the last attempt failed: a dash, not a misleading zero. */
  unavailable: boolean;
}

function StatCard(props: StatCardProps) {
  const value = props.unavailable ? '—' : props.value;
  const detail = props.unavailable ? 'not available' : props.detail;
  return (
    <Card sx={{ height: '100%' }}>
      <CardContent>
        <Typography variant="overline" color="text.secondary" component="h2">
          {props.title}
        </Typography>
        <Typography variant="h4" component="p" sx={{ fontWeight: 700, my: 0.5 }}>
          {props.loading ? <Skeleton width={80} /> : value}
        </Typography>
        <Box sx={{ color: 'text.secondary', typography: 'body2' }}>
          {props.loading ? <Skeleton width="70%" /> : detail}
        </Box>
      </CardContent>
    </Card>
  );
}

export function DashboardPage() {
  const hypervisors = useStore((s) => s.hypervisors);
  const hypervisorsStatus = useStore((s) => s.hypervisorsStatus);
  const hypervisorsError = useStore((s) => s.hypervisorsError);
  const vms = useStore((s) => s.vms);
  const vmErrors = useStore((s) => s.vmErrors);
  const vmsStatus = useStore((s) => s.vmsStatus);
  const vmsError = useStore((s) => s.vmsError);
  const navigate = useStore((s) => s.navigate);
  const stats = useMemo(
    () => inventoryStats(hypervisors, vms, vmErrors),
    [hypervisors, vms, vmErrors],
  );
  const firstLoad = (status: string, count: number) =>
    (status === 'idle' || status === 'loading') && count === 0;
  const hypervisorsLoading = firstLoad(hypervisorsStatus, hypervisors.length);
  const vmsLoading = firstLoad(vmsStatus, vms.length);
  const engineError = hypervisorsError ?? vmsError;
  const hypervisorsUnavailable = hypervisorsStatus === 'error' && hypervisors.length === 0;
  const vmsUnavailable = vmsStatus === 'error' && vms.length === 0;

  return (
    <>
      <PageHeader
        title="Dashboard"
        subtitle="What Hyperkeep protects: hypervisors, their virtual machines and the capacity they provision."
      />
      {(hypervisorsStatus === 'loading' || vmsStatus === 'loading') && (
        <LinearProgress sx={{ mb: 2 }} aria-label="Refreshing the inventory" />
      )}
      {engineError !== null && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {describeError(engineError)}
        </Alert>
      )}
      <GettingStartedCard />
      <Grid container spacing={2}>
        <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
          <StatCard
            title="Hypervisors"
            loading={hypervisorsLoading}
            unavailable={hypervisorsUnavailable}
            value={stats.hypervisors}
            detail={
              vmsStatus === 'ready' || vmErrors.length > 0
                ? `${stats.reachable} of ${stats.hypervisors} reachable`
                : 'registered'
            }
          />
        </Grid>
        <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
          <StatCard
            title="Virtual machines"
            loading={vmsLoading}
            unavailable={vmsUnavailable}
            value={stats.vms}
            detail={`${stats.running} running · ${stats.off} off${stats.other > 0 ? ` · ${stats.other} other` : ''}`}
          />
        </Grid>
        <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
          <StatCard
            title="Provisioned capacity"
            loading={vmsLoading}
            unavailable={vmsUnavailable}
            value={formatBytes(stats.provisionedBytes)}
            detail={`on ${formatCount(stats.disks, 'virtual disk')}`}
          />
        </Grid>
        <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
          <StatCard
            title="Compute"
            loading={vmsLoading}
            unavailable={vmsUnavailable}
            value={`${stats.vcpus} vCPU`}
            detail={`${formatBytes(stats.memoryBytes)} memory assigned`}
          />
        </Grid>
        <BackupCards />
        <Grid size={{ xs: 12 }}>
          <BackupHistoryCard />
        </Grid>
        <Grid size={{ xs: 12, md: 5 }}>
          <Card sx={{ height: '100%' }}>
            <CardContent>
              <Typography variant="subtitle1" component="h2" sx={{ fontWeight: 600, mb: 2 }}>
                Power state
              </Typography>
              {vmsLoading ? <Skeleton height={60} /> : <StateBar stats={stats} />}
            </CardContent>
          </Card>
        </Grid>
        <Grid size={{ xs: 12, md: 7 }}>
          <Card sx={{ height: '100%' }}>
            <CardContent>
              <Stack direction="row" sx={{ justifyContent: 'space-between', mb: 2 }}>
                <Typography variant="subtitle1" component="h2" sx={{ fontWeight: 600 }}>
                  Provisioned capacity per hypervisor
                </Typography>
                <Button size="small" onClick={() => navigate('vms')}>
                  Open inventory
                </Button>
              </Stack>
              {hypervisorsLoading ? <Skeleton height={60} /> : <HostBars hosts={stats.perHost} />}
            </CardContent>
          </Card>
        </Grid>
      </Grid>
    </>
  );
}
