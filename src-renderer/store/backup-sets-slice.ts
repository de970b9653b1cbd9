import type { RequestOf, RetentionPreview, RulePreview } from '../../shared/contract';
import type {
  BackupSet,
  BackupSetInput,
  BackupSetUpdate,
  DiscoveryResult,
  Subclient,
  SubclientInput,
  SubclientUpdate,
  VmCredential,
} from '../../shared/domain/backup-set';
import { invoke } from '../api/client';
import { toApiError, type ApiError } from '../api/api-error';
import type { LoadStatus, SliceCreator } from './types';
import { protectionByVm, type VmProtection } from './vm-protection';

/** How many VMs of a set are protected, left out, or gone, as of its last discovery. */
export interface AssignmentSummary {
  total: number;
  protected: number;
  unprotected: number;
  vanished: number;
  /** ISO time of the last discovery; '' when the set was never discovered. */
  discoveredAt: string;
}

/** The Backup set properties dialog: creating a new set, or editing one (with a starting tab). */
export type BackupSetDialogState =
  { mode: 'create' } | { mode: 'edit'; backupSetId: string; tab?: BackupSetTab } | null;
export type BackupSetTab = 'general' | 'vms' | 'subclients' | 'rules' | 'credentials';

/** What the hypervisors answered during the last Discover of the open set (lost on reload). */
export interface DiscoveryIssues {
  backupSetId: string;
  errors: DiscoveryResult['errors'];
  warnings: string[];
}

export interface BackupSetsSlice {
  backupSets: BackupSet[];
  backupSetsStatus: LoadStatus;
  backupSetsError: ApiError | null;
  assignmentSummaries: Record<string, AssignmentSummary>;
  /** Per VM uuid, the subclient protecting it (none: in no set's subclient), as last loaded. */
  vmProtection: Record<string, VmProtection>;
  loadBackupSets(): Promise<void>;

  backupSetDialog: BackupSetDialogState;
  openBackupSetDialog(state: NonNullable<BackupSetDialogState>): void;
  closeBackupSetDialog(): void;

  /** Assignments of the set open in the dialog (FIG. 5B table). */
  assignments: DiscoveryResult | null;
  assignmentsStatus: LoadStatus;
  assignmentsError: ApiError | null;
  discovering: boolean;
  discoveryIssues: DiscoveryIssues | null;
  loadAssignments(): Promise<void>;
  /** Asks the set's hypervisors now (FIG. 3); throws ApiError. */
  runDiscovery(backupSetId: string): Promise<DiscoveryResult>;
  /** "Change all selected virtual machines to sub-client"; null hands them back to the rules. */
  assignVms(backupSetId: string, vmUuids: string[], subclientId: string | null): Promise<void>;
  /** Reacts to the engine's backupSets.changed event. */
  backupSetsChanged(backupSetId: string | undefined): void;

  /** The mutations throw ApiError so dialogs can show field errors next to the fields. */
  createBackupSet(input: BackupSetInput): Promise<BackupSet>;
  updateBackupSet(update: BackupSetUpdate): Promise<BackupSet>;
  deleteBackupSet(id: string): Promise<void>;
  createSubclient(input: SubclientInput): Promise<Subclient>;
  updateSubclient(update: SubclientUpdate): Promise<Subclient>;
  deleteSubclient(id: string): Promise<void>;

  previewRules(request: RequestOf<'rules.preview'>): Promise<RulePreview>;
  previewSchedule(request: RequestOf<'schedule.preview'>): Promise<string[]>;
  previewRetention(request: RequestOf<'retention.preview'>): Promise<RetentionPreview>;
  listCredentials(backupSetId: string): Promise<VmCredential[]>;
  addCredential(input: RequestOf<'credential.add'>): Promise<VmCredential>;
  updateCredential(update: RequestOf<'credential.update'>): Promise<VmCredential>;
  removeCredential(id: string): Promise<void>;
}

export function summarizeAssignments(result: DiscoveryResult): AssignmentSummary {
  let protectedCount = 0;
  let unprotected = 0;
  let vanished = 0;
  for (const a of result.assignments) {
    if (a.status === 'vanished') vanished += 1;
    else if (a.subclientId === null) unprotected += 1;
    else protectedCount += 1;
  }
  return {
    total: result.assignments.length,
    protected: protectedCount,
    unprotected,
    vanished,
    discoveredAt: result.discoveredAt,
  };
}

/**
 * The list with a set the engine just returned, so an open dialog shows the saved state at once
 * (the reload that follows the change event brings the rest).
 */
function withSet(sets: BackupSet[], changed: BackupSet): BackupSet[] {
  return [...sets.filter((s) => s.id !== changed.id), changed].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
}

function withSubclient(sets: BackupSet[], changed: Subclient): BackupSet[] {
  return sets.map((s) =>
    s.id !== changed.backupSetId
      ? s
      : { ...s, subclients: [...s.subclients.filter((c) => c.id !== changed.id), changed] },
  );
}

/** The set whose assignments the store follows: the one open in the properties dialog. */
function openSetId(dialog: BackupSetDialogState): string | null {
  return dialog?.mode === 'edit' ? dialog.backupSetId : null;
}

// Only the latest load may write: an older, slower answer must not overwrite a newer one.
let listSequence = 0;
let assignmentSequence = 0;

