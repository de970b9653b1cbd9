import { ByteView, isPowerOfTwo } from '../binary';

export interface NtfsBootSector {
  bytesPerSector: number;
  clusterSize: number;
  /** Clusters the volume spans (the backup boot sector lies just past them). */
  clusterCount: number;
  mftLcn: number;
  mftRecordSize: number;
  indexBlockSize: number;
  /** Volume serial number as Windows and blkid print it (16 hex digits). */
  serial: string;
}

export const NTFS_OEM_ID = 'NTFS    ';
const MAX_CLUSTER = 2 * 1024 * 1024;

export function parseBootSector(bytes: Uint8Array, volumeSize: number): NtfsBootSector {
  const v = new ByteView(bytes, 'NTFS', 'boot sector');
  if (v.ascii(3, 8) !== NTFS_OEM_ID) throw v.fail('has no "NTFS" signature: not an NTFS volume');
  if (v.u16(510) !== 0xaa55) throw v.fail('lacks the 0x55AA end marker');
  const bytesPerSector = v.u16(11);
  if (!isPowerOfTwo(bytesPerSector) || bytesPerSector < 256 || bytesPerSector > 4096) {
    throw v.fail(`has ${bytesPerSector} bytes per sector (256..4096, a power of two)`);
  }
  const spc = v.u8(13);
  // Values above 0x80 encode clusters of 2^(256 - value) sectors (for clusters over 64 KiB).
  const sectorsPerCluster = spc > 0x80 ? 2 ** (256 - spc) : spc;
  const clusterSize = sectorsPerCluster * bytesPerSector;
  if (!isPowerOfTwo(sectorsPerCluster) || clusterSize > MAX_CLUSTER) {
    throw v.fail(
      `has a cluster size of ${clusterSize} bytes (sectors per cluster byte 0x${spc.toString(16)})`,
    );
  }
  const totalSectors = v.u64(0x28, 'total sectors');
  const bytes64 = totalSectors * bytesPerSector;
  if (bytes64 > volumeSize) {
    throw v.fail(
      `describes ${bytes64} bytes but the volume holds only ${volumeSize} (truncated image?)`,
    );
  }
  const clusterCount = Math.floor(bytes64 / clusterSize);
  const mftLcn = v.u64(0x30, 'MFT cluster');
  if (mftLcn === 0 || mftLcn >= clusterCount) {
    throw v.fail(
      `puts the MFT at cluster ${mftLcn}, outside the volume's ${clusterCount} clusters`,
    );
  }
  const mftRecordSize = recordSize(v, v.i8(0x40), clusterSize, 'MFT record');
  const indexBlockSize = recordSize(v, v.i8(0x44), clusterSize, 'index block');
  const serial = v.u64big(0x48).toString(16).toUpperCase().padStart(16, '0');
  return {
    bytesPerSector,
    clusterSize,
    clusterCount,
    mftLcn,
    mftRecordSize,
    indexBlockSize,
    serial,
  };
}

/** Positive: clusters per record; negative: the record is 2^-value bytes (smaller than a cluster). */
function recordSize(v: ByteView, raw: number, clusterSize: number, what: string): number {
  const size = raw > 0 ? raw * clusterSize : raw < 0 && raw >= -20 ? 2 ** -raw : 0;
  if (!isPowerOfTwo(size) || size < 512 || size > 65536) {
    throw v.fail(`gives an ${what} size of ${size} bytes (raw value ${raw})`);
  }
  return size;
}
