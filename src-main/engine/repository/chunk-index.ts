import { HyperkeepError } from '../../../shared/errors';
import { RepoKeys, type RepositoryBackend } from './backend';
import { ByteReader, ByteWriter, FormatError, fromHex, toHex } from './binary';
import { PACK_MAGIC, readBlobEntries, writeBlobEntries, type BlobEntry } from './pack-format';
import {
  MAIN_THREAD_MODULES,
  SealError,
  compressAndSeal,
  openSealed,
  unpackPayloadSync,
  type SealParams,
} from './sealing';

/**
 * Index files (`index/<id>`): which blobs each pack holds, so that a chunk is found without
 * opening packs. Sealed (AAD "index"), zstd inside. Plaintext layout:
 *   "HKIX" | u32 version=1 | u32 pack count |
 *   per pack: pack id (32) | u32 pack size | blob table (u32 count + 45-byte entries, as in packs)
 * Index files are immutable; gc replaces many by one consolidated file.
 */
const INDEX_MAGIC = 'HKIX';
const INDEX_AAD = Buffer.from('index');
const MAX_INDEX_PLAINTEXT = 1024 * 1024 * 1024;

export interface PackRecord {
  id: string;
  size: number;
  blobs: BlobEntry[];
}

/** A blob's location: its pack and its entry there. */
export interface BlobLocation extends BlobEntry {
  pack: string;
}

export function encodeIndexFile(packs: readonly PackRecord[], seal: SealParams): Uint8Array {
  const w = new ByteWriter();
  w.bytes(Buffer.from(INDEX_MAGIC, 'latin1')).u32(1).u32(packs.length);
  for (const p of packs) {
    w.bytes(fromHex(p.id)).u32(p.size);
    writeBlobEntries(w, p.blobs);
  }
  return compressAndSeal(MAIN_THREAD_MODULES, { ...seal, level: 3 }, INDEX_AAD, w.finish());
}

export function decodeIndexFile(sealed: Uint8Array, seal: SealParams, name: string): PackRecord[] {
  const plain = unpackPayloadSync(openSealed(seal, INDEX_AAD, sealed), MAX_INDEX_PLAINTEXT);
  const r = new ByteReader(plain, `index file ${name}`);
  r.expectMagic(INDEX_MAGIC);
  const version = r.u32('version');
  if (version !== 1)
    throw new FormatError(`index file ${name}: version ${version} is not supported`);
  const count = r.count(36, 'pack count');
  const packs: PackRecord[] = [];
  for (let i = 0; i < count; i++) {
    const id = toHex(r.bytes(32, 'pack id'));
    const size = r.u32('pack size');
    // Only bounds against the recorded size here; the pack itself is checked by verify.
    const blobs = readBlobEntries(r, PACK_MAGIC.length, size, `index file ${name}, pack ${id}`);
    packs.push({ id, size, blobs });
  }
  r.expectEnd();
  return packs;
}

/**
 * The in-memory index: blob id → location, built from all index files. When a blob is listed in
 * several packs (a crash during gc, or two writers storing the same chunk at once) the first
 * location loaded wins; any of them is valid as long as its pack exists.
 */
export class ChunkIndex {
  private readonly blobs = new Map<string, BlobLocation>();
  readonly packs = new Map<string, PackRecord>();
  /** Index file ids loaded so far. */
  readonly files = new Set<string>();

  get size(): number {
    return this.blobs.size;
  }

  get(id: string): BlobLocation | undefined {
    return this.blobs.get(id);
  }

  has(id: string): boolean {
    return this.blobs.has(id);
  }

  entries(): IterableIterator<BlobLocation> {
    return this.blobs.values();
  }

  addPack(pack: PackRecord): void {
    this.packs.set(pack.id, pack);
    for (const b of pack.blobs)
      if (!this.blobs.has(b.id)) this.blobs.set(b.id, { ...b, pack: pack.id });
  }

  /**
   * Loads index files not loaded yet. When files were removed since the last load (gc
   * consolidated them), starts over so that no stale location survives.
   */
  static async refresh(
    current: ChunkIndex,
    backend: RepositoryBackend,
    seal: SealParams,
  ): Promise<ChunkIndex> {
    const listed = await backend.list('index/');
    const ids = listed.map((o) => RepoKeys.idOf(o.key));
    const present = new Set(ids);
    const idx = [...current.files].every((f) => present.has(f)) ? current : new ChunkIndex();
    for (const id of ids) {
      if (idx.files.has(id)) continue;
      let bytes: Uint8Array;
      try {
        bytes = await backend.get(RepoKeys.index(id));
      } catch (err) {
        // Consolidated away by a gc between list and get: the next refresh starts over.
        if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') continue;
        throw err;
      }
      for (const pack of decodeIndexOrThrow(bytes, seal, id, backend.location)) idx.addPack(pack);
      idx.files.add(id);
    }
    return idx;
  }
}

export function decodeIndexOrThrow(
  bytes: Uint8Array,
  seal: SealParams,
  id: string,
  location: string,
): PackRecord[] {
  try {
    return decodeIndexFile(bytes, seal, id);
  } catch (err) {
    if (err instanceof SealError || err instanceof FormatError) {
      throw new HyperkeepError(
        'INTERNAL',
        `Index file index/${id} in the repository at ${location} is damaged (${err.message}); rebuild the index from the packs (Repository.rebuildIndex), then run verify`,
        { reason: 'CORRUPT', key: `index/${id}` },
      );
    }
    throw err;
  }
}
