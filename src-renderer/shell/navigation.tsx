import type { MouseEvent, ReactElement } from 'react';
import Drawer from '@mui/material/Drawer';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemIcon from '@mui/material/ListItemIcon';
import ListItemText from '@mui/material/ListItemText';
import ListSubheader from '@mui/material/ListSubheader';
import Toolbar from '@mui/material/Toolbar';
import DashboardIcon from '@mui/icons-material/Dashboard';
import DnsIcon from '@mui/icons-material/Dns';
import ComputerIcon from '@mui/icons-material/Computer';
import BackupIcon from '@mui/icons-material/Backup';
import WorkHistoryIcon from '@mui/icons-material/WorkHistory';
import RestoreIcon from '@mui/icons-material/Restore';
import StorageIcon from '@mui/icons-material/Storage';
import SettingsIcon from '@mui/icons-material/Settings';
import { useStore } from '../store';
import type { Route } from '../store/routes';
import { hashOf } from '../store/routes';

export const DRAWER_WIDTH = 232;

interface NavItem {
  route: Route;
  label: string;
  icon: ReactElement;
}

const SECTIONS: { title: string; items: NavItem[] }[] = [
  {
    title: 'Inventory',
    items: [
      { route: 'dashboard', label: 'Dashboard', icon: <DashboardIcon /> },
      { route: 'hypervisors', label: 'Hypervisors', icon: <DnsIcon /> },
      { route: 'vms', label: 'Virtual machines', icon: <ComputerIcon /> },
    ],
  },
  {
    title: 'Protection',
    items: [
      { route: 'backup-sets', label: 'Backup sets', icon: <BackupIcon /> },
      { route: 'jobs', label: 'Jobs', icon: <WorkHistoryIcon /> },
      { route: 'restore', label: 'Restore', icon: <RestoreIcon /> },
      { route: 'storage', label: 'Storage', icon: <StorageIcon /> },
    ],
  },
  { title: 'Console', items: [{ route: 'settings', label: 'Settings', icon: <SettingsIcon /> }] },
];

export const ROUTE_LABELS: Record<Route, string> = Object.fromEntries(
  SECTIONS.flatMap((section) => section.items.map((item) => [item.route, item.label])),
) as Record<Route, string>;

/** The permanent left navigation. Links are real anchors (#/route): middle-click and Tab work. */
export function NavigationDrawer() {
  const route = useStore((s) => s.route);
  const navigate = useStore((s) => s.navigate);
  return (
    <Drawer
      variant="permanent"
      sx={{
        width: DRAWER_WIDTH,
        flexShrink: 0,
        // The drawer's own box stretches with the page (the shell is a flex row), so its background
        // and border reach the bottom of long pages; the paper inside stays in view while the page
        // scrolls (sticky, one viewport tall) instead of being fixed at the first viewport.
        alignSelf: 'stretch',
        bgcolor: 'background.paper',
        borderRight: 1,
        borderColor: 'divider',
        '& .MuiDrawer-paper': {
          width: DRAWER_WIDTH,
          boxSizing: 'border-box',
          position: 'sticky',
          top: 0,
          height: '100vh',
          borderRight: 0,
        },
      }}
    >
      <Toolbar />
      <nav aria-label="Main">
        {SECTIONS.map((section) => (
          <List
            key={section.title}
            dense
            subheader={
              <ListSubheader component="div" sx={{ lineHeight: '32px', bgcolor: 'transparent' }}>
                {section.title}
              </ListSubheader>
            }
          >
            {section.items.map((item) => (
              <ListItemButton
                key={item.route}
                component="a"
                href={hashOf(item.route)}
                selected={route === item.route}
                aria-current={route === item.route ? 'page' : undefined}
                onClick={(event: MouseEvent) => {
                  if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0)
                    return;
                  event.preventDefault();
                  navigate(item.route);
                }}
                sx={{ mx: 1, borderRadius: 1 }}
              >
                <ListItemIcon sx={{ minWidth: 36 }}>{item.icon}</ListItemIcon>
                <ListItemText primary={item.label} />
              </ListItemButton>
            ))}
          </List>
        ))}
      </nav>
    </Drawer>
  );
}
