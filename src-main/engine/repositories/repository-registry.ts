import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { VmPointSummary } from '../../../shared/contract';
import type { RepositoryInfo, RestorePoint } from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import { LocalDirectoryBackend } from '../repository/backends/local-directory';
import type { PointManifest } from '../repository/manifest';
import { Repository } from '../repository/repository';
import type { SecretBox } from '../secrets/secret-box';

interface Row {
  name: string;
  kind: string;
  location: string;
  repository_id: string;
  encrypted: number;
  passphrase_secret: string | null;
  created_at: string;
}

export const DEFAULT_REPOSITORY = 'default';

/**
 * The folder as typed, made canonical. A relative path would land under whatever directory the
 * engine happened to start in, so it is refused instead of resolved.
 */
function fullPath(location: string): string {
  const trimmed = location.trim();
  if (!isAbsolute(trimmed)) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Enter the repository folder as a full path, e.g. /srv/backups/repo ("${trimmed}" is relative).`,
      { field: 'location' },
    );
  }
  return resolve(trimmed);
}

/** What the catalog remembers of a restore point; the manifest in the repository is the truth. */
export function toRestorePoint(repository: string, m: PointManifest): RestorePoint {
  const meta = m.meta as { type?: 'full' | 'incremental'; jobId?: string; fallbackReason?: string };
  return {
    id: m.id,
    repository,
    vmUuid: m.vm.uuid,
    vmName: m.vm.name,
    time: m.startedAt,
    type: meta.type ?? (m.parent ? 'incremental' : 'full'),
    consistency: m.consistency,
    logicalBytes: m.disks.reduce((sum, d) => sum + d.sizeBytes, 0),
    storedBytes: m.stats.newStoredBytes,
    disks: m.disks.map((d) => ({ name: d.name, sizeBytes: d.sizeBytes, dataBytes: d.dataBytes })),
    ...(meta.jobId ? { jobId: meta.jobId } : {}),
    ...(meta.fallbackReason ? { fallbackReason: meta.fallbackReason } : {}),
  };
}

/**
 * The repositories this engine writes to. The passphrase is kept encrypted in the catalog so
 * scheduled backups run unattended; the repository itself stays self-describing.
 */
export class RepositoryRegistry {
  private readonly open = new Map<string, Promise<Repository>>();

  constructor(
    private readonly db: CatalogDb,
    private readonly secrets: SecretBox,
    /** The titles of the jobs running now (JobController.activeTitles). */
    private readonly activeJobs: () => string[] = () => [],
  ) {}

  async init(options: {
    name: string;
    location: string;
    encrypt: boolean;
    passphrase?: string;
    compressionLevel?: number;
  }): Promise<RepositoryInfo> {
    this.assertNameFree(options.name);
    const location = fullPath(options.location);
    if (existsSync(location) && readdirSync(location).length > 0) {
      throw new HyperkeepError(
        'ALREADY_EXISTS',
        existsSync(join(location, 'config'))
          ? `${location} already holds a repository: attach it instead of creating a new one.`
          : `${location} is not empty: choose an empty or new folder for a new repository.`,
        { field: 'location' },
      );
    }
    if (options.encrypt && !options.passphrase) {
      throw new HyperkeepError('INVALID_INPUT', 'An encrypted repository needs a passphrase.', {
        field: 'passphrase',
      });
    }
    const repository = await Repository.init(new LocalDirectoryBackend(location), {
      encrypt: options.encrypt,
      ...(options.passphrase ? { passphrase: options.passphrase } : {}),
      ...(options.compressionLevel === undefined
        ? {}
        : { compressionLevel: options.compressionLevel }),
    });
    this.remember(options.name, location, repository, options.passphrase);
    this.open.set(options.name.toLowerCase(), Promise.resolve(repository));
    return this.info(options.name);
  }

  /** Attaches an existing repository (e.g. after the console machine was lost) and rebuilds the point cache from it. */
  async attach(options: {
    name: string;
    location: string;
    passphrase?: string;
  }): Promise<RepositoryInfo> {
    const location = fullPath(options.location);
    const known = this.db.prepare('SELECT * FROM repositories WHERE name = ?').get(options.name) as
      Row | undefined;
    // Attaching the same repository again under its name replaces the stored passphrase (it was
    // changed from another console); any other name clash is refused.
    if (known && known.location !== location) this.assertNameFree(options.name);
    const repository = await Repository.open(
      new LocalDirectoryBackend(location),
      options.passphrase ? { passphrase: options.passphrase } : {},
    );
    if (known && known.repository_id !== repository.id) {
      await repository.close();
      this.assertNameFree(options.name);
    }
    if (known) this.storePassphrase(known.name, options.passphrase);
    else this.remember(options.name, location, repository, options.passphrase);
    this.open.set(options.name.toLowerCase(), Promise.resolve(repository));
    await this.refreshPoints(options.name);
    return this.info(options.name);
  }

  /**
   * Unregisters a repository from this home: its row and its cached points go, its folder is not
   * touched, so it can be attached again (here or on another console) with every point it holds.
   * Returns the ids of the points that are no longer listed here.
   */
  async remove(name: string): Promise<{ name: string; location: string; pointIds: string[] }> {
    const row = this.row(name);
    const targets = this.db
      .prepare(
        `SELECT b.name AS backupSet, s.name AS subclient FROM subclients s
         JOIN backup_sets b ON b.id = s.backup_set_id
         WHERE lower(json_extract(s.settings_json, '$.storage.repository')) = lower(?)
         ORDER BY b.name, s.position`,
      )
      .all(row.name) as { backupSet: string; subclient: string }[];
    if (targets.length > 0) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Repository "${row.name}" is the target of ${targets.map((t) => `subclient "${t.subclient}" of backup set "${t.backupSet}"`).join(', ')}: choose another repository for them first.`,
        { reason: 'IN_USE', subclients: targets },
      );
    }
    // Jobs do not record the repository they read, and a restore reads the one its point is in:
    // while any job runs, closing this repository could pull it from under that job.
    const running = this.activeJobs();
    if (running.length > 0) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Jobs are running (${running.map((title) => `"${title}"`).join(', ')}): remove repository "${row.name}" when they have finished.`,
        { reason: 'JOBS_RUNNING', jobs: running },
      );
    }
    const pointIds = (
      this.db
        .prepare('SELECT id FROM restore_points WHERE repository = ? COLLATE NOCASE')
        .all(row.name) as { id: string }[]
    ).map((p) => p.id);
    this.db
      .transaction(() => {
        this.db
          .prepare('DELETE FROM restore_points WHERE repository = ? COLLATE NOCASE')
          .run(row.name);
        this.db.prepare('DELETE FROM repositories WHERE name = ?').run(row.name);
      })
      .immediate();
    const key = row.name.toLowerCase();
    const open = this.open.get(key);
    this.open.delete(key);
    await open?.then((r) => r.close()).catch(() => undefined);
    return { name: row.name, location: row.location, pointIds };
  }

  /** Where a registered repository is and whether it is encrypted (NOT_FOUND otherwise). */
  describe(name: string): { name: string; location: string; encrypted: boolean } {
    const row = this.row(name);
    return { name: row.name, location: row.location, encrypted: row.encrypted === 1 };
  }

  /**
   * Replaces the passphrase this console keeps (encrypted) for a repository's unattended jobs;
   * none for an unencrypted one.
   */
  storePassphrase(name: string, passphrase: string | undefined): void {
    const row = this.row(name);
    this.db
      .prepare('UPDATE repositories SET passphrase_secret = ? WHERE name = ?')
      .run(passphrase ? this.secrets.encrypt(passphrase) : null, row.name);
  }

  list(): string[] {
    return (
      this.db.prepare('SELECT name FROM repositories ORDER BY name').all() as { name: string }[]
    ).map((r) => r.name);
  }

  /** Throws NOT_FOUND for a name no repository here has, before any work (or job) begins. */
  assertRegistered(name = DEFAULT_REPOSITORY): void {
    this.row(name);
  }

  /** The open repository by name; opened once per engine with the stored passphrase. */
  get(name = DEFAULT_REPOSITORY): Promise<Repository> {
    const key = name.toLowerCase();
    let repository = this.open.get(key);
    if (!repository) {
      const row = this.row(name);
      const passphrase = row.passphrase_secret
        ? this.secrets.decrypt(row.passphrase_secret)
        : undefined;
      repository = Repository.open(
        new LocalDirectoryBackend(row.location),
        passphrase ? { passphrase } : {},
      ).catch((err: unknown) => {
        // The passphrase stored at init/attach no longer opens it: changed from another console.
        if (err instanceof HyperkeepError && err.code === 'AUTH_FAILED') {
          throw new HyperkeepError(
            'AUTH_FAILED',
            `${err.message}: the passphrase this console stored for repository "${row.name}" no longer opens it (was it changed from another console?). Attach ${row.location} again as "${row.name}" with its current passphrase.`,
            { repository: row.name },
          );
        }
        throw err;
      });
      repository.catch(() => this.open.delete(key));
      this.open.set(key, repository);
    }
    return repository;
  }

  async info(name = DEFAULT_REPOSITORY): Promise<RepositoryInfo> {
    const row = this.row(name);
    const repository = await this.get(name);
    const stats = await repository.stats();
    return {
      name: row.name,
      location: row.location,
      repositoryId: row.repository_id,
      encrypted: row.encrypted === 1,
      compressionLevel: repository.config.compression.level,
      points: stats.points,
      provisionedBytes: stats.provisionedBytes,
      logicalBytes: stats.logicalBytes,
      uniqueBytes: stats.uniqueBytes,
      storedBytes: stats.storedBytes,
      dedupRatio: stats.dedupRatio,
      compressionRatio: stats.compressionRatio,
    };
  }

  /** Re-reads every manifest into the catalog's point cache (the repository is the truth). */
  async refreshPoints(name = DEFAULT_REPOSITORY): Promise<number> {
    const repository = await this.get(name);
    const manifests = await repository.listPoints();
    const holds = await repository.listHolds();
    const row = this.row(name);
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM restore_points WHERE repository = ?').run(row.name);
        for (const m of manifests) this.recordPoint(row.name, m);
        for (const [id, hold] of holds) this.setProtection(row.name, id, hold);
      })
      .immediate();
    return manifests.length;
  }

  /** Records a point's protection (or its end, with null) in the console's list of points. */
  setProtection(
    repository: string,
    id: string,
    hold: { reason: string; since: string } | null,
  ): RestorePoint {
    const { points, missing } = this.pointsById(repository, [id]);
    const point = points[0];
    if (!point || missing.length > 0)
      throw new HyperkeepError(
        'NOT_FOUND',
        `Repository "${repository}" has no restore point ${id}.`,
      );
    const { protection: _old, ...rest } = point;
    const updated: RestorePoint = hold ? { ...rest, protection: hold } : rest;
    this.db
      .prepare('UPDATE restore_points SET point_json = ? WHERE repository = ? AND id = ?')
      .run(JSON.stringify(updated), updated.repository, id);
    return updated;
  }

  recordPoint(repository: string, manifest: PointManifest): RestorePoint {
    const point = toRestorePoint(repository, manifest);
    this.db
      .prepare(
        'INSERT OR REPLACE INTO restore_points (id, repository, vm_uuid, vm_name, time, point_json) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(point.id, repository, point.vmUuid, point.vmName, point.time, JSON.stringify(point));
    return point;
  }

  forgetPoints(repository: string, ids: string[]): void {
    for (const id of ids)
      this.db
        .prepare('DELETE FROM restore_points WHERE repository = ? AND id = ?')
        .run(repository, id);
  }

  /**
   * The points of repository `name` with these ids, newest first, and the ids it has no point
   * for; the name as registered (the lookup ignores case).
   */
  pointsById(
    name: string,
    ids: readonly string[],
  ): { repository: string; points: RestorePoint[]; missing: string[] } {
    const repository = this.row(name).name;
    const get = this.db.prepare<[string, string], { point_json: string }>(
      'SELECT point_json FROM restore_points WHERE repository = ? AND id = ?',
    );
    const points: RestorePoint[] = [];
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const row = get.get(repository, id);
      if (row) points.push(JSON.parse(row.point_json) as RestorePoint);
      else missing.push(id);
    }
    points.sort((a, b) => b.time.localeCompare(a.time));
    return { repository, points, missing };
  }

  /** Points of one VM (by UUID or name), newest first. */
  points(vm?: string): RestorePoint[] {
    const rows = (
      vm
        ? this.db
            .prepare(
              'SELECT point_json FROM restore_points WHERE vm_uuid = ? OR vm_name = ? ORDER BY time DESC',
            )
            .all(vm, vm)
        : this.db.prepare('SELECT point_json FROM restore_points ORDER BY time DESC').all()
    ) as { point_json: string }[];
    return rows.map((r) => JSON.parse(r.point_json) as RestorePoint);
  }

  /** Per VM: how many points and the newest one's time — one indexed pass, for the overviews. */
  pointSummary(): VmPointSummary[] {
    const rows = this.db
      .prepare(
        `SELECT vm_uuid, MAX(time) AS newest, COUNT(*) AS points,
           (SELECT vm_name FROM restore_points n WHERE n.vm_uuid = p.vm_uuid ORDER BY time DESC LIMIT 1) AS vm_name
         FROM restore_points p GROUP BY vm_uuid`,
      )
      .all() as { vm_uuid: string; vm_name: string; newest: string; points: number }[];
    return rows.map((r) => ({
      vmUuid: r.vm_uuid,
      vmName: r.vm_name,
      points: r.points,
      newestTime: r.newest,
    }));
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(all.map(async (r) => (await r).close()));
  }

  private remember(
    name: string,
    location: string,
    repository: Repository,
    passphrase?: string,
  ): void {
    this.db
      .prepare(
        'INSERT INTO repositories (name, kind, location, repository_id, encrypted, passphrase_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        name,
        'local',
        location,
        repository.id,
        repository.encrypted ? 1 : 0,
        passphrase ? this.secrets.encrypt(passphrase) : null,
        new Date().toISOString(),
      );
  }

  private row(name: string): Row {
    const row = this.db.prepare('SELECT * FROM repositories WHERE name = ?').get(name) as
      Row | undefined;
    if (!row) {
      throw new HyperkeepError(
        'NOT_FOUND',
        name === DEFAULT_REPOSITORY
          ? 'No repository yet: create one first (in Storage, or with hyperkeep repo init).'
          : `No repository named "${name}".`,
      );
    }
    return row;
  }

  private assertNameFree(name: string): void {
    if (this.db.prepare('SELECT 1 FROM repositories WHERE name = ?').get(name))
      throw new HyperkeepError(
        'ALREADY_EXISTS',
        `A repository named "${name}" is already configured.`,
        { field: 'name' },
      );
  }
}
