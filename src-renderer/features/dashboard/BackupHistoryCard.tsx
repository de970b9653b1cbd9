import { useId, useRef, useState, type KeyboardEvent } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import ButtonBase from '@mui/material/ButtonBase';
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
import { NO_JOB_FILTERS } from '../jobs/job-filters';
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
  const showJobs = useStore((s) => s.showJobs);
  const now = useNow();
  const { history, loading, error } = useBackupHistory(now);
  const theme = useTheme();
  const colors = outcomeColors(theme);
  const titleId = useId();
  const openJobs = () => navigate('jobs');
  // A red bar is looked at for its failed jobs: the Jobs page opens on that day's backups.
  const openDay = (day: BackupDay) =>
    showJobs({ ...NO_JOB_FILTERS, kind: 'backup', day: day.start });

  return (
    <Card sx={{ height: '100%' }} role="region" aria-label={BACKUP_HISTORY_TITLE}>
      <CardContent>
        <Stack direction="row" sx={{ justifyContent: 'space-between', mb: 2 }}>
          <Typography id={titleId} variant="subtitle1" component="h2" sx={{ fontWeight: 600 }}>
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
            <HistoryBars history={history} colors={colors} titleId={titleId} onOpenDay={openDay} />
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

/** Where an arrow key moves the focus from the bar at `index`, or null for another key. */
function movedIndex(key: string, index: number, count: number): number | null {
  switch (key) {
    case 'ArrowLeft':
      return Math.max(0, index - 1);
    case 'ArrowRight':
      return Math.min(count - 1, index + 1);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** Read by screen readers, not shown: the chart's summary its bars' toolbar is described by. */
const VISUALLY_HIDDEN = {
  position: 'absolute',
  width: 1,
  height: 1,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
} as const;

/**
 * The bars are buttons, one Tab stop for the whole chart (today's bar first, then the one last
 * focused) and the arrow keys between days, as in a chart used by keyboard; a bar's name and
 * tooltip give its day and counts, and activating it opens that day's backup jobs.
 */
function HistoryBars(props: {
  history: BackupHistory;
  colors: Record<BackupOutcome, OutcomeColor>;
  /** the card's title, which names the bars' toolbar */
  titleId: string;
  onOpenDay(day: BackupDay): void;
}) {
  const { history, colors } = props;
  const max = Math.max(1, ...history.days.map((d) => d.total));
  const summaryId = useId();
  const last = history.days.length - 1;
  const [current, setCurrent] = useState(last);
  const tabStop = Math.min(current, last);
  const bars = useRef<(HTMLButtonElement | null)[]>([]);
  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const next = movedIndex(event.key, index, history.days.length);
    if (next === null) return;
    event.preventDefault();
    setCurrent(next);
    bars.current[next]?.focus();
  };
  return (
    <Box>
      <Box id={summaryId} sx={VISUALLY_HIDDEN}>
        {historySummary(history)}
      </Box>
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
          role="toolbar"
          aria-labelledby={props.titleId}
          aria-describedby={summaryId}
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
          {history.days.map((day, index) => (
            <Tooltip key={day.start} title={dayText(day)}>
              <ButtonBase
                ref={(el: HTMLButtonElement | null) => {
                  bars.current[index] = el;
                }}
                data-day={day.isToday ? 'today' : new Date(day.start).toISOString()}
                aria-label={dayText(day)}
                tabIndex={index === tabStop ? 0 : -1}
                disableRipple
                onClick={() => props.onOpenDay(day)}
                onFocus={() => setCurrent(index)}
                onKeyDown={(event) => onKeyDown(event, index)}
                sx={{
                  flex: 1,
                  minWidth: 0,
                  height: '100%',
                  display: 'flex',
                  flexDirection: 'column-reverse',
                  justifyContent: 'flex-start',
                  alignItems: 'stretch',
                  // The empty slot stays visible: a day without a backup is a gap.
                  bgcolor: 'action.hover',
                  border: day.incomplete ? 1 : 0,
                  borderStyle: 'dashed',
                  borderColor: 'text.disabled',
                  borderRadius: '4px 4px 0 0',
                  overflow: 'hidden',
                  '&:hover': { outline: 2, outlineColor: 'primary.main' },
                  '&.Mui-focusVisible': {
                    outline: 3,
                    outlineColor: 'primary.main',
                    outlineOffset: '2px',
                  },
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
              </ButtonBase>
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
