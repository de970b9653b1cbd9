/** Pages of the console. Hash routes (#/vms) so a reload, a bookmark or Electron keep the page. */
export const ROUTES = [
  'dashboard',
  'hypervisors',
  'vms',
  'backup-sets',
  'jobs',
  'restore',
  'storage',
  'settings',
] as const;
export type Route = (typeof ROUTES)[number];

export const DEFAULT_ROUTE: Route = 'dashboard';

export function routeFromHash(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/, 1)[0] ?? '';
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : DEFAULT_ROUTE;
}

export function hashOf(route: Route): string {
  return `#/${route}`;
}
