import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Toolbar from '@mui/material/Toolbar';
import { useStore } from './store';
import { connectStoreToEngine } from './store';
import type { Route } from './store/routes';
import { ConnectionBanner } from './shell/ConnectionBanner';
import { NavigationDrawer } from './shell/navigation';
import { Notifications } from './shell/Notifications';
import { PageErrorBoundary } from './shell/PageErrorBoundary';
import { MAIN_CONTENT_ID, SkipToContent } from './shell/SkipToContent';
import { TopBar } from './shell/TopBar';
import { DashboardPage } from './features/dashboard/DashboardPage';
import { HypervisorsPage } from './features/hypervisors/HypervisorsPage';
import { HypervisorDialog } from './features/hypervisors/HypervisorDialog';
import { SettingsPage } from './features/settings/SettingsPage';
import { StoragePage } from './features/storage/StoragePage';

// The data grid is most of the bundle: load it with the first visit to the inventory.
const VmsPage = lazy(() =>
  import('./features/vms/VmsPage').then((module) => ({ default: module.VmsPage })),
);
const JobsPage = lazy(() =>
  import('./features/jobs/JobsPage').then((module) => ({ default: module.JobsPage })),
);
const RestorePage = lazy(() =>
  import('./features/restore/RestorePage').then((module) => ({ default: module.RestorePage })),
);
const BackupSetsPage = lazy(() =>
  import('./features/backup-sets/BackupSetsPage').then((module) => ({
    default: module.BackupSetsPage,
  })),
);

function pageFor(route: Route): ReactNode {
  switch (route) {
    case 'dashboard':
      return <DashboardPage />;
    case 'hypervisors':
      return <HypervisorsPage />;
    case 'vms':
      return <VmsPage />;
    case 'settings':
      return <SettingsPage />;
    case 'backup-sets':
      return <BackupSetsPage />;
    case 'jobs':
      return <JobsPage />;
    case 'storage':
      return <StoragePage />;
    case 'restore':
      return <RestorePage />;
  }
}

/** The console's shell: top bar, navigation, the current page, and app-wide dialogs. */
export function App({ effectiveMode }: { effectiveMode: 'light' | 'dark' }) {
  const route = useStore((s) => s.route);

  useEffect(() => {
    const onHashChange = () => useStore.getState().syncRouteFromLocation();
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  useEffect(() => {
    const state = useStore.getState();
    void state.loadAppInfo();
    void state.loadHypervisors();
    void state.refreshVms();
    return connectStoreToEngine();
  }, []);

  return (
    <Box sx={{ display: 'flex', minHeight: '100vh' }}>
      <SkipToContent />
      <TopBar effectiveMode={effectiveMode} />
      <NavigationDrawer />
      <Box
        component="main"
        id={MAIN_CONTENT_ID}
        tabIndex={-1}
        sx={{
          flexGrow: 1,
          minWidth: 0,
          display: 'flex',
          flexDirection: 'column',
          '&:focus': { outline: 'none' },
        }}
      >
        <Toolbar />
        <ConnectionBanner />
        <Box sx={{ p: 3, flexGrow: 1, minWidth: 0 }}>
          <PageErrorBoundary resetKey={route}>
            <Suspense fallback={<LinearProgress aria-label="Loading the page" />}>
              {pageFor(route)}
            </Suspense>
          </PageErrorBoundary>
        </Box>
      </Box>
      <HypervisorDialog />
      <Notifications />
    </Box>
  );
}
