import { create } from 'zustand';
import { describe, expect, it } from 'vitest';
import type { StoreState } from '../../../../src-renderer/store/types';
import { createUiSlice } from '../../../../src-renderer/store/ui-slice';

// The UI slice alone: routes and notifications involve no other slice.
function uiStore() {
  return create<StoreState>()((...args) => createUiSlice(...args) as unknown as StoreState);
}

describe('notifications and navigation', () => {
  it('drops the toasts of the page the user leaves', () => {
    const store = uiStore();
    store.getState().navigate('backup-sets');
    store.getState().notify('success', 'Subclient web saved.');
    store.getState().notify('error', 'Could not save subclient db: name taken');
    expect(store.getState().notifications).toHaveLength(2);

    store.getState().navigate('jobs');
    expect(store.getState().route).toBe('jobs');
    expect(store.getState().notifications).toEqual([]);
  });

  it('keeps the toasts of the page the user arrives on and of the page that stays', () => {
    const store = uiStore();
    store.getState().navigate('vms');
    store.getState().notify('info', 'Backup of lab-web-01 started.');
    store.getState().navigate('vms'); // a click on the page already shown
    expect(store.getState().notifications.map((n) => n.message)).toEqual([
      'Backup of lab-web-01 started.',
    ]);

    store.getState().navigate('jobs');
    store.getState().notify('info', 'Cancelling “Verify default”…');
    expect(store.getState().notifications.map((n) => n.message)).toEqual([
      'Cancelling “Verify default”…',
    ]);
  });
});
