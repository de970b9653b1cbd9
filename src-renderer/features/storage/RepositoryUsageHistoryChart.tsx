import { useEffect, useRef } from 'react';
import Box from '@mui/material/Box';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { alpha, useTheme, type Theme } from '@mui/material/styles';
import type { RepositoryInfo } from '../../../shared/domain/jobs';
import { describeError } from '../../api/api-error';
import { formatBytes, formatCount } from '../../lib/format';
import { useEngineQuery } from '../restore/use-engine-query';
import { timeLabel, usageHistory, type RepositoryHistory, type UsageSample } from './usage-history';

// The drawing's own coordinates; the SVG scales to the width of the page.
const WIDTH = 640;
const HEIGHT = 190;
const PLOT = { left: 72, right: WIDTH - 16, top: 10, bottom: HEIGHT - 30 };
const X_TICKS = 3;
// A single point has no time range of its own: show half an hour on either side.
const LONE_POINT_PAD_MS = 30 * 60 * 1000;
const END_PAD_SHARE = 0.04;

const ALL_POINTS = {};

interface HistoryColors {
  protectedFill: string;
  protectedLine: string;
  stored: string;
}

/**
 * A pale fill reads on white but vanishes on the dark theme's paper (review P16): the dark
 * theme gets a denser fill, and the legend swatches carry the line colour as their edge.
 */
function historyColors(theme: Theme): HistoryColors {
  const dark = theme.palette.mode === 'dark';
  return {
    protectedFill: alpha(theme.palette.primary.main, dark ? 0.4 : 0.22),
    protectedLine: alpha(theme.palette.primary.main, dark ? 0.8 : 0.5),
    stored: theme.palette.primary.main,
  };
}

/**
 * Not the repository's usage over time (review M10): rebuilt from the points that exist now, a
 * prune takes its points out of the past too. The title and caption say so.
 */
export const HISTORY_TITLE = 'Data of the current restore points, by when they were taken';

/**
 * How the current restore points of each repository add up, restore point by restore point: the protected data (the same
 * quantity as the table's "Protected data") and what the points added to the repository. Re-read whenever the repository list is (a backup, prune
 * or attach ended), so it follows the table below it.
 */
export function RepositoryUsageHistoryChart({ repositories }: { repositories: RepositoryInfo[] }) {
  const theme = useTheme();
  const query = useEngineQuery('points.list', ALL_POINTS);
  const { reload } = query;
  // The first list arrives with the first query; only later lists mean the points changed.
  const firstList = useRef(true);
  useEffect(() => {
    if (firstList.current) firstList.current = false;
    else reload();
  }, [repositories, reload]);
  const colors = historyColors(theme);
  const histories = query.data === undefined ? [] : usageHistory(query.data);

  return (
    <Paper variant="outlined" component="figure" sx={{ m: 0, p: 2, mb: 2 }}>
      <Typography variant="subtitle1" component="figcaption" sx={{ fontWeight: 600 }}>
        {HISTORY_TITLE}
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
        Each step is a restore point that still exists, at the time it was taken. Deleted and pruned
        points are left out, so this is not a record of the repository’s past size.
      </Typography>
      <Stack direction="row" sx={{ gap: 2, flexWrap: 'wrap', mb: 1 }} aria-hidden>
        <LegendEntry
          color={colors.protectedFill}
          edge={colors.protectedLine}
          label="Protected data"
          description="data of the points up to then, as if each were a full copy"
        />
        <LegendEntry
          color={colors.stored}
          edge={colors.stored}
          label="Stored"
          description="what those points added to the repository, after deduplication and compression"
        />
      </Stack>
      {query.error !== null ? (
        <Typography color="error" variant="body2">
          Could not read the restore points: {describeError(query.error)}
        </Typography>
      ) : query.data !== undefined && histories.length === 0 ? (
        <Typography color="text.secondary" variant="body2" sx={{ py: 2 }}>
          No restore point exists now: each backup adds a step.
        </Typography>
      ) : (
        <Stack spacing={2}>
          {histories.map((history) => (
            <HistoryPlot key={history.repository} history={history} colors={colors} />
          ))}
        </Stack>
      )}
    </Paper>
  );
}

/** A chart legend entry: a swatch with an edge (visible on either theme), a label, what it means. */
export function LegendEntry(props: {
  color: string;
  edge: string;
  label: string;
  description: string;
}) {
  return (
    <Stack direction="row" sx={{ alignItems: 'center', gap: 0.75 }}>
      <Box
        data-legend-swatch
        sx={{
          width: 14,
          height: 14,
          borderRadius: 0.5,
          bgcolor: props.color,
          border: `2px solid ${props.edge}`,
        }}
      />
      <Typography variant="caption">
        {props.label}{' '}
        <Box component="span" sx={{ color: 'text.secondary' }}>
          — {props.description}
        </Box>
      </Typography>
    </Stack>
  );
}

