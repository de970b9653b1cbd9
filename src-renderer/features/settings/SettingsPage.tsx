import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableRow from '@mui/material/TableRow';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import DarkModeIcon from '@mui/icons-material/DarkMode';
import LightModeIcon from '@mui/icons-material/LightMode';
import SettingsBrightnessIcon from '@mui/icons-material/SettingsBrightness';
import type { AppInfo } from '../../../shared/contract';
import { describeError } from '../../api/api-error';
import { MONO_FONT_STACK } from '../../theme/theme';
import { PageHeader } from '../../shell/PageHeader';
import { useStore } from '../../store';
import type { ThemeMode } from '../../store/ui-slice';
import { NotificationsCard } from './NotificationsCard';

const MODE_LABELS: Record<AppInfo['mode'], string> = {
  electron: 'Desktop application (engine inside this window)',
  serve: 'Server (hyperkeep serve, console in a browser)',
  cli: 'Command line',
};

export function SettingsPage() {
  return (
    <>
      <PageHeader
        title="Settings"
        subtitle="About this engine, who hears about its jobs, and how the console looks."
      />
      <Stack spacing={2} sx={{ maxWidth: 820 }}>
        <AboutCard />
        <NotificationsCard />
        <AppearanceCard />
      </Stack>
    </>
  );
}

const PATH_ROWS = new Set(['Data home', 'Restore folder']);

function AboutCard() {
  const info = useStore((s) => s.appInfo);
  const status = useStore((s) => s.appInfoStatus);
  const error = useStore((s) => s.appInfoError);
  const load = useStore((s) => s.loadAppInfo);
  const rows: [string, string | undefined][] = [
    ['Version', info?.version],
    ['Data home', info?.home],
    // Set by HYPERKEEP_RESTORE_DIR where the engine starts; the restore dialogs suggest it.
    ['Restore folder', info?.restoreFolder],
    ['Mode', info === null ? undefined : MODE_LABELS[info.mode]],
    ['Catalog schema', info === null ? undefined : `version ${info.catalogSchemaVersion}`],
    ['Engine runtime', info === null ? undefined : `Node.js ${info.nodeVersion}`],
  ];
  return (
    <Card>
      <CardContent>
        <Typography variant="subtitle1" component="h2" sx={{ fontWeight: 600 }}>
          About Hyperkeep
        </Typography>
        {error !== null && (
          <Alert
            severity="error"
            sx={{ my: 2 }}
            action={
              <Button color="inherit" onClick={() => void load()}>
                Retry
              </Button>
            }
          >
            {describeError(error)}
          </Alert>
        )}
        <Table size="small" aria-label="About Hyperkeep">
          <TableBody>
            {rows.map(([label, value]) => (
              <TableRow key={label}>
                <TableCell component="th" scope="row" sx={{ width: 200, color: 'text.secondary' }}>
                  {label}
                </TableCell>
                <TableCell sx={PATH_ROWS.has(label) ? { fontFamily: MONO_FONT_STACK } : undefined}>
                  {value ?? (status === 'error' ? '—' : <Skeleton width="60%" />)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
  );
}

function AppearanceCard() {
  const mode = useStore((s) => s.themeMode);
  const setMode = useStore((s) => s.setThemeMode);
  return (
    <Card>
      <CardContent>
        <Typography variant="subtitle1" component="h2" id="theme-label" sx={{ fontWeight: 600 }}>
          Theme
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          “System” follows your operating system’s light or dark preference. Saved in this browser.
        </Typography>
        <ToggleButtonGroup
          exclusive
          value={mode}
          onChange={(_event, value: ThemeMode | null) => {
            if (value !== null) setMode(value);
          }}
          aria-labelledby="theme-label"
        >
          <ToggleButton value="light">
            <LightModeIcon sx={{ mr: 1 }} /> Light
          </ToggleButton>
          <ToggleButton value="dark">
            <DarkModeIcon sx={{ mr: 1 }} /> Dark
          </ToggleButton>
          <ToggleButton value="system">
            <SettingsBrightnessIcon sx={{ mr: 1 }} /> System
          </ToggleButton>
        </ToggleButtonGroup>
      </CardContent>
    </Card>
  );
}
