import { HyperkeepError } from '../../../../shared/errors';
import { readFromExtents, type VolumeSource } from '../extent-read';
import type { FileExtent, VolumeRun } from '../filesystem';
import { attributeExtents } from './attribute-extents';
import { volumeRangesOf } from './mft-map';
import { ATTR, type Attribute } from './mft-record';
import { indexSecurityStream, summarizeSecurityDescriptor, type SecuritySummary } from './security';

/** A larger $SDS can only come from corruption. */
const MAX_SDS = 64 * 1024 * 1024;
/** Each $SDS entry starts with a 20-byte header (hash, id, offset, length). */
const SDS_HEADER = 20;

/**
 * $Secure:$SDS, loaded once per walk: the security descriptor of each security id (which
 * $STANDARD_INFORMATION names), its owner and DACL summary, and where its bytes lie on the
 * volume (a file's entry depends on them, see NtfsFileSystem.recordMetadataReads).
 */
export class SecureStream {
  private readonly summaries = new Map<number, SecuritySummary>();

  private constructor(
    private readonly stream: Uint8Array,
    private readonly descriptors: Map<number, Uint8Array>,
    readonly extents: readonly FileExtent[],
  ) {}

  /**
   * The stream of $Secure's record; undefined when it has none or it is unreadable: security is
   * extra detail, so a broken $Secure leaves owners blank instead of failing listings.
   */
  static async load(
    attributes: readonly Attribute[],
    clusterSize: number,
    volume: VolumeSource,
  ): Promise<SecureStream | undefined> {
    try {
      const segments = attributes.filter((a) => a.type === ATTR.data && a.name === '$SDS');
      const size = segments.find((a) => a.lowestVcn === 0)?.dataSize ?? 0;
      if (segments.length === 0 || size > MAX_SDS) return undefined;
      const extents = attributeExtents(segments, clusterSize, '$Secure:$SDS');
      const stream = await readFromExtents(volume, extents, 0, size);
      return new SecureStream(stream, indexSecurityStream(stream), extents);
    } catch (err) {
      if (err instanceof HyperkeepError) return undefined;
      throw err;
    }
  }

  get size(): number {
    return this.stream.length;
  }

  /** Owner and DACL summary of a security id; undefined when $SDS has no such id. */
  summary(id: number): SecuritySummary | undefined {
    const known = this.summaries.get(id);
    if (known) return known;
    const descriptor = this.descriptors.get(id);
    if (!descriptor) return undefined;
    const summary = summarizeSecurityDescriptor(descriptor, `security descriptor ${id} in $Secure`);
    this.summaries.set(id, summary);
    return summary;
  }

  /** The id's entry in the stream (header and descriptor), or undefined. */
  entryOf(id: number): { offset: number; length: number } | undefined {
    const descriptor = this.descriptors.get(id);
    if (!descriptor) return undefined;
    const start = descriptor.byteOffset - this.stream.byteOffset - SDS_HEADER;
    return { offset: start, length: descriptor.length + SDS_HEADER };
  }

  /** The volume bytes the id's entry was read from. */
  volumeRangesOf(id: number): VolumeRun[] {
    const entry = this.entryOf(id);
    return entry ? volumeRangesOf(this.extents, entry.offset, entry.length) : [];
  }

  /**
   * True when every descriptor of `then` (an earlier $SDS of the volume) is found at the same
   * place in this one: then a file's owner changed only if the bytes of its own descriptor did.
   * $SDS only grows (new descriptors are appended), so this holds unless it was rebuilt.
   */
  keepsPlacesOf(then: SecureStream): boolean {
    for (const id of then.descriptors.keys()) {
      const was = then.entryOf(id)!;
      const now = this.entryOf(id);
      if (now?.offset !== was.offset || now.length !== was.length) return false;
      const wasOn = volumeRangesOf(then.extents, was.offset, was.length);
      const nowOn = volumeRangesOf(this.extents, was.offset, was.length);
      if (JSON.stringify(wasOn) !== JSON.stringify(nowOn)) return false;
    }
    return true;
  }
}