function historySummary({ repository, samples }: RepositoryHistory, span: number): string {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined)
    return `Current restore points of ${repository}: none`;
  return `Current restore points of ${repository}: ${formatCount(samples.length, 'restore point')} taken from ${timeLabel(first.time, span)} to ${timeLabel(last.time, span)}; together they protect ${formatBytes(last.protectedBytes)} and store ${formatBytes(last.storedBytes)}`;
}

/** A step line: the totals jump when a point is written and hold until the next one. */
function stepPath(
  samples: UsageSample[],
  x: (t: number) => number,
  y: (b: number) => number,
  key: 'protectedBytes' | 'storedBytes',
): string {
  let path = '';
  samples.forEach((sample, index) => {
    const sx = x(sample.time);
    if (index === 0) path += `M${sx},${y(sample[key])}`;
    else path += `H${sx}V${y(sample[key])}`;
  });
  return `${path}H${PLOT.right}`;
}

function HistoryPlot(props: { history: RepositoryHistory; colors: HistoryColors }) {
  const { history, colors } = props;
  const theme = useTheme();
  const { samples } = history;
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined) return null;
  const lone = first.time === last.time;
  const start = lone ? first.time - LONE_POINT_PAD_MS : first.time;
  const span = last.time - first.time;
  // A little room after the last point, so its step is seen as a level and not as the border.
  const end = lone ? last.time + LONE_POINT_PAD_MS : last.time + span * END_PAD_SHARE;
  const maxBytes = Math.max(1, last.protectedBytes, last.storedBytes);
  const x = (t: number) => PLOT.left + ((t - start) / (end - start)) * (PLOT.right - PLOT.left);
  const y = (b: number) => PLOT.bottom - (b / maxBytes) * (PLOT.bottom - PLOT.top);
  const area = (key: 'protectedBytes' | 'storedBytes') =>
    `${stepPath(samples, x, y, key)}V${PLOT.bottom}H${x(first.time)}Z`;
  const xTicks = (
    lone
      ? [first.time]
      : Array.from({ length: X_TICKS }, (_, i) => first.time + (span * i) / (X_TICKS - 1))
  )
    .map((time) => ({ time, label: timeLabel(time, span) }))
    // Neighbours that read the same would only repeat themselves.
    .filter((tick, index, all) => index === 0 || tick.label !== all[index - 1]?.label);
  const yTicks = [0, maxBytes / 2, maxBytes];
  const text = theme.palette.text.secondary;
  const grid = theme.palette.divider;

  return (
    <Box role="img" aria-label={historySummary(history, span)}>
      <Typography variant="body2" sx={{ fontWeight: 600, mb: 0.5 }}>
        {history.repository}
      </Typography>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        style={{ display: 'block', maxHeight: 260 }}
      >
        {yTicks.map((bytes) => (
          <g key={bytes}>
            <line x1={PLOT.left} x2={PLOT.right} y1={y(bytes)} y2={y(bytes)} stroke={grid} />
            <text
              x={PLOT.left - 8}
              y={y(bytes)}
              textAnchor="end"
              dominantBaseline="middle"
              fontSize={11}
              fill={text}
            >
              {formatBytes(bytes)}
            </text>
          </g>
        ))}
        {xTicks.map(({ time, label }, index) => (
          <text
            key={time}
            x={x(time)}
            y={HEIGHT - 10}
            // The outer labels stay inside the drawing.
            textAnchor={
              lone
                ? 'middle'
                : index === 0
                  ? 'start'
                  : index === xTicks.length - 1
                    ? 'end'
                    : 'middle'
            }
            fontSize={11}
            fill={text}
          >
            {label}
          </text>
        ))}
        <path d={area('protectedBytes')} fill={colors.protectedFill} />
        <path d={area('storedBytes')} fill={alpha(colors.stored, 0.35)} />
        <path
          d={stepPath(samples, x, y, 'protectedBytes')}
          fill="none"
          stroke={colors.protectedLine}
          strokeWidth={1.5}
        />
        <path
          d={stepPath(samples, x, y, 'storedBytes')}
          fill="none"
          stroke={colors.stored}
          strokeWidth={2}
        />
        {samples.map((sample, index) => (
          // A native tooltip per point: the totals right after it was written.
          <g key={index}>
            <title>
              {`${timeLabel(sample.time, span)}: protects ${formatBytes(sample.protectedBytes)} of data, stores ${formatBytes(sample.storedBytes)}`}
            </title>
            <circle
              cx={x(sample.time)}
              cy={y(sample.protectedBytes)}
              r={4}
              fill={colors.protectedLine}
            />
            <circle cx={x(sample.time)} cy={y(sample.storedBytes)} r={4} fill={colors.stored} />
          </g>
        ))}
      </svg>
    </Box>
  );
}
