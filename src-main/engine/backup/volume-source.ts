import { HyperkeepError } from '../../../shared/errors';
import {
  STORAGE_VOL_DOWNLOAD,
  VolDownloadFlags,
  type StorageVolRef,
} from '../connectors/libvirt/backup-procedures';
import type { StreamPiece } from '../connectors/libvirt/incoming-stream';
import { invokeDownload, type RpcStreamCaller } from '../connectors/libvirt/procedures';
import type { ByteSource } from '../formats/raw/raw-image';

/**
 * A storage volume's file read through libvirt's volume download, one ranged stream per read:
 * random access to an image on any host libvirt reaches. Sparse streams turn the file's holes
 * into hole packets, so unallocated parts of a raw image cost nothing on the wire.
 */
export class VolumeByteSource implements ByteSource {
  private sparse = true;

  constructor(
    private readonly streams: RpcStreamCaller,
    private readonly vol: StorageVolRef,
    readonly size: number,
    /** Names the volume in messages. */
    private readonly label: string,
    private readonly signal: AbortSignal,
  ) {}

  async readInto(target: Uint8Array, offset: number): Promise<void> {
    if (target.length === 0) return;
    try {
      await this.download(target, offset);
    } catch (err) {
      // Daemons without sparse streams for this volume type refuse the flag: read plainly.
      if (!this.sparse || !(err instanceof HyperkeepError) || !/flag|sparse/i.test(err.message)) {
        throw err;
      }
      this.sparse = false;
      await this.download(target, offset);
    }
  }

  async close(): Promise<void> {
    // Each read is its own stream; nothing stays open between them.
  }

  private async download(target: Uint8Array, offset: number): Promise<void> {
    let pos = 0;
    const consume = (piece: StreamPiece): void => {
      const n = piece.kind === 'data' ? piece.data.length : piece.length;
      if (pos + n > target.length) {
        throw new HyperkeepError(
          'HYPERVISOR_ERROR',
          `libvirt streamed more than the ${target.length} bytes asked for at offset ${offset} of ${this.label}`,
        );
      }
      if (piece.kind === 'data') target.set(piece.data, pos);
      else target.fill(0, pos, pos + n);
      pos += n;
    };
    await invokeDownload(
      this.streams,
      STORAGE_VOL_DOWNLOAD,
      {
        vol: this.vol,
        offset,
        length: target.length,
        flags: this.sparse ? VolDownloadFlags.SPARSE_STREAM : 0,
      },
      consume,
      { signal: this.signal },
    );
    if (pos !== target.length) {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `libvirt's stream of ${this.label} ended after ${pos} of the ${target.length} bytes asked for at offset ${offset}`,
      );
    }
  }
}
