/**
 * A vSphere virtual disk read in place on its datastore: the VMDK descriptor (or monolithic
 * sparse / streamOptimized file), its extents and any parent disks of earlier snapshots, each a
 * datastore file read with ranged GETs and decoded by the VMDK reader.
 */
import { HyperkeepError } from '../../../../shared/errors';
import {
  formatDatastorePath,
  parseDatastorePath,
  siblingPath,
  type DatastorePath,
} from '../../connectors/vsphere/datastore-files';
import type { VsphereConnector } from '../../connectors/vsphere/vsphere-connector';
import type { DiskImage } from '../../formats/disk-image';
import { RawImage } from '../../formats/raw/raw-image';
import { VmdkImage } from '../../formats/vmdk/vmdk-image';

/** Snapshot chains in vSphere are limited to 32 levels. */
const MAX_CHAIN = 32;

/** Extent and parent names are plain file names in the descriptor's folder on the datastore. */
function sibling(of: DatastorePath, name: string, what: string): DatastorePath {
  if (name.includes('/') || name === '..' || name === '.' || name === '') {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `${formatDatastorePath(of)} names ${what} "${name}" outside its own folder; Hyperkeep reads disks whose files share one datastore folder`,
    );
  }
  return siblingPath(of, name);
}

async function openFile(
  connector: VsphereConnector,
  datacenter: string,
  file: DatastorePath,
  signal: AbortSignal,
): Promise<RawImage> {
  const source = await connector.files.open(datacenter, file, signal);
  return RawImage.fromSource(source, `${formatDatastorePath(file)} on ${connector.url.host}`);
}

async function openVmdk(
  connector: VsphereConnector,
  datacenter: string,
  file: DatastorePath,
  signal: AbortSignal,
): Promise<VmdkImage> {
  const first = await openFile(connector, datacenter, file, signal);
  try {
    return await VmdkImage.fromFile(first, async (name) =>
      name === file.path.split('/').pop()
        ? first
        : openFile(connector, datacenter, sibling(file, name, 'an extent'), signal),
    );
  } catch (err) {
    await first.close();
    throw err;
  }
}

/** Opens `[datastore] folder/disk.vmdk` of `datacenter` with its parent chain. */
export async function openDatastoreDisk(
  connector: VsphereConnector,
  datacenter: string,
  fileName: string,
  signal: AbortSignal,
): Promise<DiskImage> {
  let path = parseDatastorePath(fileName);
  const top = await openVmdk(connector, datacenter, path, signal);
  try {
    let child = top;
    const seen = new Set([path.path]);
    while (child.parent !== undefined) {
      const hint = child.parent.candidates[0] ?? '';
      path = sibling(path, hint, 'its parent disk');
      if (seen.has(path.path) || seen.size >= MAX_CHAIN) {
        throw new HyperkeepError(
          'INVALID_INPUT',
          `The snapshot chain of ${fileName} loops or is deeper than ${MAX_CHAIN} disks`,
        );
      }
      seen.add(path.path);
      const parent = await openVmdk(connector, datacenter, path, signal);
      child.attachBacking(parent);
      child = parent;
    }
    return top;
  } catch (err) {
    await top.close();
    throw err;
  }
}
