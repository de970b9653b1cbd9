import { isLinuxFileSystem, type FileSystem } from '../filesystems/filesystem';

/** uid → user name and gid → group name of a Linux guest, from its /etc/passwd and /etc/group. */
export interface GuestAccounts {
  users: Record<string, string>;
  groups: Record<string, string>;
}

/** Account files larger than this are not account files: skip them rather than read them. */
const MAX_ACCOUNT_FILE = 4 * 1024 * 1024;
const MAX_ACCOUNTS = 100_000;

/** "name:x:uid:…" lines → id → name; the first line for an id wins, as with getpwuid. */
export function parseAccountFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const line of text.split('\n')) {
    if (count >= MAX_ACCOUNTS) break;
    if (line.startsWith('#')) continue;
    const fields = line.split(':');
    const name = fields[0];
    const id = fields[2];
    if (!name || id === undefined || !/^\d{1,10}$/.test(id)) continue;
    if (!(id in out)) {
      out[id] = name;
      count++;
    }
  }
  return out;
}

async function readSmallFile(fs: FileSystem, path: string): Promise<string | null> {
  try {
    const entry = await fs.lookup(path);
    if (entry.type !== 'file' || entry.size > MAX_ACCOUNT_FILE) return null;
    const bytes = await fs.read(entry, 0, entry.size);
    return Buffer.from(bytes).toString('utf8');
  } catch {
    // Not there or not readable: owners are then shown as numbers.
    return null;
  }
}

/** Reads the account files of every Linux file system of the point; the first one found wins. */
export async function readGuestAccounts(
  fileSystems: readonly FileSystem[],
): Promise<GuestAccounts> {
  const accounts: GuestAccounts = { users: {}, groups: {} };
  for (const fs of fileSystems) {
    if (!isLinuxFileSystem(fs.kind)) continue;
    const passwd = await readSmallFile(fs, '/etc/passwd');
    if (passwd === null) continue;
    accounts.users = parseAccountFile(passwd);
    accounts.groups = parseAccountFile((await readSmallFile(fs, '/etc/group')) ?? '');
    break;
  }
  return accounts;
}

/** Names Windows shows for the SIDs that own most system files. */
const WELL_KNOWN_SIDS: Record<string, string> = {
  'S-1-1-0': 'Everyone',
  'S-1-3-0': 'CREATOR OWNER',
  'S-1-5-18': 'NT AUTHORITY\\SYSTEM',
  'S-1-5-19': 'NT AUTHORITY\\LOCAL SERVICE',
  'S-1-5-20': 'NT AUTHORITY\\NETWORK SERVICE',
  'S-1-5-32-544': 'BUILTIN\\Administrators',
  'S-1-5-32-545': 'BUILTIN\\Users',
  'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464': 'NT SERVICE\\TrustedInstaller',
};

export function sidName(sid: string): string {
  return WELL_KNOWN_SIDS[sid] ?? sid;
}
