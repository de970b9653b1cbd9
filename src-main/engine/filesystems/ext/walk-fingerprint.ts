import { createHash } from 'node:crypto';
import type { ExtSuperblock } from './superblock';

/**
 * What makes two walks of an ext volume comparable inode by inode (InodeDeltaSupport): the
 * superblock's geometry and features, and where every group's inode table is. A resize,
 * reformat or tune2fs of the inode size gives another fingerprint, and a full walk.
 */
export function extWalkFingerprint(sb: ExtSuperblock, tableLocations: readonly number[]): string {
  const geometry = [
    sb.inodesCount,
    sb.blocksCount,
    sb.firstDataBlock,
    sb.blockSize,
    sb.clusterSize,
    sb.blocksPerGroup,
    sb.inodesPerGroup,
    sb.inodeSize,
    sb.groupCount,
    sb.descSize,
    sb.firstMetaBg,
    sb.featureCompat,
    sb.featureIncompat,
    sb.featureRoCompat,
    sb.uuid,
  ];
  const hash = createHash('sha256').update(`ext ${JSON.stringify(geometry)}`);
  hash.update(Float64Array.from(tableLocations));
  return hash.digest('hex');
}
