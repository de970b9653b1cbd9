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
  {
    version: 4,
    description: 'file catalog of restore points (src-main/engine/file-catalog)',
    sql: `
      -- One lineage per VM and repository: its points get increasing sequence numbers.
      CREATE TABLE fc_vms (
        id INTEGER PRIMARY KEY,
        repository TEXT NOT NULL COLLATE NOCASE,
        vm_uuid TEXT NOT NULL,
        next_seq INTEGER NOT NULL DEFAULT 1,
        UNIQUE (repository, vm_uuid)
      );
      CREATE TABLE fc_volumes (
        id INTEGER PRIMARY KEY,
        vm_id INTEGER NOT NULL REFERENCES fc_vms(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        UNIQUE (vm_id, name)
      );
      CREATE TABLE fc_points (
        pk INTEGER PRIMARY KEY,
        vm_id INTEGER NOT NULL REFERENCES fc_vms(id) ON DELETE CASCADE,
        point_id TEXT NOT NULL UNIQUE,
        vm_name TEXT NOT NULL,
        seq INTEGER NOT NULL,
        time TEXT NOT NULL,
        state TEXT NOT NULL,
        accounts_json TEXT NOT NULL DEFAULT '{}',
        guest_json TEXT,
        UNIQUE (vm_id, seq)
      );
      CREATE TABLE fc_point_volumes (
        point_pk INTEGER NOT NULL REFERENCES fc_points(pk) ON DELETE CASCADE,
        volume_id INTEGER NOT NULL REFERENCES fc_volumes(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        indexed INTEGER NOT NULL,
        info_json TEXT NOT NULL,
        PRIMARY KEY (point_pk, volume_id)
      );
      CREATE INDEX fc_point_volumes_by_volume ON fc_point_volumes (volume_id);
      -- Every distinct file name once; name_lc feeds the trigram index (case-insensitive search).
      CREATE TABLE fc_names (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        name_lc TEXT NOT NULL
      );
      CREATE VIRTUAL TABLE fc_names_fts USING fts5(
        name_lc, content='fc_names', content_rowid='id', tokenize='trigram'
      );
      -- A path node per (parent, name) of a volume lineage, shared by all points; the root of
      -- volume V has parent_id = -V.
      CREATE TABLE fc_paths (
        id INTEGER PRIMARY KEY,
        volume_id INTEGER NOT NULL,
        parent_id INTEGER NOT NULL,
        name_id INTEGER NOT NULL,
        UNIQUE (parent_id, name_id)
      );
      CREATE INDEX fc_paths_by_name ON fc_paths (name_id);
      CREATE INDEX fc_paths_by_volume ON fc_paths (volume_id);
      -- One version of a path: valid for the points of its lineage with first_seq <= seq <= last_seq.
      CREATE TABLE fc_entries (
        id INTEGER PRIMARY KEY,
        path_id INTEGER NOT NULL,
        volume_id INTEGER NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        type INTEGER NOT NULL,
        size INTEGER NOT NULL,
        mtime INTEGER,
        mode INTEGER,
        uid INTEGER,
        gid INTEGER,
        owner TEXT,
        acl TEXT,
        link TEXT,
        attrs TEXT,
        fs_id INTEGER NOT NULL,
        sig BLOB NOT NULL,
        extents BLOB
      );
      -- No index holds last_seq: extending an unchanged entry to the next point rewrites no index.
      CREATE INDEX fc_entries_by_path ON fc_entries (path_id);
      CREATE INDEX fc_entries_by_volume ON fc_entries (volume_id);
    `,
  },
  {
    version: 5,
    description: 'pinned vSphere certificate fingerprints',
    sql: `
      ALTER TABLE hypervisors ADD COLUMN certificate_fingerprint TEXT;
    `,
  },
  {
    version: 6,
    description:
      'file catalog: folders in name order, name prefix and ending indexes, folder sizes',
    sql: `
      -- A path node carries its name, so (parent_id, name) returns a folder's children in name
      -- order: a page of a 100k-entry folder is a range of this index, not a sort of 100k names.
      CREATE TABLE fc_paths_v6 (
        id INTEGER PRIMARY KEY,
        volume_id INTEGER NOT NULL,
        parent_id INTEGER NOT NULL,
        name_id INTEGER NOT NULL,
        name TEXT NOT NULL
      );
      INSERT INTO fc_paths_v6 (id, volume_id, parent_id, name_id, name)
        SELECT p.id, p.volume_id, p.parent_id, p.name_id, n.name
          FROM fc_paths p JOIN fc_names n ON n.id = p.name_id;
      DROP TABLE fc_paths;
      ALTER TABLE fc_paths_v6 RENAME TO fc_paths;
      CREATE UNIQUE INDEX fc_paths_by_parent ON fc_paths (parent_id, name);
      CREATE INDEX fc_paths_by_name ON fc_paths (name_id);
      CREATE INDEX fc_paths_by_volume ON fc_paths (volume_id);
      -- Searches the trigram index cannot serve: a literal prefix is a range of name_lc, a short
      -- literal ending a range of the last two characters reversed ('*.c' -> 'c.').
      CREATE INDEX fc_names_by_lc ON fc_names (name_lc);
      CREATE INDEX fc_names_by_ending ON fc_names (substr(name_lc, -1) || substr(name_lc, -2, 1));
      -- Entries of a big folder in one point, counted once (by the ingest, or by the first
      -- listing of a folder cataloged before this version): a page needs the total.
      CREATE TABLE fc_folder_sizes (
        point_pk INTEGER NOT NULL REFERENCES fc_points(pk) ON DELETE CASCADE,
        path_id INTEGER NOT NULL,
        entries INTEGER NOT NULL,
        PRIMARY KEY (point_pk, path_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    description: 'file catalog: a cheaper ingest (no version hash, one index less)',
    sql: `
      -- An unchanged file is recognized by comparing its stored attributes with the new record:
      -- hashing every record cost more than the comparison it saved.
      ALTER TABLE fc_entries DROP COLUMN sig;
      -- No query looks path nodes up by volume; maintaining it was a quarter of each path insert.
      DROP INDEX fc_paths_by_volume;
    `,
  },
  {
    version: 8,
    description: 'file catalog: a lighter trigram index (no positions, no sizes, fewer merges)',
    sql: `
      -- The name index held each trigram's positions and each name's size, which only phrase
      -- queries and ranking use: a LIKE over it is rechecked against the name either way. Without
      -- them it is half the size and a third cheaper to write; merging 16 segments at a time
      -- instead of 4 spares most of the rewriting an ingest's many small commits caused.
      -- The rebuild reads every name once (about 15 s per million distinct names).
      DROP TABLE fc_names_fts;
      CREATE VIRTUAL TABLE fc_names_fts USING fts5(
        name_lc, content='fc_names', content_rowid='id', tokenize='trigram',
        detail=none, columnsize=0
      );
      INSERT INTO fc_names_fts (fc_names_fts, rank) VALUES ('automerge', 16);
      INSERT INTO fc_names_fts (fc_names_fts) VALUES ('rebuild');
    `,
  },
  {
    version: 9,
    description: 'engine settings (job notifications)',
    sql: `
      CREATE TABLE app_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 10,
    description: 'scheduled repository verification',
    sql: `
      -- JSON of shared/domain/verify-schedule.ts; NULL: never scheduled (off).
      ALTER TABLE repositories ADD COLUMN verify_schedule TEXT;
    `,
  },
  {
    version: 11,
    description: 'file catalog: what an incremental walk of a volume starts from',
    sql: `
      -- filesystems/ext/walk-basis.ts, kept for the newest indexed point of each volume only.
      CREATE TABLE fc_walk_bases (
        point_pk INTEGER NOT NULL REFERENCES fc_points(pk) ON DELETE CASCADE,
        volume_id INTEGER NOT NULL REFERENCES fc_volumes(id) ON DELETE CASCADE,
        data BLOB NOT NULL,
        PRIMARY KEY (point_pk, volume_id)
      );
      CREATE INDEX fc_walk_bases_by_volume ON fc_walk_bases (volume_id);
    `,
  },
];

export const latestSchemaVersion = migrations[migrations.length - 1]!.version;
