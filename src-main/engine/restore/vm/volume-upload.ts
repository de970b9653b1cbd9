/**
 * A point's disk sent into an existing libvirt volume through the volume upload stream, as the
 * guest sees it (raw bytes). A disk of a restore point streams only its stored blocks, built
 * ahead on the decoding threads (the same path as a restore into an image file); the gaps between
 * them and zero runs inside them travel as hole packets, so zeros cost nothing on the wire or in
 * the volume. Any other reader is read block by block, one block ahead.
 */
import type { StorageVolRef } from '../../connectors/libvirt/backup-procedures';
import type { LibvirtConnector } from '../../connectors/libvirt/libvirt-connector';
import type { StreamSink } from '../../connectors/libvirt/outgoing-stream';
import {
  invokeUpload,
  STORAGE_VOL_UPLOAD,
  VolUploadFlags,
} from '../../connectors/libvirt/restore-procedures';
import type { RandomAccessReader } from '../../io/random-access';
import { PointDiskReader, type DiskBlock } from '../../repository/disk-reader';
import type { DiskDigest } from './disk-digest';

/** Blocks of a restore point's disk: one job for a decoding thread each. */
const STREAM_BLOCK = 8 * 1024 * 1024;
const READ_BLOCK = 4 * 1024 * 1024;
/** Zero runs shorter than this travel as data: a hole packet per 4 KiB would cost more. */
const HOLE_GRAIN = 64 * 1024;
/** The host may take a while to flush a large volume when the stream finishes. */
const FINISH_TIMEOUT_MS = 10 * 60_000;

/** The reader's blocks holding data, in disk order; everything between them reads as zeros. */
async function* blocksOf(
  reader: RandomAccessReader,
  signal: AbortSignal,
): AsyncGenerator<DiskBlock> {
  if (reader instanceof PointDiskReader) {
    yield* reader.dataBlocks(STREAM_BLOCK, signal);
    return;
  }
  const readAt = (offset: number): Promise<Uint8Array> | null => {
    if (offset >= reader.size) return null;
    const read = reader.read(offset, Math.min(READ_BLOCK, reader.size - offset));
    read.catch(() => undefined); // awaited below; never unhandled if we stop early
    return read;
  };
  // The next block is read while this one travels to the host.
  let next = readAt(0);
  for (let offset = 0; next !== null; offset += READ_BLOCK) {
    const data = await next;
    next = readAt(offset + READ_BLOCK);
    yield { offset, data, release: () => undefined };
  }
}

function isZero(block: Uint8Array): boolean {
  const words = new BigUint64Array(block.buffer, block.byteOffset, block.byteLength >> 3);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0n) return false;
  for (let i = words.length << 3; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Writes the reader's bytes into the sink: data runs as data, zero runs and gaps as holes. */
async function produce(
  sink: StreamSink,
  reader: RandomAccessReader,
  signal: AbortSignal,
  onProgress: (bytesDone: number) => void,
  digest: DiskDigest | undefined,
): Promise<void> {
  let pendingHole = 0;
  let done = 0;
  for await (const block of blocksOf(reader, signal)) {
    if (signal.aborted) throw signal.reason;
    pendingHole += block.offset - done;
    const { data } = block;
    digest?.update(block.offset, data);
    // Bounded: each iteration consumes at least one grain of the block.
    for (let at = 0; at < data.length;) {
      const end = Math.min(at + HOLE_GRAIN, data.length);
      if (isZero(data.subarray(at, end))) {
        pendingHole += end - at;
        at = end;
        continue;
      }
      // Consecutive data grains go out together: fewer, fuller packets.
      let dataEnd = end;
      while (dataEnd < data.length) {
        const nextEnd = Math.min(dataEnd + HOLE_GRAIN, data.length);
        if (isZero(data.subarray(dataEnd, nextEnd))) break;
        dataEnd = nextEnd;
      }
      if (pendingHole > 0) await sink.hole(pendingHole);
      pendingHole = 0;
      await sink.data(data.subarray(at, dataEnd));
      at = dataEnd;
    }
    // The stream has framed (copied) the bytes once its writes resolved.
    block.release();
    done = block.offset + data.length;
    onProgress(done);
  }
  pendingHole += reader.size - done;
  if (pendingHole > 0) await sink.hole(pendingHole);
  onProgress(reader.size);
}

export interface SendDiskOptions {
  connector: LibvirtConnector;
  /** A volume of at least reader.size bytes; raw, since the guest's bytes go in as they are. */
  vol: StorageVolRef;
  reader: RandomAccessReader;
  signal: AbortSignal;
  onProgress: (bytesDone: number) => void;
  /** Fed every block sent, for a read-back check of the volume afterwards. */
  digest?: DiskDigest;
}

/** Fills the volume with the reader's bytes; resolves once libvirt confirmed the stream. */
export async function sendDiskToVolume(o: SendDiskOptions): Promise<void> {
  await invokeUpload(
    o.connector.uploads,
    STORAGE_VOL_UPLOAD,
    { vol: o.vol, offset: 0, length: o.reader.size, flags: VolUploadFlags.SPARSE_STREAM },
    (sink) => produce(sink, o.reader, o.signal, o.onProgress, o.digest),
    { signal: o.signal, timeoutMs: FINISH_TIMEOUT_MS },
  );
}
