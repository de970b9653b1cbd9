import type { PathMode } from '../../../shared/domain/restore';

/**
 * Which names a restore may create. A restore point is hostile input: a guest (or whoever broke
 * into it) controls every name in its file systems, so each path component is checked before it
 * reaches the destination, and a component that could escape or misbehave is refused with a
 * reason the administrator reads in the job's result.
 *
 * Windows rules (reserved device names such as CON, NUL, COM1; the characters <>:"|?*; a trailing
 * dot or space) apply when the names will land on Windows (the console runs on Windows) or come
 * from a Windows file system (NTFS, FAT), where such a name cannot exist legitimately. On a Linux
 * destination restoring a Linux file system, "aux" or "con" are ordinary names and are kept.
 */

/** Linux NAME_MAX, in bytes of UTF-8: longer names fail with ENAMETOOLONG anyway. */
export const MAX_NAME_BYTES = 255;
/** Linux PATH_MAX less room for the destination folder itself. */
export const MAX_RELATIVE_PATH_BYTES = 3072;

/** Matched against the part before the first dot, trailing spaces removed ('NUL .txt' is NUL). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
const WINDOWS_BAD_CHARS = /[<>:"|?*]/;

function hasControlCharacter(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) < 0x20) return true;
  return false;
}

export interface NameRules {
  windows: boolean;
}

/** Why a name cannot be created, or undefined when it is safe. */
export function unsafeNameReason(name: string, rules: NameRules): string | undefined {
  if (name === '') return 'empty name';
  if (name === '.' || name === '..') return `the name "${name}" would leave its folder`;
  if (name.includes('\0')) return 'the name contains a NUL byte';
  if (name.includes('/')) return 'the name contains "/"';
  if (name.includes('\\')) return 'the name contains "\\", a path separator on Windows';
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)
    return `the name is longer than ${MAX_NAME_BYTES} bytes`;
  if (rules.windows) {
    if (WINDOWS_RESERVED.test(name.split('.')[0]!.trimEnd()))
      return `"${name}" is a reserved device name on Windows`;
    if (WINDOWS_BAD_CHARS.test(name) || hasControlCharacter(name))
      return 'the name contains a character Windows does not allow (<>:"|?* or a control character)';
    if (/[ .]$/.test(name)) return 'the name ends with a dot or a space, which Windows drops';
  }
  return undefined;
}

/** A name as it may appear in a message: control characters escaped, bounded in length. */
export function printableName(name: string): string {
  const escaped = JSON.stringify(name).slice(1, -1);
  return escaped.length > 200 ? `${escaped.slice(0, 200)}…` : escaped;
}

/**
 * The components of a browse path (`/vda1/home/alice/notes.txt` → vda1, home, alice, notes.txt).
 * Empty components and '.' are dropped; '..' is kept so the name check refuses it.
 */
export function browseComponents(browsePath: string): string[] {
  return browsePath.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * FIG. 12 path modes on the components of a browse path, which start with the volume name:
 * preserve keeps vda1/home/alice/notes.txt, strip 1 gives home/alice/notes.txt, keepLast 1 gives
 * notes.txt. A file never loses its own name: stripping more levels than it has keeps the name.
 */
export function applyPathMode(components: readonly string[], mode: PathMode): string[] {
  if (components.length === 0) return [];
  switch (mode.kind) {
    case 'preserve':
      return [...components];
    case 'strip':
      return components.slice(Math.min(mode.levels, components.length - 1));
    case 'keepLast':
      return components.slice(Math.max(0, components.length - mode.levels));
  }
}

/** Why a whole relative path cannot be created (first bad component), or undefined. */
export function unsafePathReason(
  components: readonly string[],
  rules: NameRules,
): string | undefined {
  if (components.length === 0) return 'the path is empty after applying the path mode';
  for (const c of components) {
    const reason = unsafeNameReason(c, rules);
    if (reason) return `${reason} ("${printableName(c)}")`;
  }
  if (Buffer.byteLength(components.join('/'), 'utf8') > MAX_RELATIVE_PATH_BYTES)
    return `the path is longer than ${MAX_RELATIVE_PATH_BYTES} bytes`;
  return undefined;
}

/**
 * The rename conflict policy's name: "report.txt" → "report (1).txt", ".bashrc" → ".bashrc (1)"
 * (only the last extension moves). The stem is shortened when the result would be too long.
 */
export function numberedName(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  let stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  const suffix = ` (${n})${ext}`;
  // Bounded: each pass drops one character of the stem.
  while (stem.length > 1 && Buffer.byteLength(stem + suffix, 'utf8') > MAX_NAME_BYTES)
    stem = stem.slice(0, -1);
  return `${stem}${suffix}`;
}
