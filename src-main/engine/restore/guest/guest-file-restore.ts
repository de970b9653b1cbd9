/**
 * FIG. 12 file restore with the VM itself as the destination computer: the selected files and
 * folders of a restore point written into a running libvirt VM through its QEMU guest agent.
 * The plan (names checked, path mode applied) is the one a restore to a local folder uses; only
 * the writing differs: folders with mkdir, files with guest-file-open/write/close in pieces of at
 * most 1 MiB, symlinks with ln, and owners, modes and times applied at the end where the guest
 * allows (what it refused is reported, not hidden).
 */
import { HyperkeepError } from '../../../../shared/errors';
import type { GuestAgent } from '../../connectors/libvirt/guest-agent';
import {
  startFileRestore,
  type FileRestoreHooks,
  type FileRestoreResult,
  type FileRestoreSettings,
} from '../file-restore';
import { filePieces, isAllZero } from '../file-pieces';
import type { PointFileSource } from '../point-file-source';
import { planRestore, type PlannedItem } from '../restore-plan';
import { numberedName, printableName } from '../safe-names';
import { guestParent, guestPath, normalizeGuestDest, type GuestPathStyle } from './guest-paths';
import { GuestShell, type MetaFailure, type MetaItem } from './guest-shell';

/** Numbered names tried for one file under the rename policy ("x (1).txt" … "x (20).txt"). */
const RENAME_CANDIDATES = 20;
/** Examples named per kind of metadata the guest refused; the count says the rest. */
const META_EXAMPLES = 3;

export interface GuestRestoreSettings extends FileRestoreSettings {
  /** Guest OS as the agent reports it; decides separators, name rules and helper programs. */
  windows: boolean;
}

