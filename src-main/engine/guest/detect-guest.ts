import { messageOf, type GuestDetection, type GuestVolume } from './guest-volume';
import { detectLinux } from './linux';
import { detectWindows } from './windows';

/**
 * Tells which operating system a VM runs, its host name, where its Linux volumes are mounted and
 * which drive letters its Windows volumes have, from the file systems alone: /etc/os-release,
 * /etc/hostname and /etc/fstab of a Linux root; the SYSTEM and SOFTWARE registry hives of a
 * Windows system volume. Never throws for damaged guest data: what could not be read is in
 * `notes`, and the rest is still returned.
 */
export async function detectGuest(volumes: GuestVolume[]): Promise<GuestDetection> {
  const notes: string[] = [];
  // Each side already turns bad guest data into notes; this guards against the unforeseen.
  const linux = await detectLinux(volumes, notes).catch((err: unknown) => {
    notes.push(`Linux detection stopped: ${messageOf(err)}`);
    return undefined;
  });
  const windows = await detectWindows(volumes, notes).catch((err: unknown) => {
    notes.push(`Windows detection stopped: ${messageOf(err)}`);
    return undefined;
  });
  const detection: GuestDetection = {
    mountPoints: linux?.mountPoints ?? new Map(),
    driveLetters: windows?.driveLetters ?? new Map(),
    notes,
  };
  if (linux && windows) {
    notes.push(
      `both Linux (${linux.root.name}) and Windows (${windows.systemVolume.name}) found; reporting Linux`,
    );
  }
  if (linux) {
    detection.guestOs = linux.guestOs;
    if (linux.osId) detection.osId = linux.osId;
  } else if (windows) {
    detection.guestOs = windows.guestOs;
    detection.osId = 'windows';
  }
  return detection;
}
