import { constants } from 'node:fs';
import {
  link,
  lchown,
  lstat,
  lutimes,
  mkdir,
  open,
  rename,
  stat,
  symlink,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { ConflictPolicy } from '../../../shared/domain/restore';
import { HyperkeepError } from '../../../shared/errors';
import { MAX_NAME_BYTES, numberedName, unsafeNameReason } from './safe-names';

/** Why one item was not restored; the job reports these by name. */
export class SkipItem extends Error {}

export interface ItemMeta {
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  atime?: Date;
}

export interface MetaOptions {
  timestamps: boolean;
  permissions: boolean;
  ownership: boolean;
}

export type PlaceResult = { placed: string } | { skipped: string };

/** The rename policy tries "name (1)" … "name (N)" before giving up on a file. */
const MAX_RENAME_ATTEMPTS = 1000;
const PARTIAL_SUFFIX = '.hk-partial';
const FILE_CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const DIR_OPEN_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Writes restored items under one destination folder and nowhere else.
 *
 * - Folders are created one level at a time and each level is checked with lstat: a symlink or a
 *   file where a folder is expected stops that item (the restore never writes through a link,
 *   even one it restored itself a moment earlier).
 * - Files are written as ".NAME.hk-partial" (O_EXCL | O_NOFOLLOW), given their metadata through the
 *   open handle, then moved into place: a restore killed half-way leaves only dot-partial files,
 *   never a file with the real name and half its bytes.
 * - skip and rename place the file with link(2), which never replaces anything, so a file created
 *   meanwhile is not lost; overwrite uses rename(2), which replaces the name itself (a symlink in
 *   the way is replaced, not followed).
 *
 * The destination is assumed not to be changed by another hostile local user while the restore
 * runs: Node offers no openat/mkdirat, so each level is checked by path.
 */
export class SafeDestination {
  readonly notes: string[] = [];
  private readonly verifiedDirs = new Set<string>();
  /** Partial files being written now: two long names may shorten to the same partial name. */
  private readonly partialsInUse = new Set<string>();
  private readonly dirMeta: { path: string; depth: number; meta: ItemMeta }[] = [];
  private readonly canChown = process.getuid?.() === 0;
  private ownershipNoted = false;

  private constructor(
    readonly root: string,
    private readonly conflict: ConflictPolicy,
    private readonly metaOptions: MetaOptions,
  ) {}

  static async open(
    root: string,
    conflict: ConflictPolicy,
    metaOptions: MetaOptions,
  ): Promise<SafeDestination> {
    try {
      await mkdir(root, { recursive: true });
    } catch (err) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Cannot create the destination folder ${root}: ${(err as Error).message}`,
        { field: 'dest' },
      );
    }
    // The root is the administrator's choice: it may be a link to a folder (e.g. /tmp on macOS).
    const st = await stat(root);
    if (!st.isDirectory())
      throw new HyperkeepError('INVALID_INPUT', `The destination ${root} is not a folder.`, {
        field: 'dest',
      });
    return new SafeDestination(root, conflict, metaOptions);
  }

  /** Creates (or reuses) the folder at `components` under the root; returns its path. */
  async directory(components: readonly string[], meta?: ItemMeta): Promise<string> {
    let current = this.root;
    for (let i = 0; i < components.length; i++) {
      // Callers pass checked names; checked again here so this class is safe on its own.
      const bad = unsafeNameReason(components[i]!, { windows: false });
      if (bad) throw new SkipItem(bad);
      const next = join(current, components[i]!);
      if (!this.verifiedDirs.has(next)) {
        let st = await lstat(next).catch((err: unknown) => {
          if (errno(err) === 'ENOENT') return undefined;
          throw err;
        });
        if (!st) {
          await mkdir(next, 0o755).catch((err: unknown) => {
            if (errno(err) !== 'EEXIST') throw err;
          });
          st = await lstat(next);
        }
        const shown = components.slice(0, i + 1).join('/');
        if (st.isSymbolicLink())
          throw new SkipItem(
            `${shown} in the destination is a symbolic link; links are not followed`,
          );
        if (!st.isDirectory()) throw new SkipItem(`${shown} in the destination is not a folder`);
        this.verifiedDirs.add(next);
      }
      current = next;
    }
    if (meta) this.dirMeta.push({ path: current, depth: components.length, meta });
    return current;
  }

  /**
   * Writes one file: `write` fills the handle of the partial file; the file then gets its
   * metadata and its name. Returns where it went, or why it was skipped.
   */
  async writeFile(
    components: readonly string[],
    meta: ItemMeta,
    write: (file: FileHandle) => Promise<void>,
  ): Promise<PlaceResult> {
    const { dir, name } = await this.parent(components);
    if (this.conflict === 'skip' && (await this.exists(join(dir, name))))
      return { skipped: 'it already exists in the destination' };
    const partial = this.reservePartial(dir, name);
    try {
      const file = await this.createPartial(partial);
      try {
        await write(file);
        await this.applyFileMeta(file, meta);
        await file.close();
      } catch (err) {
        await file.close().catch(() => undefined);
        await unlink(partial).catch(() => undefined);
        throw err;
      }
      return await this.place(partial, dir, name);
    } finally {
      this.partialsInUse.delete(partial);
    }
  }

  /** A symlink is restored as a symlink; its target text is kept and never followed by us. */
  async writeSymlink(
    components: readonly string[],
    target: string,
    meta: ItemMeta,
  ): Promise<PlaceResult> {
    const { dir, name } = await this.parent(components);
    if (this.conflict === 'skip' && (await this.exists(join(dir, name))))
      return { skipped: 'it already exists in the destination' };
    const partial = this.reservePartial(dir, name);
    try {
      await this.removeStalePartial(partial);
      await symlink(target, partial);
      try {
        if (this.metaOptions.ownership && this.canChown && meta.uid !== undefined)
          await lchown(partial, meta.uid, meta.gid ?? meta.uid);
        if (this.metaOptions.timestamps && meta.mtime)
          await lutimes(partial, meta.atime ?? meta.mtime, meta.mtime);
      } catch (err) {
        await unlink(partial).catch(() => undefined);
        throw err;
      }
      return await this.place(partial, dir, name);
    } finally {
      this.partialsInUse.delete(partial);
    }
  }

  /** Folder permissions and times last, deepest first: writing into a folder changes its mtime. */
  async finishDirectories(): Promise<void> {
    const sorted = [...this.dirMeta].sort((a, b) => b.depth - a.depth);
    for (const { path, meta } of sorted) {
      const handle = await open(path, DIR_OPEN_FLAGS).catch(() => undefined);
      if (!handle) continue; // replaced meanwhile: nothing of ours to finish
      try {
        await this.applyFileMeta(handle, meta);
      } finally {
        await handle.close();
      }
    }
  }

  private async parent(components: readonly string[]): Promise<{ dir: string; name: string }> {
    const name = components[components.length - 1];
    if (name === undefined) throw new SkipItem('empty path');
    const bad = unsafeNameReason(name, { windows: false });
    if (bad) throw new SkipItem(bad);
    return { dir: await this.directory(components.slice(0, -1)), name };
  }

  private reservePartial(dir: string, name: string): string {
    let partial = join(dir, partialName(name));
    // Bounded by the number of concurrent writers.
    for (let n = 2; this.partialsInUse.has(partial); n++)
      partial = join(dir, partialName(`${name.slice(0, 200)}-${n}`));
    this.partialsInUse.add(partial);
    return partial;
  }

  private async exists(path: string): Promise<boolean> {
    return lstat(path).then(
      () => true,
      (err: unknown) => {
        if (errno(err) === 'ENOENT') return false;
        throw err;
      },
    );
  }

  private async createPartial(path: string): Promise<FileHandle> {
    await this.removeStalePartial(path);
    return open(path, FILE_CREATE_FLAGS, 0o600);
  }

  /** A partial file of an earlier, killed restore of the same name: ours to remove. */
  private async removeStalePartial(path: string): Promise<void> {
    const st = await lstat(path).catch(() => undefined);
    if (st && (st.isFile() || st.isSymbolicLink())) await unlink(path);
  }

  private async applyFileMeta(handle: FileHandle, meta: ItemMeta): Promise<void> {
    const { ownership, permissions, timestamps } = this.metaOptions;
    // chown first: it clears setuid/setgid bits, which chmod then sets again.
    if (ownership && meta.uid !== undefined) {
      if (this.canChown) await handle.chown(meta.uid, meta.gid ?? meta.uid);
      else if (!this.ownershipNoted) {
        this.ownershipNoted = true;
        this.notes.push(
          'Ownership was not restored: the restore does not run as root, so files belong to the account running Hyperkeep.',
        );
      }
    }
    if (permissions && meta.mode !== undefined) await handle.chmod(meta.mode & 0o7777);
    else await handle.chmod(0o644 | ((await handle.stat()).isDirectory() ? 0o111 : 0));
    if (timestamps && meta.mtime) await handle.utimes(meta.atime ?? meta.mtime, meta.mtime);
  }

  private async place(partial: string, dir: string, name: string): Promise<PlaceResult> {
    try {
      if (this.conflict === 'overwrite') {
        const target = join(dir, name);
        const st = await lstat(target).catch(() => undefined);
        if (st?.isDirectory()) {
          await unlink(partial);
          return { skipped: 'a folder of that name is in the way' };
        }
        await rename(partial, target);
        return { placed: target };
      }
      for (let n = 0; n <= MAX_RENAME_ATTEMPTS; n++) {
        const candidate = n === 0 ? name : numberedName(name, n);
        const target = join(dir, candidate);
        const outcome = await this.linkNoReplace(partial, target);
        if (outcome !== 'exists') {
          if (outcome === 'linked') await unlink(partial);
          return { placed: target };
        }
        if (this.conflict === 'skip') break;
      }
      await unlink(partial);
      return {
        skipped:
          this.conflict === 'skip'
            ? 'it already exists in the destination'
            : `it exists and so do ${MAX_RENAME_ATTEMPTS} numbered copies`,
      };
    } catch (err) {
      await unlink(partial).catch(() => undefined);
      throw err;
    }
  }

  /**
   * link(2) fails when the name exists, so nothing is replaced; on file systems without hard
   * links it falls back to lstat + rename (the partial is then gone).
   */
  private async linkNoReplace(from: string, to: string): Promise<'linked' | 'moved' | 'exists'> {
    try {
      await link(from, to);
      return 'linked';
    } catch (err) {
      const code = errno(err);
      if (code === 'EEXIST') return 'exists';
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    }
    if (await this.exists(to)) return 'exists';
    await rename(from, to);
    return 'moved';
  }
}

/** ".NAME.hk-partial", shortened so it stays a valid name for a 255-byte NAME. */
export function partialName(name: string): string {
  let base = name;
  // Bounded: each pass drops one character.
  while (base.length > 1 && Buffer.byteLength(`.${base}${PARTIAL_SUFFIX}`, 'utf8') > MAX_NAME_BYTES)
    base = base.slice(0, -1);
  return `.${base}${PARTIAL_SUFFIX}`;
}
