import type { FileEntry } from '../../../shared/domain/files';
import { formatBytes, formatCount } from '../../lib/format';

/**
 * Names compare the way file managers show them: case and accents do not split "docs" from
 * "Docs" or "Résumé" from "resume", and numbers count ("file2" before "file10"). The catalog
 * returns folders in byte order, which puts every capital and accented name in the wrong place.
 */
const NAME_COLLATOR = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function compareFileNames(a: string, b: string): number {
  // Names equal to the collator ("a" and "A") still get a fixed order, so a refresh never swaps them.
  return NAME_COLLATOR.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Folders first, then everything else; each group in name order. */
export function compareFileEntries(a: FileEntry, b: FileEntry): number {
  const aFolder = a.type === 'dir' ? 0 : 1;
  const bFolder = b.type === 'dir' ? 0 : 1;
  return aFolder - bFolder || compareFileNames(a.name, b.name);
}

/** A copy of `items` in browse order (folders first, natural name order). */
export function sortedByEntry<T extends { entry: FileEntry }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compareFileEntries(a.entry, b.entry));
}

/**
 * The Owner cell: the account name the catalog found (the guest's /etc/passwd, a Windows SID's
 * name), else the number or SID as stored. A bare number says "uid" so nobody reads it as a size.
 */
export function ownerText(entry: FileEntry): string {
  const owner = entry.owner;
  if (owner === undefined || owner === '') return '—';
  return /^\d+$/.test(owner) ? `uid ${owner}` : owner;
}

/** The Owner cell's tooltip: who owns it, the group, and the ACL summary when there is one. */
export function ownerDetails(entry: FileEntry): string {
  const parts: string[] = [];
  if (entry.owner !== undefined && entry.owner !== '')
    parts.push(
      /^\d+$/.test(entry.owner)
        ? `Owner uid ${entry.owner} (the guest's /etc/passwd does not name it)`
        : `Owner ${entry.owner}`,
    );
  if (entry.group !== undefined && entry.group !== '')
    parts.push(/^\d+$/.test(entry.group) ? `group gid ${entry.group}` : `group ${entry.group}`);
  if (entry.aclSummary !== undefined) parts.push(entry.aclSummary);
  return parts.join(' · ');
}

/**
 * "Selected: 3 files (12 MiB), 1 folder". Folder sizes are unknown until restored (the catalog
 * stores 0 for a directory), so the size counts the files only.
 */
export function selectionSummary(entries: Iterable<FileEntry>): string {
  let files = 0;
  let folders = 0;
  let bytes = 0;
  for (const entry of entries) {
    if (entry.type === 'dir') folders++;
    else {
      files++;
      bytes += entry.size;
    }
  }
  const parts: string[] = [];
  if (files > 0) parts.push(`${formatCount(files, 'file')} (${formatBytes(bytes)})`);
  if (folders > 0) parts.push(formatCount(folders, 'folder'));
  return parts.length === 0 ? 'Nothing selected' : `Selected: ${parts.join(', ')}`;
}

/** "Folder: lab-web-01/vda1/home/alice", the location line above the list. */
export function folderLocation(vmName: string, folder: string): string {
  return `Folder: ${vmName}${folder === '/' ? '' : folder}`;
}
