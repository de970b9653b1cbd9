import { ByteView, isPowerOfTwo } from '../binary';

export interface FatGeometry {
  bits: 12 | 16 | 32;
  bytesPerSector: number;
  clusterSize: number;
  /** Byte offset of the FAT in use (FAT32 can disable mirroring and pick another copy). */
  fatOffset: number;
  fatBytes: number;
  /** FAT12/16: fixed root directory region. */
  rootDirOffset: number;
  rootDirBytes: number;
  /** FAT32: first cluster of the root directory chain. */
  rootCluster: number;
  dataOffset: number;
  clusterCount: number;
  totalBytes: number;
  bpbLabel?: string;
  volumeId?: string;
}

/**
 * Reads the BIOS parameter block. The FAT width follows from the cluster count alone, as the
 * Microsoft specification says — never from the "FAT12 / FAT16" text, which is only a comment.
 */
export function parseFatBootSector(bytes: Uint8Array, volumeSize: number): FatGeometry {
  const v = new ByteView(bytes, 'FAT', 'boot sector');
  if (v.u16(510) !== 0xaa55) throw v.fail('lacks the 0x55AA end marker: not a FAT volume');
  const bytesPerSector = v.u16(11);
  const sectorsPerCluster = v.u8(13);
  const reserved = v.u16(14);
  const fats = v.u8(16);
  const rootEntries = v.u16(17);
  const totalSectors = v.u16(19) || v.u32(32);
  const fatSize16 = v.u16(22);
  const fatSectors = fatSize16 || v.u32(36);
  if (!isPowerOfTwo(bytesPerSector) || bytesPerSector < 512 || bytesPerSector > 4096) {
    throw v.fail(`has ${bytesPerSector} bytes per sector (512..4096, a power of two)`);
  }
  if (!isPowerOfTwo(sectorsPerCluster) || sectorsPerCluster > 128) {
    throw v.fail(`has ${sectorsPerCluster} sectors per cluster (a power of two up to 128)`);
  }
  if (reserved === 0 || fats === 0 || fats > 4 || fatSectors === 0 || totalSectors === 0) {
    throw v.fail(
      `has an impossible layout (${reserved} reserved sectors, ${fats} FATs of ${fatSectors} sectors, ${totalSectors} sectors)`,
    );
  }
  const totalBytes = totalSectors * bytesPerSector;
  if (totalBytes > volumeSize) {
    throw v.fail(
      `describes ${totalBytes} bytes but the volume holds only ${volumeSize} (truncated image?)`,
    );
  }
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const dataSector = reserved + fats * fatSectors + rootDirSectors;
  if (dataSector >= totalSectors)
    throw v.fail(`leaves no data area (data starts at sector ${dataSector} of ${totalSectors})`);
  const clusterCount = Math.floor((totalSectors - dataSector) / sectorsPerCluster);
  const bits = clusterCount < 4085 ? 12 : clusterCount < 65525 ? 16 : 32;
  if (bits === 32 && (fatSize16 !== 0 || rootEntries !== 0)) {
    throw v.fail(`has ${clusterCount} clusters (FAT32) but a FAT12/16 parameter block`);
  }
  const fatBytes = fatSectors * bytesPerSector;
  if (Math.ceil(((clusterCount + 2) * bits) / 8) > fatBytes) {
    throw v.fail(`has FATs of ${fatBytes} bytes, too small for ${clusterCount} clusters`);
  }
  let activeFat = 0;
  let rootCluster = 0;
  if (bits === 32) {
    const extFlags = v.u16(40);
    // Bit 7 set: mirroring off, only the FAT numbered in bits 0-3 is current.
    if ((extFlags & 0x80) !== 0) activeFat = extFlags & 0x0f;
    if (activeFat >= fats) throw v.fail(`names FAT ${activeFat} as active of ${fats}`);
    rootCluster = v.u32(44);
    if (rootCluster < 2 || rootCluster >= clusterCount + 2) {
      throw v.fail(`puts the root directory at cluster ${rootCluster} (2..${clusterCount + 1})`);
    }
  }
  const geometry: FatGeometry = {
    bits,
    bytesPerSector,
    clusterSize: sectorsPerCluster * bytesPerSector,
    fatOffset: (reserved + activeFat * fatSectors) * bytesPerSector,
    fatBytes,
    rootDirOffset: (reserved + fats * fatSectors) * bytesPerSector,
    rootDirBytes: rootEntries * 32,
    rootCluster,
    dataOffset: dataSector * bytesPerSector,
    clusterCount,
    totalBytes,
  };
  // Extended boot record: signature 0x29 means volume id and label are present.
  const ebr = bits === 32 ? 64 : 36;
  if (v.u8(ebr + 2) === 0x29) {
    const id = v
      .u32(ebr + 3)
      .toString(16)
      .toUpperCase()
      .padStart(8, '0');
    geometry.volumeId = `${id.slice(0, 4)}-${id.slice(4)}`;
    const label = v.ascii(ebr + 7, 11).trimEnd();
    if (label !== '' && label !== 'NO NAME') geometry.bpbLabel = label;
  }
  return geometry;
}
