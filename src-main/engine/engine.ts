import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { EventName, EventPayload } from '../../shared/contract';
import { BackupSetStore } from './backup-sets/backup-set-store';
import { CredentialStore } from './backup-sets/credential-store';
import { Discovery } from './backup-sets/discovery';
import { openCatalog, schemaVersion, type CatalogDb } from './catalog/catalog';
import { acquireHomeLock } from './home';
import { HypervisorStore } from './hypervisors/hypervisor-store';
import { Inventory } from './hypervisors/inventory';
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

/** Typed event bus: what the consoles (IPC or WebSocket) are told about. */
export class EngineEvents {
  private readonly emitter = new EventEmitter();
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit('event', event, payload);
  }
  /** Every event, for transports that forward them all. Returns an unsubscribe function. */
  onAny(listener: (event: EventName, payload: unknown) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}

/** The headless engine: one per data home, shared by the Electron app, `serve` and the CLI. */
export class Engine {
  readonly events = new EngineEvents();
  readonly hypervisors: HypervisorStore;
  readonly inventory: Inventory;
  readonly backupSets: BackupSetStore;
  readonly discovery: Discovery;
  readonly credentials: CredentialStore;

  private constructor(
    readonly home: string,
    readonly mode: EngineMode,
    readonly db: CatalogDb,
    private readonly releaseLock: () => void,
    secretBox: SecretBox,
  ) {
    this.hypervisors = new HypervisorStore(db, secretBox);
    this.inventory = new Inventory(this.hypervisors);
    this.backupSets = new BackupSetStore(db);
    this.discovery = new Discovery(db, this.backupSets, this.hypervisors, this.inventory);
    this.credentials = new CredentialStore(db, secretBox);
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
      mode: this.mode,
      catalogSchemaVersion: schemaVersion(this.db),
      nodeVersion: process.versions.node,
    };
  }

  async close(): Promise<void> {
    await this.inventory.close();
    this.db.close();
    this.releaseLock();
  }
}
