import type { GuestOs } from '../../../shared/domain/files';
import { isSwap, matchVolume, parseDeviceSpec, parseFstab, type FstabEntry } from './fstab';
import { GuestNamespace, type Mount } from './guest-files';
import { identityOf, messageOf, type GuestVolume } from './guest-volume';
import { isLinuxFileSystem } from '../filesystems/filesystem';
import {
  hostnameFromFile,
  hostnameFromSysconfig,
  releaseFromDebianVersion,
  releaseFromOsRelease,
  releaseFromRedhatRelease,
  type LinuxRelease,
} from './os-release';

/** What a Linux guest tells about itself. */
export interface LinuxFindings {
  root: GuestVolume;
  guestOs: GuestOs;
  osId?: string;
  mountPoints: Map<string, string>;
}

const SWAP = '[SWAP]';

/**
 * Finds the Linux root file system (the volume holding /etc/fstab), maps the fstab entries to
 * volumes, and reads the distribution and host name through the mounted tree.
 */
export async function detectLinux(
  volumes: GuestVolume[],
  notes: string[],
): Promise<LinuxFindings | undefined> {
  const candidates: { volume: GuestVolume; fstab: FstabEntry[] }[] = [];
  for (const volume of volumes) {
    if (!volume.fs || !isLinuxFileSystem(volume.fs.kind)) continue;
    try {
      const text = await new GuestNamespace([{ at: '/', fs: volume.fs }]).readText('/etc/fstab');
      if (text !== undefined) candidates.push({ volume, fstab: parseFstab(text) });
    } catch (err) {
      notes.push(`${volume.name}: cannot read /etc/fstab: ${messageOf(err)}`);
    }
  }
  if (candidates.length === 0) return undefined;

  const identities = volumes.map((v) => ({ ...identityOf(v), volume: v }));
  // With several systems (a rescue copy, a second distribution), prefer the one whose fstab
  // mounts itself at /.
  const selfRooted = candidates.find(({ volume, fstab }) =>
    fstab.some((e) => {
      const spec = e.mountPoint === '/' ? parseDeviceSpec(e.source) : undefined;
      return spec !== undefined && matchVolume(spec, identities)?.volume.volume === volume;
    }),
  );
  const chosen = selfRooted ?? candidates[0]!;
  if (candidates.length > 1) {
    notes.push(
      `/etc/fstab found on ${candidates.map((c) => c.volume.name).join(', ')}; using ${chosen.volume.name} as the root`,
    );
  }

  const mountPoints = new Map<string, string>([[chosen.volume.name, '/']]);
  const mounts: Mount[] = [{ at: '/', fs: chosen.volume.fs! }];
  for (const entry of chosen.fstab) {
    const spec = parseDeviceSpec(entry.source);
    if (spec === undefined) continue; // tmpfs, proc, network shares, bind mounts
    const match = matchVolume(spec, identities);
    if (match === undefined) {
      notes.push(
        `/etc/fstab line ${entry.line}: ${entry.source} (${entry.mountPoint}) matches no volume of the VM`,
      );
      continue;
    }
    const { volume } = match.volume;
    if (match.assumed) {
      notes.push(
        `/etc/fstab line ${entry.line}: ${entry.source} taken to be ${volume.name} (same disk and partition, another bus)`,
      );
    }
    const at = isSwap(entry) ? SWAP : entry.mountPoint;
    if (volume === chosen.volume || mountPoints.has(volume.name)) continue;
    mountPoints.set(volume.name, at);
    const dir = at.replace(/\/+$/, '');
    if (dir.startsWith('/') && volume.fs) mounts.push({ at: dir, fs: volume.fs });
  }

  const guest = new GuestNamespace(mounts);
  const release = await readRelease(guest, notes);
  const hostname = await readHostname(guest, notes);
  const guestOs: GuestOs = { family: 'linux' };
  if (release.name) guestOs.name = release.name;
  if (release.version) guestOs.version = release.version;
  if (hostname) guestOs.hostname = hostname;
  const findings: LinuxFindings = { root: chosen.volume, guestOs, mountPoints };
  if (release.id) findings.osId = release.id;
  return findings;
}

const RELEASE_FILES: [string, (text: string) => LinuxRelease][] = [
  ['/etc/os-release', releaseFromOsRelease],
  ['/usr/lib/os-release', releaseFromOsRelease],
  ['/etc/debian_version', releaseFromDebianVersion],
  ['/etc/redhat-release', releaseFromRedhatRelease],
];

async function readRelease(guest: GuestNamespace, notes: string[]): Promise<LinuxRelease> {
  for (const [path, parse] of RELEASE_FILES) {
    try {
      const text = await guest.readText(path);
      if (text === undefined) continue;
      const release = parse(text);
      if (release.name || release.version) return release;
    } catch (err) {
      notes.push(`cannot read ${path}: ${messageOf(err)}`);
    }
  }
  notes.push('no /etc/os-release or older release file: the distribution is unknown');
  return {};
}

async function readHostname(guest: GuestNamespace, notes: string[]): Promise<string | undefined> {
  const sources: [string, (text: string) => string | undefined][] = [
    ['/etc/hostname', hostnameFromFile],
    ['/etc/HOSTNAME', hostnameFromFile],
    ['/etc/sysconfig/network', hostnameFromSysconfig],
  ];
  for (const [path, parse] of sources) {
    try {
      const text = await guest.readText(path);
      const name = text === undefined ? undefined : parse(text);
      if (name) return name;
    } catch (err) {
      notes.push(`cannot read ${path}: ${messageOf(err)}`);
    }
  }
  return undefined;
}