export async function restoreFilesToGuest(
  source: PointFileSource,
  agent: GuestAgent,
  settings: GuestRestoreSettings,
  hooks: FileRestoreHooks,
): Promise<FileRestoreResult> {
  const style: GuestPathStyle = settings.windows ? 'windows' : 'posix';
  const dest = normalizeGuestDest(settings.dest, style);
  const shell = new GuestShell(agent, style, hooks.signal);
  hooks.progress({ phase: 'listing' });
  const plan = await planRestore(source, {
    paths: settings.paths,
    pathMode: settings.pathMode,
    windowsDestination: settings.windows,
    allowSameTarget: settings.conflict === 'rename',
    signal: hooks.signal,
  });
  const { result, skip } = startFileRestore(dest, plan.skipped, [], hooks.log);
  const pathOf = (item: PlannedItem) => guestPath(dest, item.target, style);
  const meta: MetaItem[] = [];
  const metaOf = (item: PlannedItem, path: string, kind: MetaItem['kind']): MetaItem => {
    const e = item.entry;
    return {
      path,
      kind,
      ...(e.mode !== undefined ? { mode: e.mode } : {}),
      ...(e.uid !== undefined ? { uid: e.uid } : {}),
      ...(e.gid !== undefined ? { gid: e.gid } : {}),
      ...(e.mtime ? { mtime: e.mtime } : {}),
    };
  };

  // Folders: the destination, every planned folder, and the parents of files whose folders the
  // selection or the path mode left out (/vda1/etc/hostname with "remove 1 level" needs etc).
  hooks.progress({ phase: 'creating folders' });
  const dirs = plan.items.filter((i) => i.entry.type === 'dir');
  const leaves = plan.items.filter((i) => i.entry.type !== 'dir');
  const parents = leaves
    .filter((i) => i.target.length > 1)
    .map((i) => guestPath(dest, i.target.slice(0, -1), style));
  const folderFailures = await shell.mkdirs([...new Set([dest, ...dirs.map(pathOf), ...parents])]);
  if (folderFailures.has(dest))
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Could not create the folder ${dest} in VM ${agent.vmName}: check the path and the free space in the guest.`,
      { field: 'dest' },
    );
  for (const item of dirs) {
    const path = pathOf(item);
    if (folderFailures.has(path)) skip(item, 'the folder could not be created in the guest', true);
    else {
      result.folders++;
      meta.push(metaOf(item, path, 'dir'));
    }
  }

  // Conflicts: one look at every name a file or link would take.
  const targets = new Map<PlannedItem, string>();
  for (const item of leaves) targets.set(item, pathOf(item));
  const existing =
    settings.conflict === 'overwrite'
      ? new Set<string>()
      : await shell.existing([...targets.values()]);
  if (settings.conflict === 'rename')
    for (const item of await chooseNumberedNames(shell, targets, existing, style))
      skip(
        item,
        `it already exists in the destination, and so do ${RENAME_CANDIDATES} numbered names beside it`,
      );
  else if (settings.conflict === 'skip')
    for (const [item, path] of targets)
      if (existing.has(path)) {
        skip(item, 'it already exists in the destination');
        targets.delete(item);
      }

  hooks.progress({ phase: 'writing', bytesTotal: plan.totalBytes, bytesDone: 0 });
  let bytesDone = 0;
  const links: PlannedItem[] = [];
  for (const item of leaves) {
    if (hooks.signal.aborted) throw hooks.signal.reason;
    const path = targets.get(item);
    if (path === undefined) {
      bytesDone += item.entry.size;
      continue;
    }
    if (item.entry.type === 'symlink') {
      links.push(item);
      continue;
    }
    let written = 0;
    try {
      await writeGuestFile(agent, shell, source, item, path, hooks, (n) => {
        written += n;
        bytesDone += n;
        hooks.progress({ bytesDone });
      });
      result.files++;
      result.bytes += item.entry.size;
      meta.push(metaOf(item, path, 'file'));
    } catch (err) {
      if (hooks.signal.aborted) throw hooks.signal.reason;
      if (isAgentGone(err)) throw err;
      skip(item, (err as Error).message, true);
    }
    // Skipped parts count as done so the bar reaches its end.
    bytesDone += item.entry.size - written;
    hooks.progress({ bytesDone });
  }

  // Links last: no file of this restore is ever written through a link it created.
  for (const item of links) {
    if (hooks.signal.aborted) throw hooks.signal.reason;
    const path = targets.get(item)!;
    try {
      await shell.symlink(item.entry.symlinkTarget ?? '', path, settings.conflict === 'overwrite');
      result.symlinks++;
      meta.push(metaOf(item, path, 'symlink'));
    } catch (err) {
      if (hooks.signal.aborted) throw hooks.signal.reason;
      if (isAgentGone(err)) throw err;
      // A refusal (a folder in the way, a Windows guest) is a skip; anything else a failure.
      const refused = err instanceof HyperkeepError && err.code === 'INVALID_INPUT';
      skip(item, (err as Error).message, !refused);
    }
  }

  hooks.progress({ phase: 'finishing' });
  // Folders deepest first, after their content: writing a file changes its folder's time.
  const ordered = [
    ...meta.filter((m) => m.kind !== 'dir'),
    ...meta
      .filter((m) => m.kind === 'dir')
      .sort((a, b) => depth(b.path, style) - depth(a.path, style)),
  ];
  const wanted = {
    timestamps: settings.restoreTimestamps,
    permissions: settings.restorePermissions,
    ownership: settings.restoreOwnership,
  };
  result.notes.push(...describeMetaFailures(await shell.applyMeta(ordered, wanted)));
  if (settings.windows && (settings.restorePermissions || settings.restoreOwnership))
    result.notes.push(
      'Owners and permissions are not applied in Windows guests: the files get the permissions of the destination folder.',
    );
  return result;
}

/** Writes one file: data pieces at their offsets, holes skipped with a seek, the size exact. */
async function writeGuestFile(
  agent: GuestAgent,
  shell: GuestShell,
  source: PointFileSource,
  item: PlannedItem,
  path: string,
  hooks: FileRestoreHooks,
  wrote: (bytes: number) => void,
): Promise<void> {
  const { entry } = item;
  const options = { signal: hooks.signal };
  const handle = await agent.fileOpen(path, 'wb', options);
  let position = 0;
  let complete = false;
  try {
    for await (const piece of filePieces(source, entry, hooks.signal)) {
      // Zero pieces and holes become a seek: the guest's file system keeps them sparse.
      if (isAllZero(piece.data)) continue;
      if (piece.offset !== position) await agent.fileSeek(handle, piece.offset, options);
      await agent.fileWrite(handle, piece.data, { ...options, onWritten: wrote });
      position = piece.offset + piece.data.length;
    }
    if (position < entry.size) {
      // A trailing hole: one zero byte at the end gives the file its size.
      await agent.fileSeek(handle, entry.size - 1, options);
      await agent.fileWrite(handle, new Uint8Array(1), options);
    }
    complete = true;
  } finally {
    await agent.fileClose(handle).catch(() => undefined);
    // A half-written file must not pass for the restored one.
    if (!complete)
      await shell.removeFile(path).catch((err: unknown) => {
        hooks.log(`Could not remove the partial file ${printableName(path)}: ${String(err)}`);
      });
  }
}

/**
 * The rename policy: a name that exists gets the first free " (n)" variant; names this restore
 * takes count as taken, so two selected files never pick the same one. Returns the items left
 * without a free name.
 */
async function chooseNumberedNames(
  shell: GuestShell,
  targets: Map<PlannedItem, string>,
  existing: Set<string>,
  style: GuestPathStyle,
): Promise<PlannedItem[]> {
  const taken = new Set(existing);
  const clashing: [PlannedItem, string][] = [];
  const claimed = new Set<string>();
  for (const [item, path] of targets) {
    if (taken.has(path) || claimed.has(path)) clashing.push([item, path]);
    else claimed.add(path);
  }
  if (clashing.length === 0) return [];
  const candidates = (path: string) => {
    const parent = guestParent(path, style);
    const name = path.slice(parent.length).replace(/^[\\/]/, '');
    return Array.from({ length: RENAME_CANDIDATES }, (_, n) =>
      guestPath(parent, [numberedName(name, n + 1)], style),
    );
  };
  const all = clashing.flatMap(([, path]) => candidates(path));
  for (const p of await shell.existing(all)) taken.add(p);
  const unresolved: PlannedItem[] = [];
  for (const [item, path] of clashing) {
    const free = candidates(path).find((c) => !taken.has(c) && !claimed.has(c));
    if (free === undefined) {
      targets.delete(item);
      unresolved.push(item);
      continue;
    }
    claimed.add(free);
    targets.set(item, free);
  }
  return unresolved;
}

function depth(path: string, style: GuestPathStyle): number {
  return path.split(style === 'windows' ? '\\' : '/').length;
}

/** A lost agent or VM ends the restore: every further item would fail the same way. */
function isAgentGone(err: unknown): boolean {
  if (!(err instanceof HyperkeepError)) return false;
  const reason = (err.details as { reason?: string } | undefined)?.reason;
  return reason === 'AGENT_NOT_RUNNING' || err.code === 'CONNECT_FAILED' || err.code === 'TIMEOUT';
}

function describeMetaFailures(failures: readonly MetaFailure[]): string[] {
  const notes: string[] = [];
  const labels = { owner: 'owners', permissions: 'permissions', time: 'modification times' };
  for (const what of ['owner', 'permissions', 'time'] as const) {
    const paths = failures.filter((f) => f.what === what).map((f) => printableName(f.path));
    if (paths.length === 0) continue;
    const examples = paths.slice(0, META_EXAMPLES).join(', ');
    const more = paths.length > META_EXAMPLES ? ` and ${paths.length - META_EXAMPLES} more` : '';
    notes.push(`The guest did not accept the ${labels[what]} of ${examples}${more}.`);
  }
  return notes;
}
