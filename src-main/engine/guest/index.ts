/** Guest OS detection from a VM's file systems (issue 5): OS, host name, mount points, drive letters. */
export { detectGuest } from './detect-guest';
export {
  guestVolumeFromInfo,
  identityOf,
  type GuestDetection,
  type GuestVolume,
} from './guest-volume';
export { detectLinux, type LinuxFindings } from './linux';
export { detectWindows, type WindowsFindings } from './windows';
export {
  isSwap,
  matchVolume,
  mbrPartUuid,
  parseDeviceSpec,
  parseFstab,
  unescapeFstabField,
  type DeviceSpec,
  type FstabEntry,
  type VolumeIdentity,
} from './fstab';
export { GuestNamespace, type Mount } from './guest-files';
export {
  hostnameFromFile,
  parseOsRelease,
  releaseFromDebianVersion,
  releaseFromOsRelease,
  releaseFromRedhatRelease,
  type LinuxRelease,
} from './os-release';
export { Hive, REG, type RegistryKey, type RegistryValue } from './registry/hive';
export { HiveFile, hiveError, type HiveSource } from './registry/hive-file';
export { utf16Text, valueNumber, valueString, valueStrings } from './registry/values';