export const createBackupSetsSlice: SliceCreator<BackupSetsSlice> = (set, get) => ({
  backupSets: [],
  backupSetsStatus: 'idle',
  backupSetsError: null,
  assignmentSummaries: {},
  vmProtection: {},

  async loadBackupSets() {
    const sequence = ++listSequence;
    set({ backupSetsStatus: 'loading' });
    try {
      const backupSets = await invoke('backupSet.list', {});
      // A set deleted between the two calls must not fail the whole list.
      const results = (
        await Promise.all(
          backupSets.map((s) =>
            invoke('discovery.assignments', { backupSetId: s.id }).catch(() => null),
          ),
        )
      ).filter((result) => result !== null);
      if (sequence !== listSequence) return;
      set({
        backupSets,
        assignmentSummaries: Object.fromEntries(
          results.map((result) => [result.backupSetId, summarizeAssignments(result)]),
        ),
        vmProtection: protectionByVm(backupSets, results),
        backupSetsStatus: 'ready',
        backupSetsError: null,
      });
    } catch (err) {
      if (sequence !== listSequence) return;
      set({ backupSetsStatus: 'error', backupSetsError: toApiError(err) });
    }
  },

  backupSetDialog: null,
  openBackupSetDialog(state) {
    const previous = openSetId(get().backupSetDialog);
    const next = openSetId(state);
    set({ backupSetDialog: state });
    if (next !== previous) {
      set({ assignments: null, assignmentsStatus: 'idle', assignmentsError: null });
      if (next !== null) void get().loadAssignments();
    }
  },
  closeBackupSetDialog() {
    set({
      backupSetDialog: null,
      assignments: null,
      assignmentsStatus: 'idle',
      assignmentsError: null,
      discoveryIssues: null,
    });
  },

  assignments: null,
  assignmentsStatus: 'idle',
  assignmentsError: null,
  discovering: false,
  discoveryIssues: null,

  async loadAssignments() {
    const backupSetId = openSetId(get().backupSetDialog);
    if (backupSetId === null) return;
    const sequence = ++assignmentSequence;
    set({ assignmentsStatus: 'loading' });
    try {
      const assignments = await invoke('discovery.assignments', { backupSetId });
      if (sequence !== assignmentSequence) return;
      set({ assignments, assignmentsStatus: 'ready', assignmentsError: null });
    } catch (err) {
      if (sequence !== assignmentSequence) return;
      set({ assignmentsStatus: 'error', assignmentsError: toApiError(err) });
    }
  },

  async runDiscovery(backupSetId) {
    set({ discovering: true });
    try {
      const result = await invoke('discovery.run', { backupSetId });
      // Newer than any load still in flight: make those stale.
      assignmentSequence += 1;
      set({
        assignments: result,
        assignmentsStatus: 'ready',
        assignmentsError: null,
        discoveryIssues: { backupSetId, errors: result.errors, warnings: result.warnings },
      });
      const summary = summarizeAssignments(result);
      set((state) => ({
        assignmentSummaries: { ...state.assignmentSummaries, [backupSetId]: summary },
      }));
      return result;
    } finally {
      set({ discovering: false });
    }
  },

  async assignVms(backupSetId, vmUuids, subclientId) {
    const result = await invoke('discovery.assign', { backupSetId, vmUuids, subclientId });
    assignmentSequence += 1;
    set({ assignments: result, assignmentsStatus: 'ready', assignmentsError: null });
    const target =
      subclientId === null
        ? 'back to the rules'
        : `to subclient ${
            get()
              .backupSets.find((s) => s.id === backupSetId)
              ?.subclients.find((s) => s.id === subclientId)?.name ?? ''
          }`;
    get().notify(
      'success',
      `${vmUuids.length === 1 ? '1 VM' : `${vmUuids.length} VMs`} moved ${target}.`,
    );
  },

  backupSetsChanged(backupSetId) {
    void get().loadBackupSets();
    const open = openSetId(get().backupSetDialog);
    if (open !== null && (backupSetId === undefined || backupSetId === open)) {
      void get().loadAssignments();
    }
  },

  async createBackupSet(input) {
    const created = await invoke('backupSet.create', input);
    set((state) => ({ backupSets: withSet(state.backupSets, created) }));
    get().notify('success', `Backup set ${created.name} created.`);
    void get().loadBackupSets();
    return created;
  },
  async updateBackupSet(update) {
    const updated = await invoke('backupSet.update', update);
    set((state) => ({ backupSets: withSet(state.backupSets, updated) }));
    void get().loadBackupSets();
    return updated;
  },
  async deleteBackupSet(id) {
    const name = get().backupSets.find((s) => s.id === id)?.name ?? 'The backup set';
    await invoke('backupSet.delete', { id });
    if (openSetId(get().backupSetDialog) === id) get().closeBackupSetDialog();
    get().notify('success', `${name} deleted.`);
    void get().loadBackupSets();
  },
  async createSubclient(input) {
    const created = await invoke('subclient.create', input);
    set((state) => ({ backupSets: withSubclient(state.backupSets, created) }));
    get().notify('success', `Subclient ${created.name} created.`);
    get().backupSetsChanged(created.backupSetId);
    return created;
  },
  async updateSubclient(update) {
    const updated = await invoke('subclient.update', update);
    set((state) => ({ backupSets: withSubclient(state.backupSets, updated) }));
    get().backupSetsChanged(updated.backupSetId);
    return updated;
  },
  async deleteSubclient(id) {
    await invoke('subclient.delete', { id });
    void get().loadBackupSets();
    void get().loadAssignments();
  },

  previewRules(request) {
    return invoke('rules.preview', request);
  },
  previewSchedule(request) {
    return invoke('schedule.preview', request);
  },
  previewRetention(request) {
    return invoke('retention.preview', request);
  },
  listCredentials(backupSetId) {
    return invoke('credential.list', { backupSetId });
  },
  addCredential(input) {
    return invoke('credential.add', input);
  },
  updateCredential(update) {
    return invoke('credential.update', update);
  },
  async removeCredential(id) {
    await invoke('credential.remove', { id });
  },
});
