import type { PathMode } from '../../../shared/domain/restore';
import { HyperkeepError } from '../../../shared/errors';
import type { PointFileSource, SourceEntry } from './point-file-source';
import {
  applyPathMode,
  browseComponents,
  printableName,
  unsafePathReason,
  type NameRules,
} from './safe-names';

/** One thing to restore: what it is in the point, and where it goes under the destination. */
export interface PlannedItem {
  entry: SourceEntry;
  /** Destination path components after the path mode; checked by the name rules. */
  target: string[];
}

export interface SkippedItem {
  /** Browse path in the restore point, printable. */
  path: string;
  reason: string;
}

export interface RestorePlan {
  items: PlannedItem[];
  skipped: SkippedItem[];
  /** Sum of the files' sizes. */
  totalBytes: number;
}

/** Items of one restore; a folder with more is refused rather than exhausting memory. */
const MAX_ITEMS = 5_000_000;
const MAX_DEPTH = 1024;

export interface PlanOptions {
  paths: readonly string[];
  pathMode: PathMode;
  /** Windows name rules for every item (the destination is Windows), besides Windows volumes. */
  windowsDestination: boolean;
  /** Two items may map to one name (the rename policy numbers the second one). */
  allowSameTarget?: boolean;
  signal?: AbortSignal;
}

/**
 * Expands the selected paths into items (folders recursively, each folder once even when linked
 * twice), applies the path mode, and sets aside every item whose name could not be created
 * safely, with the reason. Device files, FIFOs and sockets are not restored.
 */
export async function planRestore(
  source: PointFileSource,
  options: PlanOptions,
): Promise<RestorePlan> {
  const plan: RestorePlan = { items: [], skipped: [], totalBytes: 0 };
  const visitedDirs = new Set<string>();
  const seenTargets = new Set<string>();
  const rulesOf = (e: SourceEntry): NameRules => ({
    windows: options.windowsDestination || e.windowsNames,
  });

  const add = (entry: SourceEntry, sourceComponents: string[]): boolean => {
    if (plan.items.length >= MAX_ITEMS)
      throw new HyperkeepError(
        'INVALID_INPUT',
        `The selection holds more than ${MAX_ITEMS} items: restore its folders separately.`,
      );
    if (entry.type === 'dir' && folderConsumed(sourceComponents.length, options.pathMode))
      return true;
    const target = applyPathMode(sourceComponents, options.pathMode);
    const reason = unsafePathReason(target, rulesOf(entry));
    if (reason) {
      plan.skipped.push({ path: printableName(entry.path), reason });
      return false;
    }
    if (entry.type === 'other') {
      plan.skipped.push({
        path: printableName(entry.path),
        reason: 'device files, FIFOs and sockets are not restored',
      });
      return false;
    }
    const key = target.join('/');
    if (seenTargets.has(key) && entry.type !== 'dir' && !options.allowSameTarget) {
      // keepLast / strip can map two files onto one name: the second one would silently win.
      plan.skipped.push({
        path: printableName(entry.path),
        reason: `another selected item is restored to ${printableName(key)}`,
      });
      return false;
    }
    seenTargets.add(key);
    plan.items.push({ entry, target });
    if (entry.type === 'file') plan.totalBytes += entry.size;
    return true;
  };

  const descend = async (dir: SourceEntry, components: string[], depth: number) => {
    if (options.signal?.aborted) throw options.signal.reason;
    if (visitedDirs.has(dir.key)) {
      plan.skipped.push({
        path: printableName(dir.path),
        reason: 'this folder is linked more than once (a loop); its content is restored once',
      });
      return;
    }
    visitedDirs.add(dir.key);
    if (depth > MAX_DEPTH) {
      plan.skipped.push({
        path: printableName(dir.path),
        reason: `nested deeper than ${MAX_DEPTH} levels`,
      });
      return;
    }
    for (const child of await source.children(dir)) {
      // The child's name as the file system stores it, not re-split from a path: a name holding
      // "/" stays one (refused) component.
      const childComponents = [...components, child.name];
      if (!add(child, childComponents)) continue;
      if (child.type === 'dir') await descend(child, childComponents, depth + 1);
    }
  };

  for (const path of options.paths) {
    let entry: SourceEntry;
    try {
      entry = await source.entry(path);
    } catch (err) {
      if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') {
        plan.skipped.push({ path: printableName(path), reason: err.message });
        continue;
      }
      throw err;
    }
    const components = browseComponents(entry.path);
    if (add(entry, components) && entry.type === 'dir') await descend(entry, components, 1);
  }
  return plan;
}

/**
 * Folders whose level the path mode removes are not created: with "strip 2" the folders vda1 and
 * vda1/home vanish, and with "keep last N" folders exist only as the parents of what they hold
 * (an empty folder is then not restored), so no empty shells of the source tree appear.
 */
function folderConsumed(depth: number, mode: PathMode): boolean {
  return mode.kind === 'keepLast' || (mode.kind === 'strip' && depth <= mode.levels);
}
