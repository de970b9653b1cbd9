import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import CloseIcon from '@mui/icons-material/Close';
import { describeError } from '../../api/api-error';
import { formatBytes } from '../../lib/format';
import { formatPointTime } from './browse-time';
import { baseName } from './restore-paths';
import { useEngineQuery } from './use-engine-query';

/** The versions of one file across the VM's points, newest first, each openable in the browse. */
export function VersionsPanel(props: {
  vmUuid: string;
  path: string;
  currentPointId: string;
  onOpenPoint(pointId: string): void;
  onClose(): void;
}) {
  const { vmUuid, path, currentPointId, onOpenPoint, onClose } = props;
  const query = useEngineQuery('files.versions', { vm: vmUuid, path });
  const versions = query.data ?? [];
  return (
    <Paper
      variant="outlined"
      component="section"
      aria-label={`Versions of ${baseName(path)}`}
      sx={{ width: 320, flexShrink: 0, display: 'flex', flexDirection: 'column', minHeight: 0 }}
    >
      <Stack direction="row" sx={{ alignItems: 'center', px: 1.5, pt: 1 }}>
        <Typography variant="subtitle2" component="h3" sx={{ flex: 1, minWidth: 0 }} noWrap>
          Versions of {baseName(path)}
        </Typography>
        <IconButton size="small" aria-label="Close versions" onClick={onClose}>
          <CloseIcon fontSize="small" />
        </IconButton>
      </Stack>
      <Typography variant="caption" color="text.secondary" sx={{ px: 1.5 }} noWrap title={path}>
        {path}
      </Typography>
      {query.loading && <LinearProgress aria-label="Loading versions" />}
      {query.error !== null && (
        <Alert severity="error" sx={{ m: 1 }}>
          {describeError(query.error)}
        </Alert>
      )}
      {query.data !== undefined && versions.length === 0 && (
        <Typography variant="body2" color="text.secondary" sx={{ p: 1.5 }}>
          No restore point holds this path.
        </Typography>
      )}
      <List dense sx={{ overflow: 'auto', flex: 1 }}>
        {versions.map((version) => {
          const current = version.pointId === currentPointId;
          return (
            <ListItem
              key={version.pointId}
              divider
              secondaryAction={
                current ? (
                  <Chip size="small" label="Shown" />
                ) : (
                  <Button size="small" onClick={() => onOpenPoint(version.pointId)}>
                    Open
                  </Button>
                )
              }
            >
              <ListItemText
                primary={
                  <Stack direction="row" sx={{ gap: 1, alignItems: 'center' }}>
                    {formatPointTime(version.pointTime)}
                    {version.changed && (
                      <Chip size="small" color="info" variant="outlined" label="Changed" />
                    )}
                    {version.first && (
                      <Chip size="small" variant="outlined" label="First version" />
                    )}
                  </Stack>
                }
                secondary={`${formatBytes(version.entry.size)}${version.entry.mtime ? ` · modified ${formatPointTime(version.entry.mtime)}` : ''}`}
              />
            </ListItem>
          );
        })}
      </List>
    </Paper>
  );
}
