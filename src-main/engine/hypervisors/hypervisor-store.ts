import { randomUUID } from 'node:crypto';
import { HyperkeepError } from '../../../shared/errors';
import type {
  Hypervisor,
  HypervisorInput,
  HypervisorUpdate,
} from '../../../shared/domain/hypervisor';
import { uriIdentity } from '../../../shared/domain/hypervisor-uri';
import type { CatalogDb } from '../catalog/catalog';
import type { ConnectionSettings } from '../connectors/connector';
import { parseLibvirtUri } from '../connectors/libvirt/uri';
import { parseVsphereUri } from '../connectors/vsphere/vsphere-connector';
import type { SecretBox } from '../secrets/secret-box';

interface HypervisorRow {
  id: string;
  name: string;
  type: Hypervisor['type'];
  uri: string;
  username: string | null;
  password_secret: string | null;
  hostname: string | null;
  created_at: string;
  certificate_fingerprint: string | null;
}

function toHypervisor(row: HypervisorRow): Hypervisor {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    uri: row.uri,
    ...(row.username ? { username: row.username } : {}),
    hasPassword: row.password_secret !== null,
    createdAt: row.created_at,
    ...(row.hostname ? { hostname: row.hostname } : {}),
    ...(row.certificate_fingerprint ? { certificateFingerprint: row.certificate_fingerprint } : {}),
  };
}

/** Registered hypervisors in the catalog. Passwords go in encrypted and come out only as settings. */
export class HypervisorStore {
  constructor(
    private readonly db: CatalogDb,
    private readonly secrets: SecretBox,
  ) {}

  list(): Hypervisor[] {
    const rows = this.db
      .prepare('SELECT * FROM hypervisors ORDER BY name')
      .all() as HypervisorRow[];
    return rows.map(toHypervisor);
  }

  get(id: string): Hypervisor {
    return toHypervisor(this.row(id));
  }

  /** Finds by id or, as the CLI names them, by name (case-insensitive). */
  find(idOrName: string): Hypervisor {
    const row = this.db
      .prepare('SELECT * FROM hypervisors WHERE id = ? OR name = ? COLLATE NOCASE')
      .get(idOrName, idOrName) as HypervisorRow | undefined;
    if (!row)
      throw new HyperkeepError('NOT_FOUND', `No hypervisor named "${idOrName}" is registered.`);
    return toHypervisor(row);
  }

  add(input: HypervisorInput, hostname?: string): Hypervisor {
    this.assertNameFree(input.name);
    assertUriParses(input.type, input.uri);
    this.assertUriFree(input.type, input.uri);
    const id = randomUUID();
    this.db
      .prepare(
        `INSERT INTO hypervisors (id, name, type, uri, username, password_secret, hostname, created_at, certificate_fingerprint)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.name,
        input.type,
        input.uri,
        input.username || null,
        input.password ? this.secrets.encrypt(input.password) : null,
        hostname ?? null,
        new Date().toISOString(),
        input.certificateFingerprint?.trim() || null,
      );
    return this.get(id);
  }

  update(change: HypervisorUpdate): Hypervisor {
    const row = this.row(change.id);
    if (change.name !== undefined && change.name.toLowerCase() !== row.name.toLowerCase())
      this.assertNameFree(change.name);
    if (change.uri !== undefined && change.uri.trim() !== row.uri) {
      assertUriParses(row.type, change.uri);
      this.assertUriFree(row.type, change.uri, row.id);
    }
    const password =
      change.password === undefined
        ? row.password_secret
        : change.password === ''
          ? null
          : this.secrets.encrypt(change.password);
    this.db
      .prepare(
        'UPDATE hypervisors SET name = ?, uri = ?, username = ?, password_secret = ?, certificate_fingerprint = ? WHERE id = ?',
      )
      .run(
        change.name ?? row.name,
        change.uri ?? row.uri,
        change.username ?? row.username,
        password,
        change.certificateFingerprint?.trim() || row.certificate_fingerprint,
        row.id,
      );
    return this.get(row.id);
  }

  remove(id: string): void {
    const row = this.row(id);
    const sets = this.db
      .prepare(
        'SELECT s.name FROM backup_sets s JOIN backup_set_hypervisors t ON t.backup_set_id = s.id WHERE t.hypervisor_id = ?',
      )
      .all(id) as { name: string }[];
    if (sets.length > 0) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `"${row.name}" is a target of backup set(s) ${sets.map((s) => `"${s.name}"`).join(', ')}: remove it from them first.`,
      );
    }
    this.db.prepare('DELETE FROM hypervisors WHERE id = ?').run(id);
  }

  /** Records a host's name; false when it was already known (or the hypervisor is gone). */
  rememberHostname(id: string, hostname: string): boolean {
    const result = this.db
      .prepare('UPDATE hypervisors SET hostname = ? WHERE id = ? AND hostname IS NOT ?')
      .run(hostname, id, hostname);
    return result.changes > 0;
  }

  /** The connection settings with the password decrypted — for connectors only, never for the UI. */
  settings(id: string): ConnectionSettings {
    const row = this.row(id);
    return {
      type: row.type,
      uri: row.uri,
      ...(row.username ? { username: row.username } : {}),
      ...(row.password_secret ? { password: this.secrets.decrypt(row.password_secret) } : {}),
      ...(row.certificate_fingerprint
        ? { certificateFingerprint: row.certificate_fingerprint }
        : {}),
    };
  }

  private row(id: string): HypervisorRow {
    const row = this.db.prepare('SELECT * FROM hypervisors WHERE id = ?').get(id) as
      HypervisorRow | undefined;
    if (!row) throw new HyperkeepError('NOT_FOUND', `No hypervisor with id ${id} is registered.`);
    return row;
  }

  /** The same host twice would list every VM twice and let a backup set take it twice. */
  private assertUriFree(type: Hypervisor['type'], uri: string, exceptId?: string): void {
    const identity = uriIdentity(type, uri);
    const rows = this.db
      .prepare('SELECT * FROM hypervisors WHERE type = ? AND id IS NOT ?')
      .all(type, exceptId ?? null) as HypervisorRow[];
    const existing = rows.find((row) => uriIdentity(row.type, row.uri) === identity);
    if (existing)
      throw new HyperkeepError(
        'ALREADY_EXISTS',
        `${existing.name} already uses ${existing.uri}: the same host registered twice would list every VM twice. Edit ${existing.name} instead.`,
        { field: 'uri', hypervisorId: existing.id },
      );
  }

  private assertNameFree(name: string): void {
    const taken = this.db
      .prepare('SELECT 1 FROM hypervisors WHERE name = ? COLLATE NOCASE')
      .get(name);
    if (taken)
      throw new HyperkeepError(
        'ALREADY_EXISTS',
        `A hypervisor named "${name}" is already registered.`,
        { field: 'name' },
      );
  }
}

/**
 * A URI that does not even parse can never connect: refused before it is stored, with the
 * parser's message (it names the problem and gives an example). Reachability is not checked here:
 * a host that is down may come back.
 */
function assertUriParses(type: Hypervisor['type'], uri: string): void {
  try {
    if (type === 'vsphere') parseVsphereUri(uri);
    else parseLibvirtUri(uri);
  } catch (err) {
    if (err instanceof HyperkeepError && err.code === 'INVALID_URI')
      throw new HyperkeepError('INVALID_URI', err.message, { ...err.details, field: 'uri' });
    throw err;
  }
}
