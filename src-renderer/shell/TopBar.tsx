import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import IconButton from '@mui/material/IconButton';
import Toolbar from '@mui/material/Toolbar';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import DarkModeIcon from '@mui/icons-material/DarkMode';
import LightModeIcon from '@mui/icons-material/LightMode';
import ShieldIcon from '@mui/icons-material/Shield';
import { useStore } from '../store';

/** Product name and the light/dark switch; the full three-way choice is in Settings. */
export function TopBar({ effectiveMode }: { effectiveMode: 'light' | 'dark' }) {
  const setThemeMode = useStore((s) => s.setThemeMode);
  const next = effectiveMode === 'dark' ? 'light' : 'dark';
  const label = `Switch to ${next} theme`;
  return (
    <AppBar position="fixed" color="primary" sx={{ zIndex: (theme) => theme.zIndex.drawer + 1 }}>
      <Toolbar>
        <ShieldIcon sx={{ mr: 1.5 }} aria-hidden />
        <Typography variant="h6" component="div" sx={{ fontWeight: 700, letterSpacing: 0.3 }}>
          Hyperkeep
        </Typography>
        <Typography
          variant="body2"
          component="div"
          sx={{ ml: 2, opacity: 0.8, display: { xs: 'none', md: 'block' } }}
        >
          Agentless backup and restore of virtual machines
        </Typography>
        <Box sx={{ flexGrow: 1 }} />
        <Tooltip title={label}>
          <IconButton color="inherit" aria-label={label} onClick={() => setThemeMode(next)}>
            {effectiveMode === 'dark' ? <LightModeIcon /> : <DarkModeIcon />}
          </IconButton>
        </Tooltip>
      </Toolbar>
    </AppBar>
  );
}
