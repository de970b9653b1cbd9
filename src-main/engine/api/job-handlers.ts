import type { Engine } from '../engine';
import { rebuildFileCatalog } from '../file-catalog/catalog-import';
import { backupSingleVm, backupSubclient } from '../jobs/backup-job';
import { startDeletePointsJob } from '../jobs/delete-points-job';
import { startPruneJob, startVerifyJob } from '../jobs/maintenance-jobs';
import { retryFailedVms } from '../jobs/retry-backup-job';
import { changeRepositoryPassphrase } from '../repositories/change-passphrase';
import { protectPoint, unprotectPoint } from '../repositories/point-protection';
import type { HandlerGroup } from './handlers';

type JobChannel =
  | 'repo.init'
  | 'repo.attach'
  | 'repo.changePassphrase'
  | 'repo.list'
  | 'repo.info'
  | 'repo.remove'
  | 'repo.verify'
  | 'repo.verifySchedule'
  | 'repo.setVerifySchedule'
  | 'repo.prune'
  | 'points.delete'
  | 'points.protect'
  | 'points.unprotect'
  | 'backup.start'
  | 'job.list'
  | 'job.get'
  | 'job.cancel'
  | 'job.retry'
  | 'job.log'
  | 'points.list'
  | 'points.summary';

export function jobHandlers(engine: Engine): HandlerGroup<JobChannel> {
  const { repositories, jobs } = engine;
  return {
    'repo.init': async (input) => {
      const info = await repositories.init(input);
      engine.events.emit('repositories.changed', {});
      return info;
    },
    'repo.attach': async (input) => {
      const info = await repositories.attach(input);
      await rebuildFileCatalog(engine.fileCatalog, await repositories.get(input.name), input.name);
      engine.events.emit('repositories.changed', {});
      engine.events.emit('points.changed', {});
      return info;
    },
    'repo.changePassphrase': async (change) => {
      await changeRepositoryPassphrase(repositories, change);
      return repositories.info(change.name);
    },
    'repo.list': () => Promise.all(repositories.list().map((name) => repositories.info(name))),
    'repo.info': ({ name }) => repositories.info(name),
    'repo.remove': async ({ name }) => {
      const removed = await repositories.remove(name);
      // The file catalog holds the points' listings: they would be search hits nothing can restore.
      engine.fileCatalog.forgetPoints(removed.name, removed.pointIds);
      engine.events.emit('repositories.changed', {});
      engine.events.emit('points.changed', {});
      return { name: removed.name, location: removed.location, points: removed.pointIds.length };
    },
    'repo.verify': ({ name, readData }) => startVerifyJob(engine, name, readData),
    'repo.verifySchedule': ({ name }) => engine.verifySchedules.get(name),
    'repo.setVerifySchedule': ({ name, schedule }) => {
      const saved = engine.verifySchedules.set(name, schedule);
      engine.events.emit('repositories.changed', {});
      return saved;
    },
    'repo.prune': ({ name, dryRun }) => startPruneJob(engine, name, dryRun),
    'points.delete': (request) => startDeletePointsJob(engine, request),
    'points.protect': (request) => protectPoint(engine, request),
    'points.unprotect': (request) => unprotectPoint(engine, request),
    'backup.start': (request) =>
      'vm' in request
        ? backupSingleVm(engine, request.vm, request.full)
        : backupSubclient(engine, request.backupSetId, request.subclientId, request.full),
    'job.list': ({ limit, kind, since, until }) => jobs.list(limit, { kind, since, until }),
    'job.get': ({ id }) => jobs.get(id),
    'job.cancel': ({ id }) => jobs.cancel(id),
    'job.retry': ({ id }) => retryFailedVms(engine, id),
    'job.log': ({ id }) => ({ text: jobs.log(id) }),
    'points.list': ({ vm }) => {
      const points = repositories.points(vm);
      const guests = engine.fileCatalog.guestOsByPoint(points.map((p) => p.id));
      return points.map((p) => {
        const guestOs = guests.get(p.id);
        return guestOs ? { ...p, guestOs } : p;
      });
    },
    'points.summary': () => repositories.pointSummary(),
  };
}
