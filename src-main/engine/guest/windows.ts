import type { GuestOs } from '../../../shared/domain/files';
import { guidMixedEndian } from '../formats/binary';
import type { FileSystem } from '../filesystems/filesystem';
import { GuestNamespace } from './guest-files';
import { messageOf, type GuestVolume } from './guest-volume';
import { Hive, type RegistryKey } from './registry/hive';
import { valueNumber, valueString } from './registry/values';

/** What a Windows guest's registry tells about it. */
export interface WindowsFindings {
  systemVolume: GuestVolume;
  guestOs: GuestOs;
  driveLetters: Map<string, string>;
}

const SYSTEM_HIVE = '/Windows/System32/config/SYSTEM';
const SOFTWARE_HIVE = '/Windows/System32/config/SOFTWARE';
/** Windows 11 kept "Windows 10" in ProductName; its builds start here. */
const WINDOWS_11_FIRST_BUILD = 22000;

/** Opens a hive file inside a guest file system, reading it lazily. */
async function openHive(fs: FileSystem, path: string, name: string): Promise<Hive | undefined> {
  const found = await new GuestNamespace([{ at: '/', fs }]).find(path);
  if (found === undefined || found.entry.type !== 'file') return undefined;
  const { entry } = found;
  return Hive.open(
    { size: entry.size, read: (offset, length) => fs.read(entry, offset, length) },
    name,
  );
}

/**
 * Finds the Windows system volume (the one holding the SYSTEM hive) and reads the computer
 * name and drive letters from SYSTEM, and the product and build from SOFTWARE.
 */
export async function detectWindows(
  volumes: GuestVolume[],
  notes: string[],
): Promise<WindowsFindings | undefined> {
  for (const volume of volumes) {
    const fs = volume.fs;
    if (!fs || (fs.kind !== 'ntfs' && fs.kind !== 'fat')) continue;
    let system: Hive | undefined;
    try {
      system = await openHive(fs, SYSTEM_HIVE, 'SYSTEM');
    } catch (err) {
      notes.push(`${volume.name}: cannot read the SYSTEM registry hive: ${messageOf(err)}`);
      continue;
    }
    if (system === undefined) continue;
    if (system.dirty) {
      notes.push(
        `${volume.name}: the SYSTEM hive was not closed cleanly; recent changes may be missing`,
      );
    }
    const guestOs: GuestOs = { family: 'windows' };
    const driveLetters = new Map<string, string>();
    try {
      const controlSet = await currentControlSet(system);
      const hostname = await computerName(system, controlSet);
      if (hostname) guestOs.hostname = hostname;
    } catch (err) {
      notes.push(`${volume.name}: cannot read the computer name: ${messageOf(err)}`);
    }
    try {
      for (const [name, letter] of await mountedDevices(system, volumes, notes))
        driveLetters.set(name, letter);
    } catch (err) {
      notes.push(`${volume.name}: cannot read MountedDevices: ${messageOf(err)}`);
    }
    try {
      const software = await openHive(fs, SOFTWARE_HIVE, 'SOFTWARE');
      if (software) Object.assign(guestOs, await productOf(software));
      else notes.push(`${volume.name}: no SOFTWARE hive: the Windows version is unknown`);
    } catch (err) {
      notes.push(`${volume.name}: cannot read the SOFTWARE registry hive: ${messageOf(err)}`);
    }
    return { systemVolume: volume, guestOs, driveLetters };
  }
  return undefined;
}

/** "ControlSet001": the set Select\Current names (Default on old hives), else the first. */
async function currentControlSet(system: Hive): Promise<string> {
  const select = await system.open('Select');
  for (const name of ['Current', 'Default']) {
    const value = select ? await system.value(select, name) : undefined;
    if (value === undefined) continue;
    const n = valueNumber(system.name, value);
    if (n >= 1 && n <= 999) return `ControlSet${String(n).padStart(3, '0')}`;
  }
  return 'ControlSet001';
}

async function stringValue(hive: Hive, key: RegistryKey | undefined, name: string) {
  const value = key ? await hive.value(key, name) : undefined;
  const text = value ? valueString(hive.name, value).trim() : '';
  return text === '' ? undefined : text;
}

async function computerName(system: Hive, controlSet: string): Promise<string | undefined> {
  const key = await system.open(`${controlSet}\\Control\\ComputerName\\ComputerName`);
  const name = await stringValue(system, key, 'ComputerName');
  if (name) return name;
  const tcpip = await system.open(`${controlSet}\\Services\\Tcpip\\Parameters`);
  return stringValue(system, tcpip, 'Hostname');
}

/**
 * MountedDevices maps `\DosDevices\C:` to the partition: 12 bytes (MBR disk signature + the
 * partition's byte offset) or "DMIO:ID:" + the GPT partition GUID.
 */
async function mountedDevices(
  system: Hive,
  volumes: GuestVolume[],
  notes: string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const key = await system.open('MountedDevices');
  if (key === undefined) return out;
  for (const value of await system.values(key)) {
    const letter = /^\\DosDevices\\([A-Za-z]:)$/.exec(value.name)?.[1]?.toUpperCase();
    if (letter === undefined) continue;
    const d = value.data;
    let volume: GuestVolume | undefined;
    if (d.length === 12) {
      const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
      const signature = view.getUint32(0, true);
      const offset = Number(view.getBigUint64(4, true));
      volume = volumes.find(
        (v) =>
          v.partition?.scheme === 'mbr' &&
          v.partition.diskSignature === signature &&
          v.offsetBytes === offset,
      );
    } else if (
      d.length >= 24 &&
      new TextDecoder('latin1').decode(d.subarray(0, 8)) === 'DMIO:ID:'
    ) {
      const guid = guidMixedEndian(d, 8);
      volume = volumes.find(
        (v) => v.partition?.scheme === 'gpt' && v.partition.guid.toUpperCase() === guid,
      );
    } else {
      continue; // removable media and dynamic disks are named by device path: not a volume here
    }
    if (volume === undefined) {
      notes.push(`drive ${letter} is on a partition that is not among the VM's disks`);
    } else if (!out.has(volume.name)) {
      out.set(volume.name, letter);
    }
  }
  return out;
}

/** Product name and version from SOFTWARE\Microsoft\Windows NT\CurrentVersion. */
async function productOf(software: Hive): Promise<Pick<GuestOs, 'name' | 'version'>> {
  const key = await software.open('Microsoft\\Windows NT\\CurrentVersion');
  if (key === undefined) return {};
  const text = (name: string) => stringValue(software, key, name);
  const number = async (name: string): Promise<number | undefined> => {
    const value = await software.value(key, name);
    return value ? valueNumber(software.name, value) : undefined;
  };
  const build = (await text('CurrentBuild')) ?? (await text('CurrentBuildNumber'));
  const major = await number('CurrentMajorVersionNumber');
  const minor = await number('CurrentMinorVersionNumber');
  const base = major !== undefined ? `${major}.${minor ?? 0}` : await text('CurrentVersion');
  const numeric = [base, build].filter(Boolean).join('.');
  const release = (await text('DisplayVersion')) ?? (await text('ReleaseId'));
  let name = await text('ProductName');
  if (name?.startsWith('Windows 10') && Number(build) >= WINDOWS_11_FIRST_BUILD) {
    name = `Windows 11${name.slice('Windows 10'.length)}`;
  }
  const version = release && numeric ? `${release} (${numeric})` : release || numeric;
  const out: Pick<GuestOs, 'name' | 'version'> = {};
  if (name) out.name = name;
  if (version) out.version = version;
  return out;
}
