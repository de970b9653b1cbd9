import type { ConnectionStatus } from '../api/client';
import { hashOf, routeFromHash, type Route } from './routes';
import type { SliceCreator } from './types';

export type ThemeMode = 'light' | 'dark' | 'system';
export type Severity = 'success' | 'info' | 'warning' | 'error';

export interface Notification {
  id: number;
  severity: Severity;
  message: string;
  /** The page it was raised on: it reports on that page's work and goes when the user leaves. */
  route: Route;
}

/** The Add/Edit hypervisor dialog lives at the app level: the VM page's empty state opens it too. */
export type HypervisorDialogState = { mode: 'add' } | { mode: 'edit'; hypervisorId: string } | null;

export interface UiSlice {
  themeMode: ThemeMode;
  setThemeMode(mode: ThemeMode): void;
  route: Route;
  navigate(route: Route): void;
  /** Follows the address bar (back/forward, edited hash). */
  syncRouteFromLocation(): void;
  notifications: Notification[];
  notify(severity: Severity, message: string): void;
  dismissNotification(id: number): void;
  hypervisorDialog: HypervisorDialogState;
  openHypervisorDialog(state: NonNullable<HypervisorDialogState>): void;
  closeHypervisorDialog(): void;
  connection: ConnectionStatus;
  setConnection(status: ConnectionStatus): void;
}

const THEME_KEY = 'hyperkeep.themeMode';

function readThemeMode(): ThemeMode {
  try {
    const saved = globalThis.localStorage?.getItem(THEME_KEY);
    return saved === 'light' || saved === 'dark' || saved === 'system' ? saved : 'system';
  } catch {
    // Storage can be disabled (privacy settings); the console still works with the default.
    return 'system';
  }
}

function saveThemeMode(mode: ThemeMode): void {
  try {
    globalThis.localStorage?.setItem(THEME_KEY, mode);
  } catch {
    // Not persisted: the choice still applies to this session.
  }
}

function currentHash(): string {
  return typeof window === 'undefined' ? '' : window.location.hash;
}

let nextNotificationId = 1;

/**
 * The new route, and only the notifications of that page: "Subclient web saved." means nothing
 * on the Jobs page, and a toast left over from another page hides the one that matters here.
 */
function onRoute(
  state: Pick<UiSlice, 'route' | 'notifications'>,
  route: Route,
): Pick<UiSlice, 'route' | 'notifications'> {
  if (route === state.route) return { route, notifications: state.notifications };
  return { route, notifications: state.notifications.filter((n) => n.route === route) };
}

export const createUiSlice: SliceCreator<UiSlice> = (set) => ({
  themeMode: readThemeMode(),
  setThemeMode(mode) {
    saveThemeMode(mode);
    set({ themeMode: mode });
  },
  route: routeFromHash(currentHash()),
  navigate(route) {
    if (typeof window !== 'undefined' && window.location.hash !== hashOf(route)) {
      window.location.hash = hashOf(route);
    }
    set((state) => onRoute(state, route));
  },
  syncRouteFromLocation() {
    const route = routeFromHash(currentHash());
    set((state) => onRoute(state, route));
  },
  notifications: [],
  notify(severity, message) {
    const id = nextNotificationId++;
    set((state) => ({
      notifications: [...state.notifications, { id, severity, message, route: state.route }],
    }));
  },
  dismissNotification(id) {
    set((state) => ({ notifications: state.notifications.filter((n) => n.id !== id) }));
  },
  hypervisorDialog: null,
  openHypervisorDialog(state) {
    set({ hypervisorDialog: state });
  },
  closeHypervisorDialog() {
    set({ hypervisorDialog: null });
  },
  connection: { state: 'connecting', everConnected: false, failures: 0 },
  setConnection(status) {
    set({ connection: status });
  },
});
