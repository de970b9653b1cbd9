import { randomUUID } from 'node:crypto';
import type { VmCredential } from '../../../shared/domain/backup-set';
import { HyperkeepError } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import type { SecretBox } from '../secrets/secret-box';

interface Row {
  id: string;
  backup_set_id: string;
  vm_name: string;
  username: string;
  password_secret: string;
}

const toCredential = (r: Row): VmCredential => ({
  id: r.id,
  backupSetId: r.backup_set_id,
  vmName: r.vm_name,
  username: r.username,
  hasPassword: r.password_secret !== '',
});

/** FIG. 6: guest credentials per VM of a backup set. Passwords go in encrypted and never come out to the UI. */
export class CredentialStore {
  constructor(
    private readonly db: CatalogDb,
    private readonly secrets: SecretBox,
  ) {}

  list(backupSetId: string): VmCredential[] {
    return (
      this.db
        .prepare('SELECT * FROM vm_credentials WHERE backup_set_id = ? ORDER BY vm_name')
        .all(backupSetId) as Row[]
    ).map(toCredential);
  }

  add(input: {
    backupSetId: string;
    vmName: string;
    username: string;
    password: string;
  }): VmCredential {
    if (!this.db.prepare('SELECT 1 FROM backup_sets WHERE id = ?').get(input.backupSetId))
      throw new HyperkeepError('NOT_FOUND', 'No such backup set.');
    this.assertFree(input.backupSetId, input.vmName);
    const id = randomUUID();
    this.db
      .prepare(
        'INSERT INTO vm_credentials (id, backup_set_id, vm_name, username, password_secret) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        id,
        input.backupSetId,
        input.vmName,
        input.username,
        input.password ? this.secrets.encrypt(input.password) : '',
      );
    return toCredential(this.row(id));
  }

  update(change: {
    id: string;
    vmName?: string;
    username?: string;
    password?: string;
  }): VmCredential {
    const row = this.row(change.id);
    if (change.vmName && change.vmName.toLowerCase() !== row.vm_name.toLowerCase())
      this.assertFree(row.backup_set_id, change.vmName);
    const secret =
      change.password === undefined
        ? row.password_secret
        : change.password === ''
          ? ''
          : this.secrets.encrypt(change.password);
    this.db
      .prepare(
        'UPDATE vm_credentials SET vm_name = ?, username = ?, password_secret = ? WHERE id = ?',
      )
      .run(change.vmName ?? row.vm_name, change.username ?? row.username, secret, row.id);
    return toCredential(this.row(row.id));
  }

  remove(id: string): VmCredential {
    const removed = toCredential(this.row(id));
    this.db.prepare('DELETE FROM vm_credentials WHERE id = ?').run(id);
    return removed;
  }

  private row(id: string): Row {
    const row = this.db.prepare('SELECT * FROM vm_credentials WHERE id = ?').get(id) as
      Row | undefined;
    if (!row) throw new HyperkeepError('NOT_FOUND', 'No such VM credential.');
    return row;
  }

  private assertFree(backupSetId: string, vmName: string): void {
    if (
      this.db
        .prepare(
          'SELECT 1 FROM vm_credentials WHERE backup_set_id = ? AND vm_name = ? COLLATE NOCASE',
        )
        .get(backupSetId, vmName)
    ) {
      throw new HyperkeepError(
        'ALREADY_EXISTS',
        `Credentials for VM "${vmName}" already exist in this backup set.`,
        { field: 'vmName' },
      );
    }
  }
}
