import type { Permissions } from '../session/session.ts';

export interface NavigationItem {
  to: '/' | '/builds' | '/workers' | '/keys' | '/webhooks' | '/submit';
  label: string;
  /** Shown only to keys with this permission (the page would refuse the others). */
  requires?: keyof Permissions;
}

/** The main navigation, in order. */
export const navigationItems: NavigationItem[] = [
  { to: '/', label: 'Dashboard' },
  { to: '/builds', label: 'Builds' },
  { to: '/workers', label: 'Workers' },
  { to: '/keys', label: 'API keys', requires: 'canReadKeys' },
  { to: '/webhooks', label: 'Webhooks', requires: 'canAdmin' },
  { to: '/submit', label: 'Submit a build', requires: 'canAct' },
];

/** Whether `pathname` is within the item's section (`/builds/…` is in Builds; `/` only itself). */
export function isInSection(item: NavigationItem, pathname: string): boolean {
  return item.to === '/' ? pathname === '/' : pathname === item.to || pathname.startsWith(`${item.to}/`);
}
