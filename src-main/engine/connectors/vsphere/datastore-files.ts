/**
 * Datastore files over HTTPS `/folder/<path>?dcPath=<datacenter>&dsName=<datastore>`, the file
 * access vCenter and ESX both offer in the SOAP session: ranged GETs for reading disks in place,
 * PUT for uploading restored ones.
 */
import type { Readable } from 'node:stream';
import { HyperkeepError } from '../../../../shared/errors';
import type { ByteSource } from '../../formats/raw/raw-image';
import type { VimClient } from './vim-client';

export interface DatastorePath {
  datastore: string;
  /** Path inside the datastore, `/`-separated, no leading slash. */
  path: string;
}

/** Splits `[LocalDS_0] vm/disk.vmdk`. */
export function parseDatastorePath(text: string): DatastorePath {
  const m = /^\[([^\]]+)\]\s*(.*)$/.exec(text.trim());
  if (!m || m[2] === undefined || m[2] === '') {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `"${text}" is not a datastore path like "[datastore] folder/disk.vmdk"`,
    );
  }
  return { datastore: m[1]!, path: m[2].replace(/^\/+/, '') };
}

export function formatDatastorePath(p: DatastorePath): string {
  return `[${p.datastore}] ${p.path}`;
}

/** A sibling of `p` in the same datastore folder (a descriptor's extent file). */
export function siblingPath(p: DatastorePath, name: string): DatastorePath {
  const dir = p.path.includes('/') ? p.path.slice(0, p.path.lastIndexOf('/') + 1) : '';
  return { datastore: p.datastore, path: dir + name };
}

/** Reads are fetched in aligned blocks of this size and a few kept: VMDK grain tables and grains
 * are small reads close together, which would otherwise each be an HTTP request. */
const BLOCK_BYTES = 1024 * 1024;
const CACHED_BLOCKS = 8;
const MAX_CONTENT_RANGE = /^bytes (?:\d+-\d+|\*)\/(\d+)$/;

export class DatastoreFiles {
  constructor(private readonly client: VimClient) {}

  private url(datacenterPath: string, file: DatastorePath): string {
    const path = file.path.split('/').map(encodeURIComponent).join('/');
    const query = new URLSearchParams({ dcPath: datacenterPath, dsName: file.datastore });
    return `/folder/${path}?${query.toString()}`;
  }

  private headers(extra: Record<string, string | number>): Record<string, string | number> {
    const cookie = this.client.cookieHeader;
    return cookie ? { ...extra, Cookie: cookie } : extra;
  }

  private async get(
    datacenterPath: string,
    file: DatastorePath,
    from: number,
    to: number,
    signal?: AbortSignal,
  ) {
    await this.client.login(signal);
    const reply = await this.client.https.request({
      method: 'GET',
      path: this.url(datacenterPath, file),
      headers: this.headers({ Range: `bytes=${from}-${to}` }),
      // Error replies carry a short text body, longer than a one-byte probe.
      maxBytes: Math.max(to - from + 1, 64 * 1024),
      ...(signal ? { signal } : {}),
    });
    if (reply.status === 404) {
      throw new HyperkeepError(
        'NOT_FOUND',
        `${formatDatastorePath(file)} does not exist in datacenter ${datacenterPath}`,
      );
    }
    if (reply.status === 401 || reply.status === 403) {
      throw new HyperkeepError(
        'AUTH_FAILED',
        `The vSphere server refused to read ${formatDatastorePath(file)} (HTTP ${reply.status}): the user needs the Datastore.Browse privilege`,
      );
    }
    return reply;
  }

  /** The file's size in bytes. */
  async size(datacenterPath: string, file: DatastorePath, signal?: AbortSignal): Promise<number> {
    const reply = await this.get(datacenterPath, file, 0, 0, signal);
    const range = MAX_CONTENT_RANGE.exec(String(reply.headers['content-range'] ?? ''));
    if (range) return Number(range[1]);
    if (reply.status === 200) return Number(reply.headers['content-length'] ?? reply.body.length);
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `Cannot tell the size of ${formatDatastorePath(file)}: HTTP ${reply.status}`,
    );
  }

  async read(
    datacenterPath: string,
    file: DatastorePath,
    offset: number,
    length: number,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    const reply = await this.get(datacenterPath, file, offset, offset + length - 1, signal);
    if (reply.status !== 206 && !(reply.status === 200 && offset === 0)) {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `Reading ${length} bytes at ${offset} of ${formatDatastorePath(file)} failed: HTTP ${reply.status}`,
      );
    }
    if (reply.body.length < length) {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `${formatDatastorePath(file)} ended at byte ${offset + reply.body.length}, ${length} bytes were asked at ${offset}`,
      );
    }
    return reply.body.subarray(0, length);
  }

  /** Opens a datastore file for random reads (a RawImage source). */
  async open(
    datacenterPath: string,
    file: DatastorePath,
    signal?: AbortSignal,
  ): Promise<ByteSource> {
    const size = await this.size(datacenterPath, file, signal);
    const blocks = new Map<number, Promise<Buffer>>();
    const block = (index: number): Promise<Buffer> => {
      let cached = blocks.get(index);
      if (cached) {
        blocks.delete(index); // re-inserted below: Map order is the LRU order
      } else {
        const at = index * BLOCK_BYTES;
        cached = this.read(datacenterPath, file, at, Math.min(BLOCK_BYTES, size - at), signal);
        cached.catch(() => blocks.delete(index));
      }
      blocks.set(index, cached);
      while (blocks.size > CACHED_BLOCKS) blocks.delete(blocks.keys().next().value!);
      return cached;
    };
    return {
      size,
      readInto: async (target, offset) => {
        if (offset < 0 || offset + target.length > size) {
          throw new HyperkeepError(
            'INVALID_INPUT',
            `Read of ${target.length} bytes at ${offset} is beyond the ${size} bytes of ${formatDatastorePath(file)}`,
          );
        }
        if (target.length >= BLOCK_BYTES) {
          target.set(await this.read(datacenterPath, file, offset, target.length, signal));
          return;
        }
        let done = 0;
        while (done < target.length) {
          const at = offset + done;
          const data = await block(Math.floor(at / BLOCK_BYTES));
          const inBlock = at % BLOCK_BYTES;
          const n = Math.min(target.length - done, data.length - inBlock);
          target.set(data.subarray(inBlock, inBlock + n), done);
          done += n;
        }
      },
      close: () => {
        blocks.clear();
        return Promise.resolve();
      },
    };
  }

  /** Uploads `body` (`size` bytes) as the file, replacing it. */
  async put(
    datacenterPath: string,
    file: DatastorePath,
    body: Buffer | Readable,
    size: number,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.client.login(signal);
    const reply = await this.client.https.request({
      method: 'PUT',
      path: this.url(datacenterPath, file),
      headers: this.headers({ 'Content-Type': 'application/octet-stream', 'Content-Length': size }),
      body,
      maxBytes: 1024 * 1024,
      ...(signal ? { signal } : {}),
    });
    if (reply.status < 200 || reply.status >= 300) {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `Uploading ${formatDatastorePath(file)} failed: HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 200)}`,
      );
    }
  }
}
