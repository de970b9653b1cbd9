import { useMemo, type ReactNode } from 'react';
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardActionArea from '@mui/material/CardActionArea';
import CardContent from '@mui/material/CardContent';
import Grid from '@mui/material/Grid';
import Skeleton from '@mui/material/Skeleton';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { formatCount } from '../../lib/format';
import { useStore } from '../../store';
import { backupOverview, formatAge } from '../vms/backup-status';
import { useBackupStatusData, useNow } from '../vms/use-backup-status';

interface BackupCardProps {
  title: string;
  value: ReactNode;
  detail: ReactNode;
  loading: boolean;
  /** Where a click leads, said for screen readers ("Show the VMs without a restore point"). */
  action?: { label: string; onClick(): void };
}

function BackupCard(props: BackupCardProps) {
  const content = (
    <CardContent>
      <Typography variant="overline" color="text.secondary" component="h2">
        {props.title}
      </Typography>
      <Typography variant="h4" component="p" sx={{ fontWeight: 700, my: 0.5 }}>
        {props.loading ? <Skeleton width={80} /> : props.value}
      </Typography>
      <Box sx={{ color: 'text.secondary', typography: 'body2' }}>
        {props.loading ? <Skeleton width="70%" /> : props.detail}
      </Box>
    </CardContent>
  );
  return (
    <Card sx={{ height: '100%' }} role="region" aria-label={props.title}>
      {props.action === undefined ? (
        content
      ) : (
        <CardActionArea
          onClick={props.action.onClick}
          aria-label={props.action.label}
          sx={{ height: '100%' }}
        >
          {content}
        </CardActionArea>
      )}
    </Card>
  );
}

/** Backup status at a glance: which VMs are protected, what failed lately, the newest backup. */
export function BackupCards() {
  const vms = useStore((s) => s.vms);
  const vmsStatus = useStore((s) => s.vmsStatus);
  const navigate = useStore((s) => s.navigate);
  const showVmsByBackup = useStore((s) => s.showVmsByBackup);
  const { summaries, summariesStatus, jobs, jobsStatus } = useBackupStatusData();
  const now = useNow();
  const overview = useMemo(
    () => backupOverview(vms, summaries, jobs, now),
    [vms, summaries, jobs, now],
  );
  const first = (status: string) => status === 'idle' || status === 'loading';
  const pointsLoading = first(summariesStatus) && summaries.length === 0;
  const vmsLoading = first(vmsStatus) && vms.length === 0;
  const jobsLoading = first(jobsStatus) && jobs.length === 0;
  const unavailable = (status: string) => (status === 'error' ? 'not available' : null);

  return (
    <>
      <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
        <BackupCard
          title="VMs with a restore point"
          loading={pointsLoading || vmsLoading}
          value={`${overview.protectedVms} of ${vms.length}`}
          detail={unavailable(summariesStatus) ?? 'Show them in the inventory'}
          action={{
            label: 'Show the VMs with a restore point',
            onClick: () => showVmsByBackup('protected'),
          }}
        />
      </Grid>
      <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
        <BackupCard
          title="VMs without a restore point"
          loading={pointsLoading || vmsLoading}
          value={overview.unprotectedVms}
          detail={
            unavailable(summariesStatus) ??
            (overview.unprotectedVms === 0 ? 'Every VM is protected' : 'Never backed up')
          }
          action={{
            label: 'Show the VMs without a restore point',
            onClick: () => showVmsByBackup('unprotected'),
          }}
        />
      </Grid>
      <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
        <BackupCard
          title="Failed backup jobs (24 h)"
          loading={jobsLoading}
          value={overview.failedJobsLastDay}
          detail={
            unavailable(jobsStatus) ??
            (overview.partialJobsLastDay > 0
              ? `${overview.partialJobsLastDay} of them partially · open Jobs`
              : 'Open Jobs')
          }
          action={{ label: 'Open the Jobs page', onClick: () => navigate('jobs') }}
        />
      </Grid>
      <Grid size={{ xs: 12, sm: 6, lg: 3 }}>
        <BackupCard
          title="Last successful backup"
          loading={pointsLoading}
          value={
            overview.lastSuccessTime === null ? (
              'Never'
            ) : (
              <Tooltip title={new Date(overview.lastSuccessTime).toLocaleString()}>
                <span>{formatAge(overview.lastSuccessTime, now)}</span>
              </Tooltip>
            )
          }
          detail={
            unavailable(summariesStatus) ??
            (overview.lastSuccessTime === null
              ? 'No restore point yet'
              : `${formatCount(
                  summaries.reduce((sum, s) => sum + s.points, 0),
                  'restore point',
                )} in all`)
          }
        />
      </Grid>
    </>
  );
}
