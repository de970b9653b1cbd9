import { HyperkeepError } from '../../../shared/errors';

/** One stored object as a listing reports it. */
export interface BackendObjectInfo {
  key: string;
  size: number;
}

export interface PutOptions {
  /**
   * Fail with ALREADY_EXISTS when the key exists. Local directory: link(2) of the temp file (atomic,
   * fails on EEXIST). S3: `If-None-Match: *` on PutObject.
   */
  ifAbsent?: boolean;
}

/**
 * Where a repository keeps its objects. Keys are slash-separated relative names built from
 * [A-Za-z0-9._-] segments: `config`, `keys/<id>`, `packs/ab/<id>`, `index/<id>`, `snapshots/<id>`,
 * `locks/<id>`. Every object is written once and never modified in place (locks are replaced
 * whole), which is what lets the same repository live on a local disk or on object storage.
 *
 * Contract an implementation must keep (the repository's crash safety rests on it):
 * - `put` is atomic and durable: a reader sees no object or the complete one, never a prefix,
 *   and once `put` resolves the object survives a crash or power loss. There is no `rename`:
 *   object stores have none, and an atomic put covers what temp + rename is used for locally.
 * - `list` reflects every completed `put`/`delete` (read-after-write; S3 has been strongly
 *   consistent since 2020). The lock protocol depends on this.
 * - Errors are HyperkeepErrors: NOT_FOUND for a missing key, ALREADY_EXISTS for `ifAbsent`,
 *   INTERNAL with `details.reason` ('NO_SPACE', 'PERMISSION', 'IO') for the storage failing.
 */
export interface RepositoryBackend {
  /** Where the repository is, for messages: a directory path or a URL. */
  readonly location: string;
  get(key: string): Promise<Uint8Array>;
  /** Exactly `length` bytes at `offset`; an object too short for that is an error. */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  /** `data` may come in parts (a pack as its blobs): stored as their concatenation. */
  put(key: string, data: Uint8Array | readonly Uint8Array[], options?: PutOptions): Promise<void>;
  /** Size of one object, or null when it does not exist. */
  stat(key: string): Promise<BackendObjectInfo | null>;
  /** Every object whose key starts with `prefix` (a folder such as 'packs/'), at any depth. */
  list(prefix: string): Promise<BackendObjectInfo[]>;
  /** Removes an object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Removes what interrupted writes left behind (local: temp files of puts cut short by a crash;
   * S3: incomplete multipart uploads). Only called while no writer can be running (exclusive
   * lock), so it never races with a put in progress. Returns how many leftovers were removed.
   */
  removeIncompleteWrites(): Promise<number>;
  /** Lets go of whatever the backend keeps open (cached file handles, connections). */
  close(): Promise<void>;
}

const KEY_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Rejects keys that could escape the repository or collide with temp files. */
export function assertValidKey(key: string): void {
  const segments = key.split('/');
  if (key.length === 0 || key.length > 512 || !segments.every((s) => KEY_SEGMENT.test(s))) {
    throw new HyperkeepError('INVALID_INPUT', `Invalid repository object name "${key}"`);
  }
}

/** Keys of the repository's objects, in one place so the layout is documented by code. */
export const RepoKeys = {
  config: 'config',
  key: (id: string) => `keys/${id}`,
  pack: (id: string) => `packs/${id.slice(0, 2)}/${id}`,
  index: (id: string) => `index/${id}`,
  snapshot: (id: string) => `snapshots/${id}`,
  /** A point's file index (file-index.ts): written after the point commits. */
  fileIndex: (id: string) => `catalogs/${id}`,
  lock: (id: string) => `locks/${id}`,
  /** A protected point's hold (point-holds.ts): retention keeps it, deletion is refused. */
  hold: (id: string) => `holds/${id}`,
  /** Last path segment of a key: the id of a pack, index file, snapshot, lock or key file. */
  idOf: (key: string) => key.slice(key.lastIndexOf('/') + 1),
} as const;
