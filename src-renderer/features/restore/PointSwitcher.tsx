import Chip from '@mui/material/Chip';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { RestorePoint } from '../../../shared/domain/jobs';
import { formatPointTime, pointSummary } from './browse-time';

function osOf(point: RestorePoint): string | undefined {
  const os = point.guestOs?.name ?? point.guestOs?.family;
  return os === 'other' ? undefined : os;
}

/** The point being browsed, switchable: time, full or incremental, the guest OS it found. */
export function PointSwitcher(props: {
  points: RestorePoint[];
  pointId: string;
  onChange(pointId: string): void;
  label?: string;
  /** points that may not be chosen (the one being compared with) */
  exclude?: string;
}) {
  const { points, pointId, onChange, exclude } = props;
  return (
    <TextField
      select
      size="small"
      label={props.label ?? 'Restore point'}
      value={points.some((p) => p.id === pointId) ? pointId : ''}
      onChange={(e) => onChange(e.target.value)}
      sx={{ minWidth: 300, alignSelf: 'flex-start' }}
      slotProps={{
        select: {
          renderValue: (id) => {
            const point = points.find((p) => p.id === id);
            return point === undefined ? '' : pointSummary(point);
          },
        },
      }}
    >
      {points.map((point) => (
        <MenuItem key={point.id} value={point.id} disabled={point.id === exclude}>
          <ListItemText
            primary={
              <Stack direction="row" sx={{ alignItems: 'center', gap: 1 }}>
                {formatPointTime(point.time)}
                <Chip
                  size="small"
                  variant={point.type === 'full' ? 'filled' : 'outlined'}
                  color={point.type === 'full' ? 'primary' : 'default'}
                  label={point.type === 'full' ? 'Full' : 'Incremental'}
                />
              </Stack>
            }
            secondary={[osOf(point), point.consistency, `repository ${point.repository}`]
              .filter(Boolean)
              .join(' · ')}
          />
        </MenuItem>
      ))}
    </TextField>
  );
}
