import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { alpha, useTheme, type Theme } from '@mui/material/styles';
import { describeError } from '../../api/api-error';
import { formatCount } from '../../lib/format';
import { useStore } from '../../store';
import { useNow } from '../vms/use-backup-status';
import {
  dayLabel,
  dayText,
  historySummary,
  HISTORY_DAYS,
  OUTCOME_LABELS,
  OUTCOMES,
  type BackupDay,
  type BackupHistory,
  type BackupOutcome,
} from './backup-history';
import { HISTORY_JOB_LIMIT, useBackupHistory } from './use-backup-history';

export const BACKUP_HISTORY_TITLE = `Backup jobs, last ${HISTORY_DAYS} days`;

const PLOT_HEIGHT = 120;
const SCALE_WIDTH = 24;

interface OutcomeColor {
  fill: string;
  /** the legend swatch's edge, so a pale fill still reads on either theme */
  edge: string;
}

/** Green, amber, red and grey as the job status chips; a warning is a paler partial. */
function outcomeColors(theme: Theme): Record<BackupOutcome, OutcomeColor> {
  const { success, warning, error, grey } = theme.palette;
  return {
    succeeded: { fill: success.main, edge: success.main },
    warnings: { fill: alpha(warning.main, 0.5), edge: warning.main },
    partial: { fill: warning.main, edge: warning.main },
    failed: { fill: error.main, edge: error.main },
    cancelled: { fill: grey[500], edge: grey[500] },
  };
}

/**
 * Under each bar its day of the month; the first bar and the first of a month also name the
 * month, the last says "Today".
 */
function axisLabel(day: BackupDay, index: number): string {
  if (day.isToday) return 'Today';
  const label = dayLabel(day.start);
  return index === 0 || new Date(day.start).getDate() === 1 ? label : label.replace(/^\D+/, '');
}

/**
 * The chart an administrator looks at first: one stacked bar per local calendar day, today at
 * the right, so a failure or a day without any backup stands out.
 */
export function BackupHistoryCard() {
  const navigate = useStore((s) => s.navigate);
  const now = useNow();
  const { history, loading, error } = useBackupHistory(now);
  const theme = useTheme();
  const colors = outcomeColors(theme);
  const openJobs = () => navigate('jobs');

  return (
    <Card sx={{ height: '100%' }} role="region" aria-label={BACKUP_HISTORY_TITLE}>
      <CardContent>
        <Stack direction="row" sx={{ justifyContent: 'space-between', mb: 2 }}>
          <Typography variant="subtitle1" component="h2" sx={{ fontWeight: 600 }}>
            {BACKUP_HISTORY_TITLE}
          </Typography>
          <Button size="small" onClick={openJobs}>
            Open Jobs
          </Button>
        </Stack>
        {error !== null ? (
          <Typography color="error" variant="body2">
            Could not read the job history: {describeError(error)}
          </Typography>
        ) : history === null || loading ? (
          <Skeleton variant="rectangular" height={PLOT_HEIGHT + 60} />
        ) : (
          <>
            <HistoryBars history={history} colors={colors} onOpenJobs={openJobs} />
            <Legend history={history} colors={colors} />
            {history.days.some((d) => d.incomplete) && (
              <Typography variant="caption" color="text.secondary" component="p" sx={{ mt: 1 }}>
                Only the newest {HISTORY_JOB_LIMIT} jobs were read: the days with a dashed outline
                may miss older jobs.
              </Typography>
            )}
          </>
        )}
      </CardContent>
    </Card>
  );
}

function HistoryBars(props: {
  history: BackupHistory;
  colors: Record<BackupOutcome, OutcomeColor>;
  onOpenJobs(): void;
}) {
  const { history, colors } = props;
  const max = Math.max(1, ...history.days.map((d) => d.total));
  return (
    <Box>
      <Stack direction="row" sx={{ gap: 1 }}>
        {/* The scale: the busiest day's count at the top, zero at the bottom. */}
        <Stack
          aria-hidden
          sx={{
            height: PLOT_HEIGHT,
            justifyContent: 'space-between',
            alignItems: 'flex-end',
            width: SCALE_WIDTH,
            flexShrink: 0,
            typography: 'caption',
            color: 'text.secondary',
            lineHeight: 1,
          }}
        >
          <span>{max}</span>
          <span>0</span>
        </Stack>
        <Box
          role="img"
          aria-label={historySummary(history)}
          sx={{
            flex: 1,
            display: 'flex',
            gap: '4px',
            height: PLOT_HEIGHT,
            borderTop: 1,
            borderBottom: 1,
            borderColor: 'divider',
          }}
        >
          {history.days.map((day) => (
            <Tooltip key={day.start} title={dayText(day)} describeChild>
              <Box
                data-day={day.isToday ? 'today' : new Date(day.start).toISOString()}
                onClick={props.onOpenJobs}
                sx={{
                  flex: 1,
                  display: 'flex',
                  flexDirection: 'column-reverse',
                  cursor: 'pointer',
                  // The empty slot stays visible: a day without a backup is a gap.
                  bgcolor: 'action.hover',
                  border: day.incomplete ? 1 : 0,
                  borderStyle: 'dashed',
                  borderColor: 'text.disabled',
                  borderRadius: '4px 4px 0 0',
                  overflow: 'hidden',
                  '&:hover': { outline: 2, outlineColor: 'primary.main' },
                }}
              >
                {OUTCOMES.filter((o) => day.counts[o] > 0).map((o) => (
                  <Box
                    key={o}
                    sx={{
                      height: `${(day.counts[o] / max) * 100}%`,
                      bgcolor: colors[o].fill,
                      flexShrink: 0,
                    }}
                  />
                ))}
              </Box>
            </Tooltip>
          ))}
        </Box>
      </Stack>
      <Stack direction="row" aria-hidden sx={{ gap: '4px', ml: `${SCALE_WIDTH + 8}px`, mt: 0.5 }}>
        {history.days.map((day, index) => (
          <Typography
            key={day.start}
            variant="caption"
            color={day.isToday ? 'text.primary' : 'text.secondary'}
            noWrap
            sx={{
              flex: 1,
              minWidth: 0,
              textAlign: 'center',
              fontWeight: day.isToday ? 600 : 400,
              overflow: 'visible',
            }}
          >
            {axisLabel(day, index)}
          </Typography>
        ))}
      </Stack>
    </Box>
  );
}

function Legend(props: { history: BackupHistory; colors: Record<BackupOutcome, OutcomeColor> }) {
  const { history, colors } = props;
  return (
    <Stack direction="row" sx={{ mt: 1.5, columnGap: 3, rowGap: 1, flexWrap: 'wrap' }}>
      {OUTCOMES.map((o) => (
        <Stack key={o} direction="row" spacing={1} sx={{ alignItems: 'center' }}>
          <Box
            sx={{
              width: 12,
              height: 12,
              borderRadius: 0.5,
              bgcolor: colors[o].fill,
              border: `2px solid ${colors[o].edge}`,
            }}
          />
          <Typography variant="body2">
            {OUTCOME_LABELS[o]} <strong>{history.totals[o]}</strong>
          </Typography>
        </Stack>
      ))}
      <Typography variant="body2" color="text.secondary">
        {formatCount(history.total, 'backup job')} in all
      </Typography>
    </Stack>
  );
}
