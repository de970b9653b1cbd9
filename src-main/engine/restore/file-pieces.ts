import type { PointFileSource, SourceEntry } from './point-file-source';

/** A piece of a file: `data` goes at `offset`; holes between pieces read as zeros. */
export interface FilePiece {
  offset: number;
  data: Uint8Array;
}

const PIECE_BYTES = 1024 * 1024;
/** Pieces read ahead of the writer: the repository fetches their chunks in parallel. */
const PIECES_AHEAD = 6;

/**
 * The data pieces of one file, in order, with reads of the next pieces already running while
 * the caller writes the current one. Only the file's data ranges are read: holes cost nothing.
 */
export async function* filePieces(
  source: PointFileSource,
  file: SourceEntry,
  signal?: AbortSignal,
): AsyncGenerator<FilePiece> {
  const wanted: { offset: number; length: number }[] = [];
  for (const range of await source.dataRanges(file)) {
    for (let at = range.offset; at < range.offset + range.length; at += PIECE_BYTES)
      wanted.push({ offset: at, length: Math.min(PIECE_BYTES, range.offset + range.length - at) });
  }
  const inFlight: Promise<Uint8Array>[] = [];
  let issued = 0;
  const issue = () => {
    while (inFlight.length < PIECES_AHEAD && issued < wanted.length) {
      const w = wanted[issued++]!;
      const p = source.read(file, w.offset, w.length);
      // Errors surface when the piece is awaited; this keeps an abandoned one from being unhandled.
      p.catch(() => undefined);
      inFlight.push(p);
    }
  };
  for (let i = 0; i < wanted.length; i++) {
    if (signal?.aborted) throw signal.reason;
    issue();
    const data = await inFlight.shift()!;
    yield { offset: wanted[i]!.offset, data };
  }
}

const ZEROS = Buffer.alloc(PIECE_BYTES);

/** memcmp against zeros, a slice at a time: a JS loop over the bytes would cap the restore rate. */
export function isAllZero(block: Uint8Array): boolean {
  for (let at = 0; at < block.length; at += ZEROS.length) {
    const piece = block.subarray(at, Math.min(block.length, at + ZEROS.length));
    if (Buffer.compare(piece, ZEROS.subarray(0, piece.length)) !== 0) return false;
  }
  return true;
}
