import type { PathMode } from '../../../shared/domain/restore';

/**
 * FIG. 12 "Preserve source paths / remove N levels from the beginning / keep N levels from the
 * end", previewed in the dialog for the first selected item. Levels count the components of the
 * browse path, the volume included: removing 1 level of `/vda2/home/alice/notes.txt` writes
 * `<dest>/home/alice/notes.txt`. The name itself is never removed.
 */
export function pathComponents(browsePath: string): string[] {
  return browsePath.split('/').filter((part) => part !== '');
}

export function restoredRelativePath(browsePath: string, mode: PathMode): string[] {
  const parts = pathComponents(browsePath);
  if (parts.length === 0) return parts;
  switch (mode.kind) {
    case 'preserve':
      return parts;
    case 'strip':
      return parts.slice(Math.min(mode.levels, parts.length - 1));
    case 'keepLast':
      return parts.slice(Math.max(0, parts.length - mode.levels));
  }
}

/** Joins the destination folder and the restored components with the folder's own separator. */
export function joinDestination(dest: string, parts: string[]): string {
  const separator =
    /^[A-Za-z]:\\/.test(dest) || (dest.includes('\\') && !dest.includes('/')) ? '\\' : '/';
  const base = dest.replace(/[\\/]+$/, '');
  return parts.length === 0 ? dest : `${base}${separator}${parts.join(separator)}`;
}

/** An absolute folder on Linux/macOS (/srv/restore) or Windows (C:\Restore, \\server\share). */
export function isAbsoluteFolder(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

/** The last component: a file name for "<name>-restored" or an image file suggestion. */
export function baseName(path: string): string {
  return pathComponents(path).at(-1) ?? path;
}
