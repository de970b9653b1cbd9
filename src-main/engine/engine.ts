import { join } from 'node:path';
import { BackupSetStore } from './backup-sets/backup-set-store';
import { CredentialStore } from './backup-sets/credential-store';
import { Discovery } from './backup-sets/discovery';
import { EngineEvents } from './engine-events';
import { openCatalog, schemaVersion, type CatalogDb } from './catalog/catalog';
import { FileCatalog } from './file-catalog/file-catalog';
import { acquireHomeLock, defaultRestoreFolder } from './home';
import { HypervisorStore } from './hypervisors/hypervisor-store';
import { Inventory } from './hypervisors/inventory';
import { JobController } from './jobs/job-controller';
import { Notifier } from './notifications/notifier';
import { VerifySchedules } from './repositories/verify-schedules';
import { RepositoryRegistry } from './repositories/repository-registry';
import { KeyFileSecretBox } from './secrets/key-file-secret-box';
import type { SecretBox } from './secrets/secret-box';
import { version } from './version';

export type EngineMode = 'electron' | 'serve' | 'cli';

export interface EngineOptions {
  home: string;
  mode: EngineMode;
  /** Electron passes its safeStorage box; serve and CLI use the home's key file. */
  secretBox?: SecretBox;
}

/** The headless engine: one per data home, shared by the Electron app, `serve` and the CLI. */
export class Engine {
  readonly events = new EngineEvents();
  readonly hypervisors: HypervisorStore;
  readonly inventory: Inventory;
  readonly backupSets: BackupSetStore;
  readonly discovery: Discovery;
  readonly credentials: CredentialStore;
  readonly repositories: RepositoryRegistry;
  readonly jobs: JobController;
  readonly fileCatalog: FileCatalog;
  readonly notifier: Notifier;
  readonly verifySchedules: VerifySchedules;

  private constructor(
    readonly home: string,
    readonly mode: EngineMode,
    readonly db: CatalogDb,
    private readonly releaseLock: () => void,
    secretBox: SecretBox,
  ) {
    this.hypervisors = new HypervisorStore(db, secretBox);
    this.inventory = new Inventory(this.hypervisors, () =>
      this.events.emit('hypervisors.changed', {}),
    );
    this.backupSets = new BackupSetStore(db);
    this.discovery = new Discovery(db, this.backupSets, this.hypervisors, this.inventory);
    this.credentials = new CredentialStore(db, secretBox);
    this.repositories = new RepositoryRegistry(db, secretBox, () => this.jobs.activeTitles());
    this.jobs = new JobController(db, this.events, home);
    this.fileCatalog = new FileCatalog(db);
    this.notifier = new Notifier(db, secretBox, this.events);
    this.verifySchedules = new VerifySchedules(db);
  }

  static open(options: EngineOptions): Engine {
    const release = acquireHomeLock(options.home, options.mode);
    try {
      const db = openCatalog(join(options.home, 'catalog.sqlite'));
      const secrets = options.secretBox ?? new KeyFileSecretBox(join(options.home, 'secret.key'));
      return new Engine(options.home, options.mode, db, release, secrets);
    } catch (err) {
      release();
      throw err;
    }
  }

  info() {
    return {
      version,
      home: this.home,
      restoreFolder: defaultRestoreFolder(),
      mode: this.mode,
      catalogSchemaVersion: schemaVersion(this.db),
      nodeVersion: process.versions.node,
    };
  }

  async close(): Promise<void> {
    await this.jobs.close();
    await this.notifier.close();
    await this.repositories.close();
    await this.inventory.close();
    this.db.close();
    this.releaseLock();
  }
}
