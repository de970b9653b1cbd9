import Box from '@mui/material/Box';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { alpha, useTheme } from '@mui/material/styles';
import type { RepositoryInfo } from '../../../shared/domain/jobs';
import { formatBytes } from '../../lib/format';
import { LegendEntry } from './RepositoryUsageHistoryChart';

interface Layer {
  key: 'logicalBytes' | 'uniqueBytes' | 'storedBytes';
  label: string;
  description: string;
}

const LAYERS: Layer[] = [
  {
    key: 'logicalBytes',
    label: 'Protected data',
    description: 'data of every restore point, as if each were a full copy',
  },
  { key: 'uniqueBytes', label: 'After deduplication', description: 'distinct chunks' },
  { key: 'storedBytes', label: 'Stored', description: 'compressed and encrypted, on disk' },
];

/** Share of the logical size a repository really occupies, as "saves 87 %". */
export function savings(repository: RepositoryInfo): number | undefined {
  if (repository.logicalBytes <= 0) return undefined;
  return Math.max(0, Math.round((1 - repository.storedBytes / repository.logicalBytes) * 100));
}

/**
 * What deduplication and compression save, per repository: three nested bars on the
 * repository's own scale — the logical data, what is left after deduplication, and what the
 * disk really holds. The shorter the dark bar against the light one, the more is saved.
 */
export function RepositoryUsageChart({ repositories }: { repositories: RepositoryInfo[] }) {
  const theme = useTheme();
  // The palest layer needs more body on the dark theme's paper (review P16).
  const dark = theme.palette.mode === 'dark';
  const colors = [
    alpha(theme.palette.primary.main, dark ? 0.4 : 0.22),
    alpha(theme.palette.primary.main, dark ? 0.65 : 0.5),
    theme.palette.primary.main,
  ];
  const edge = alpha(theme.palette.primary.main, dark ? 0.9 : 0.6);
  return (
    <Paper variant="outlined" component="figure" sx={{ m: 0, p: 2, mb: 2 }}>
      <Typography variant="subtitle1" component="figcaption" sx={{ fontWeight: 600, mb: 1 }}>
        Space used and saved
      </Typography>
      <Stack direction="row" sx={{ gap: 2, flexWrap: 'wrap', mb: 2 }} aria-hidden>
        {LAYERS.map((layer, index) => (
          <LegendEntry
            key={layer.key}
            color={colors[index]!}
            edge={edge}
            label={layer.label}
            description={layer.description}
          />
        ))}
      </Stack>
      <Stack spacing={2}>
        {repositories.map((repository) => (
          <UsageRow key={repository.name} repository={repository} colors={colors} />
        ))}
      </Stack>
    </Paper>
  );
}

function UsageRow({ repository, colors }: { repository: RepositoryInfo; colors: string[] }) {
  const scale = Math.max(repository.logicalBytes, repository.uniqueBytes, repository.storedBytes);
  const saved = savings(repository);
  const summary =
    scale === 0
      ? `${repository.name}: no backup data yet`
      : `${repository.name}: protected data ${formatBytes(repository.logicalBytes)}, after deduplication ${formatBytes(repository.uniqueBytes)}, stored ${formatBytes(repository.storedBytes)}${saved === undefined ? '' : `, saves ${saved} %`}`;
  return (
    <Box role="img" aria-label={summary}>
      <Stack direction="row" sx={{ justifyContent: 'space-between', mb: 0.5, gap: 2 }}>
        <Typography variant="body2" sx={{ fontWeight: 600 }}>
          {repository.name}
        </Typography>
        <Typography
          variant="body2"
          color="text.secondary"
          sx={{ fontVariantNumeric: 'tabular-nums' }}
        >
          {scale === 0
            ? 'No backup data yet'
            : `${formatBytes(repository.logicalBytes)} → ${formatBytes(repository.uniqueBytes)} → ${formatBytes(repository.storedBytes)}${saved === undefined ? '' : ` · saves ${saved} %`}`}
        </Typography>
      </Stack>
      <Box sx={{ position: 'relative', height: 22, borderRadius: 1, bgcolor: 'action.hover' }}>
        {scale > 0 &&
          LAYERS.map((layer, index) => (
            <Box
              key={layer.key}
              sx={{
                position: 'absolute',
                left: 0,
                // Each layer is drawn thinner than the one below, so all three stay visible
                // even when deduplication saves nothing and the bars are equally long.
                top: index * 4,
                bottom: index * 4,
                width: `${Math.max((repository[layer.key] / scale) * 100, repository[layer.key] > 0 ? 0.5 : 0)}%`,
                bgcolor: colors[index],
                borderRadius: 1,
                transition: 'width 300ms ease',
              }}
            />
          ))}
      </Box>
    </Box>
  );
}
