/**
 * Paths inside a guest for a restore through its QEMU guest agent. The agent takes paths as the
 * guest's OS spells them: "/srv/restore/etc/hosts" in Linux, "C:\Restore\etc\hosts" in Windows.
 * The destination folder is typed by a person and checked here; the components under it come
 * from planRestore, which already refused "..", separators and NUL — they are checked again
 * because a path built wrong here would write somewhere else inside the VM.
 */
import { HyperkeepError } from '../../../../shared/errors';
import { unsafeNameReason } from '../safe-names';

export type GuestPathStyle = 'posix' | 'windows';

/** Linux PATH_MAX; Windows' long paths are not enabled everywhere, 4096 is beyond both. */
const MAX_GUEST_PATH = 4096;

function invalid(dest: string, why: string): HyperkeepError {
  return new HyperkeepError(
    'INVALID_INPUT',
    `The destination folder in the guest "${dest}" ${why}.`,
    { field: 'dest' },
  );
}

/**
 * The destination folder, normalized: "/srv//restore/" → "/srv/restore"; "c:/Restore\\" →
 * "C:\Restore". It must be absolute (a drive folder on Windows) and may not climb with "..".
 */
export function normalizeGuestDest(dest: string, style: GuestPathStyle): string {
  if (dest.includes('\0')) throw invalid(dest.replace(/\0/g, '\\0'), 'contains a NUL byte');
  if (Buffer.byteLength(dest, 'utf8') > MAX_GUEST_PATH)
    throw invalid(dest.slice(0, 80), `is longer than ${MAX_GUEST_PATH} bytes`);
  if (style === 'posix') {
    if (!dest.startsWith('/')) throw invalid(dest, 'must be an absolute path such as /srv/restore');
    const parts = dest.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw invalid(dest, 'may not contain ".."');
    return `/${parts.join('/')}`;
  }
  const m = /^([A-Za-z]):[\\/](.*)$/.exec(dest);
  if (!m) throw invalid(dest, 'must be a folder on a drive such as C:\\Restore');
  const parts = m[2]!.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  for (const p of parts) {
    if (p === '..') throw invalid(dest, 'may not contain ".."');
    const reason = unsafeNameReason(p, { windows: true });
    if (reason) throw invalid(dest, `has a component Windows refuses (${reason})`);
  }
  const drive = `${m[1]!.toUpperCase()}:\\`;
  return drive + parts.join('\\');
}

/** The guest path of a planned item: the destination plus its components, with the guest's separator. */
export function guestPath(
  dest: string,
  components: readonly string[],
  style: GuestPathStyle,
): string {
  const sep = style === 'windows' ? '\\' : '/';
  for (const c of components) {
    const reason = unsafeNameReason(c, { windows: style === 'windows' });
    if (reason) throw new HyperkeepError('INVALID_INPUT', `Refused to write "${c}": ${reason}`);
  }
  if (components.length === 0) return dest;
  const base = dest.endsWith(sep) ? dest : `${dest}${sep}`;
  return base + components.join(sep);
}

/** The folder holding a guest path ("/a/b" → "/a", "C:\A\b" → "C:\A", "/a" → "/"). */
export function guestParent(path: string, style: GuestPathStyle): string {
  const sep = style === 'windows' ? '\\' : '/';
  const at = path.lastIndexOf(sep);
  if (style === 'windows') return at <= 2 ? path.slice(0, 3) : path.slice(0, at);
  return at <= 0 ? '/' : path.slice(0, at);
}
