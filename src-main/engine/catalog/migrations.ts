/**
 * The catalog's schema, one migration per version. Never edit a released migration: add the next.
 * Each runs in a transaction together with the bump of `user_version`.
 */
export const migrations: readonly { version: number; description: string; sql: string }[] = [
  {
    version: 1,
    description: 'hypervisors',
    sql: `
      CREATE TABLE hypervisors (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        type TEXT NOT NULL,
        uri TEXT NOT NULL,
        username TEXT,
        password_secret TEXT,
        hostname TEXT,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'backup sets, subclients, VM assignments, VM credentials',
    sql: `
      CREATE TABLE backup_sets (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        proxy TEXT NOT NULL,
        auto_discovery INTEGER NOT NULL,
        auto_add_unmatched INTEGER NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE backup_set_hypervisors (
        backup_set_id TEXT NOT NULL REFERENCES backup_sets(id) ON DELETE CASCADE,
        hypervisor_id TEXT NOT NULL REFERENCES hypervisors(id) ON DELETE RESTRICT,
        PRIMARY KEY (backup_set_id, hypervisor_id)
      );
      CREATE TABLE subclients (
        id TEXT PRIMARY KEY,
        backup_set_id TEXT NOT NULL REFERENCES backup_sets(id) ON DELETE CASCADE,
        name TEXT NOT NULL COLLATE NOCASE,
        is_default INTEGER NOT NULL,
        position INTEGER NOT NULL,
        content_json TEXT NOT NULL,
        settings_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (backup_set_id, name)
      );
      CREATE TABLE vm_assignments (
        backup_set_id TEXT NOT NULL REFERENCES backup_sets(id) ON DELETE CASCADE,
        vm_uuid TEXT NOT NULL,
        vm_name TEXT NOT NULL,
        hypervisor_id TEXT NOT NULL,
        host TEXT NOT NULL,
        power_state TEXT NOT NULL,
        subclient_id TEXT REFERENCES subclients(id) ON DELETE SET NULL,
        reason TEXT NOT NULL,
        manual INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (backup_set_id, vm_uuid)
      );
      CREATE TABLE vm_credentials (
        id TEXT PRIMARY KEY,
        backup_set_id TEXT NOT NULL REFERENCES backup_sets(id) ON DELETE CASCADE,
        vm_name TEXT NOT NULL,
        username TEXT NOT NULL,
        password_secret TEXT NOT NULL,
        UNIQUE (backup_set_id, vm_name)
      );
    `,
  },
  {
    version: 3,
    description: 'repositories, jobs and the restore point cache',
    sql: `
      CREATE TABLE repositories (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        kind TEXT NOT NULL,
        location TEXT NOT NULL,
        repository_id TEXT NOT NULL,
        encrypted INTEGER NOT NULL,
        passphrase_secret TEXT,
        created_at TEXT NOT NULL
      );
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        snapshot_json TEXT NOT NULL
      );
      CREATE INDEX jobs_by_time ON jobs (created_at);
      -- A cache of the repositories' manifests: rebuilt from them when a repository is attached.
      CREATE TABLE restore_points (
        id TEXT NOT NULL,
        repository TEXT NOT NULL,
        vm_uuid TEXT NOT NULL,
        vm_name TEXT NOT NULL,
        time TEXT NOT NULL,
        point_json TEXT NOT NULL,
        PRIMARY KEY (repository, id)
      );
      CREATE INDEX restore_points_by_vm ON restore_points (vm_uuid, time);
    `,
  },
];

export const latestSchemaVersion = migrations[migrations.length - 1]!.version;
