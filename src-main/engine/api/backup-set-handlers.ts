import type { Engine } from '../engine';
import { nextRuns } from '../backup-sets/schedule';
import { previewRetention } from '../backup-sets/retention-preview';
import { assertRecoveryTestHost } from '../restore/vm/recovery-test-job';
import type { HandlerGroup } from './handlers';

type BackupSetChannel =
  | 'backupSet.list'
  | 'backupSet.get'
  | 'backupSet.create'
  | 'backupSet.update'
  | 'backupSet.delete'
  | 'subclient.create'
  | 'subclient.update'
  | 'subclient.delete'
  | 'discovery.run'
  | 'discovery.assignments'
  | 'discovery.assign'
  | 'rules.preview'
  | 'schedule.preview'
  | 'retention.preview'
  | 'credential.list'
  | 'credential.add'
  | 'credential.update'
  | 'credential.remove';

export function backupSetHandlers(engine: Engine): HandlerGroup<BackupSetChannel> {
  const { backupSets, discovery, credentials } = engine;
  const changed = <T>(backupSetId: string | undefined, value: T): T => {
    engine.events.emit('backupSets.changed', backupSetId ? { backupSetId } : {});
    return value;
  };
  return {
    'backupSet.list': () => backupSets.list(),
    'backupSet.get': ({ id }) => backupSets.get(id),
    'backupSet.create': (input) => {
      const created = backupSets.create(input);
      return changed(created.id, created);
    },
    'backupSet.update': (change) => changed(change.id, backupSets.update(change)),
    'backupSet.delete': ({ id }) => {
      backupSets.delete(id);
      return changed(id, {});
    },
    'subclient.create': async (input) => {
      assertRecoveryTestHost(engine, input.settings);
      const created = backupSets.createSubclient(input);
      if (input.manualVms?.length)
        await discovery.assign(input.backupSetId, input.manualVms, created.id);
      return changed(created.backupSetId, created);
    },
    'subclient.update': (change) => {
      assertRecoveryTestHost(engine, change.settings);
      const updated = backupSets.updateSubclient(change);
      return changed(updated.backupSetId, updated);
    },
    'subclient.delete': ({ id }) => {
      const { backupSetId } = backupSets.subclient(id);
      backupSets.deleteSubclient(id);
      return changed(backupSetId, {});
    },
    'discovery.run': async ({ backupSetId }) =>
      changed(backupSetId, await discovery.run(backupSetId)),
    'discovery.assignments': ({ backupSetId }) => discovery.assignments(backupSetId),
    'discovery.assign': async ({ backupSetId, vmUuids, subclientId }) =>
      changed(backupSetId, await discovery.assign(backupSetId, vmUuids, subclientId)),
    'rules.preview': ({ backupSetId, content }) => discovery.preview(backupSetId, content),
    'schedule.preview': ({ expression, timezone, count }) =>
      nextRuns(expression, timezone, count ?? 5, 'expression'),
    'retention.preview': (request) => previewRetention(backupSets, engine.repositories, request),
    'credential.list': ({ backupSetId }) => credentials.list(backupSetId),
    'credential.add': (input) => changed(input.backupSetId, credentials.add(input)),
    'credential.update': (change) => {
      const updated = credentials.update(change);
      return changed(updated.backupSetId, updated);
    },
    'credential.remove': ({ id }) => {
      const { backupSetId } = credentials.remove(id);
      return changed(backupSetId, {});
    },
  };
}
