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
];

export const latestSchemaVersion = migrations[migrations.length - 1]!.version;
