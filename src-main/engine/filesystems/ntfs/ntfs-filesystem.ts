import { HyperkeepError } from '../../../../shared/errors';
import type { RandomAccessReader } from '../../io/random-access';
import { BaseFileSystem, childPath } from '../base-filesystem';
import { fsError, isPowerOfTwo } from '../binary';
import { BlockCache } from '../block-cache';
import { readFromExtents, type VolumeSource } from '../extent-read';
import type { FileExtent, FsEntry, VolumeRun } from '../filesystem';
import type { MetadataReadRecorder } from '../inode-delta';
import { attributeExtents } from './attribute-extents';
import { listIndex, parseIndexRoot } from './directory-index';
import { describeFile } from './file-description';
import {
  ATTR,
  applyFixups,
  parseAttributeList,
  parseMftRecord,
  type Attribute,
} from './mft-record';
import { parseBootSector, type NtfsBootSector } from './boot-sector';
import { mftRecordLocator, ntfsWalkFingerprint, volumeRangesOf } from './mft-map';
import { SecureStream } from './secure-stream';
import { checkSharedMetadata } from './shared-metadata';
import type { SecuritySummary } from './security';

const RECORD = { mft: 0, volume: 3, root: 5, secure: 9, firstUser: 16 } as const;
/** Bounds on metadata we load whole: larger values can only come from corruption. */
const MAX_ATTRIBUTE_LIST = 256 * 1024;
const MAX_EXTENSION_RECORDS = 4096;
const RECORD_CACHE = 1024;

/** One file's MFT records merged: the base record plus extensions named by $ATTRIBUTE_LIST. */
export interface NtfsFile {
  record: number;
  sequence: number;
  isDirectory: boolean;
  attributes: Attribute[];
}

export class NtfsFileSystem extends BaseFileSystem {
  readonly kind = 'ntfs' as const;
  variant = 'NTFS';
  label?: string;
  readonly uuid: string;
  readonly blockSize: number;
  readonly totalBytes: number;
  protected readonly caseInsensitive = true;
  protected readonly data: VolumeSource;
  private readonly cache: BlockCache;
  private readonly metadata: VolumeSource;
  private mftRuns: FileExtent[] = [];
  private mftRunSources: VolumeRun[] = [];
  private recordCount = 0;
  private readonly files = new Map<number, Promise<NtfsFile>>();
  private secure?: Promise<SecureStream | undefined>;
  /** Told of every metadata read made for a file beyond its own record (recordMetadataReads). */
  private metadataReads: MetadataReadRecorder | undefined;
  readonly rootId = RECORD.root;

  private constructor(
    private readonly reader: RandomAccessReader,
    readonly boot: NtfsBootSector,
  ) {
    super();
    this.uuid = boot.serial;
    this.blockSize = boot.clusterSize;
    this.totalBytes = boot.clusterCount * boot.clusterSize;
    this.data = reader;
    this.cache = new BlockCache(reader, 'NTFS');
    this.metadata = { read: (offset, length) => this.cache.read(offset, length, 'metadata') };
  }

  static async open(reader: RandomAccessReader): Promise<NtfsFileSystem> {
    if (reader.size < 512) throw fsError('NTFS', 'volume', `is too small (${reader.size} bytes)`);
    const fs = new NtfsFileSystem(reader, parseBootSector(await reader.read(0, 512), reader.size));
    await fs.loadMft();
    await fs.loadVolumeInformation();
    return fs;
  }

  async root(): Promise<FsEntry> {
    const file = await this.file(RECORD.root);
    if (!file.isDirectory)
      throw fsError('NTFS', 'root directory (MFT record 5)', 'is not a directory');
    return this.toEntry(file, '', '/');
  }

  async listDir(dir: FsEntry): Promise<FsEntry[]> {
    const file = await this.file(dir.id);
    const rootAttr = file.attributes.find((a) => a.type === ATTR.indexRoot && a.name === '$I30');
    if (!rootAttr?.value)
      throw fsError('NTFS', `MFT record ${dir.id} (${dir.path})`, 'has no $I30 directory index');
    const root = parseIndexRoot(rootAttr.value, dir.id);
    const blockSize = root.indexBlockSize;
    const allocation = file.attributes.filter(
      (a) => a.type === ATTR.indexAllocation && a.name === '$I30',
    );
    const allocSize = allocation.find((a) => a.lowestVcn === 0)?.dataSize ?? 0;
    if (
      allocation.length > 0 &&
      (!isPowerOfTwo(blockSize) || blockSize < 512 || blockSize > 65536)
    ) {
      throw fsError(
        'NTFS',
        `$INDEX_ROOT of directory record ${dir.id}`,
        `gives index blocks of ${blockSize} bytes`,
      );
    }
    const what = `$INDEX_ALLOCATION of directory record ${dir.id}`;
    const extents = attributeExtents(allocation, this.blockSize, what);
    // Index block numbers count clusters, or 512-byte units when blocks are smaller than a cluster.
    const vcnUnit = blockSize >= this.blockSize ? this.blockSize : 512;
    const readIndexBlock = async (vcn: number) => {
      const offset = vcn * vcnUnit;
      if (offset + blockSize > allocSize)
        throw fsError('NTFS', what, `has no index block at VCN ${vcn}`);
      const bytes = await readFromExtents(this.sourceFor(dir.id), extents, offset, blockSize);
      return applyFixups(bytes, 'INDX', `index block VCN ${vcn} of directory record ${dir.id}`);
    };
    const refs = await listIndex(root, readIndexBlock, allocSize / Math.max(blockSize, 1));
    const entries: FsEntry[] = [];
    const seen = new Set<string>();
    for (const ref of refs) {
      // Records below 16 are the metafiles ($MFT, $Bitmap, …) and the root's own "." entry.
      if (ref.record < RECORD.firstUser) continue;
      const key = `${ref.record}/${ref.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const child = await this.file(ref.record);
      // A stale entry (the record was freed and reused since) names a file that no longer exists.
      if (ref.sequence !== 0 && ref.sequence !== child.sequence) {
        this.tellRecordRead(dir.id, ref.record);
        continue;
      }
      entries.push(await this.toEntry(child, ref.name, childPath(dir, ref.name)));
    }
    return entries;
  }

  protected async mapExtents(entry: FsEntry, stream = ''): Promise<FileExtent[]> {
    const file = await this.file(entry.id);
    const segments = file.attributes.filter((a) => a.type === ATTR.data && a.name === stream);
    if (segments.length === 0 && stream !== '') {
      throw new HyperkeepError('NOT_FOUND', `${entry.path} has no stream named ${stream}`);
    }
    return attributeExtents(
      segments,
      this.blockSize,
      `$DATA${stream ? `:${stream}` : ''} of MFT record ${entry.id}`,
    );
  }

  async close(): Promise<void> {
    await this.reader.close();
  }

  /** A file's base record with its extension records merged in. */
  file(number: number): Promise<NtfsFile> {
    const cached = this.files.get(number);
    if (cached) return cached;
    const pending = this.loadFile(number);
    this.files.set(number, pending);
    pending.catch(() => this.files.delete(number));
    if (this.files.size > RECORD_CACHE) this.files.delete(this.files.keys().next().value!);
    return pending;
  }

  private async loadFile(number: number): Promise<NtfsFile> {
    const base = await this.record(number);
    const what = `MFT record ${number}`;
    if (!base.inUse)
      throw fsError('NTFS', what, 'is not in use (a directory still lists a deleted file)');
    if (base.baseRecord !== 0)
      throw fsError('NTFS', what, `is an extension of record ${base.baseRecord}`);
    let attributes = base.attributes;
    const list = attributes.find((a) => a.type === ATTR.attributeList);
    if (list) {
      attributes = attributes.filter((a) => a.type !== ATTR.attributeList);
      const refs = parseAttributeList(
        await this.attributeValue(list, `attribute list of ${what}`, number),
        number,
      );
      const extensions = [...new Set(refs.map((r) => r.record))].filter((r) => r !== number);
      if (extensions.length > MAX_EXTENSION_RECORDS) {
        throw fsError(
          'NTFS',
          `attribute list of ${what}`,
          `names ${extensions.length} extension records`,
        );
      }
      for (const ext of extensions) {
        const record = await this.record(ext);
        this.tellRecordRead(number, ext);
        if (record.baseRecord !== number) {
          throw fsError(
            'NTFS',
            `MFT record ${ext}`,
            `is listed by record ${number} but belongs to ${record.baseRecord}`,
          );
        }
        attributes = attributes.concat(record.attributes);
      }
    }
    return { record: number, sequence: base.sequence, isDirectory: base.isDirectory, attributes };
  }

  private async record(number: number) {
    if (!Number.isInteger(number) || number < 0 || number >= this.recordCount) {
      throw fsError(
        'NTFS',
        'file reference',
        `names MFT record ${number}, out of range (0..${this.recordCount - 1})`,
      );
    }
    const size = this.boot.mftRecordSize;
    const bytes = await this.readMft(number * size, size);
    return parseMftRecord(bytes, number, this.boot.clusterCount);
  }

  /** Bytes of $MFT; one cached read when they sit in one extent (nearly always). */
  private readMft(offset: number, length: number): Promise<Uint8Array> {
    for (const extent of this.mftRuns) {
      if (extent.kind !== 'data' || offset < extent.fileOffset) continue;
      const inside = offset - extent.fileOffset;
      if (inside + length > extent.length) continue;
      return this.cache.read(
        extent.volumeOffset + inside,
        length,
        `MFT bytes ${offset}..${offset + length}`,
      );
    }
    return readFromExtents(this.metadata, this.mftRuns, offset, length);
  }

  /**
   * The whole value of a small metadata attribute, resident or not; `forRecord`: the file whose
   * entry is built from it (its reads are recorded for that file).
   */
  async attributeValue(
    attribute: Attribute,
    what: string,
    forRecord?: number,
    limit = MAX_ATTRIBUTE_LIST,
  ): Promise<Uint8Array> {
    if (attribute.value) return attribute.value;
    if (attribute.dataSize > limit)
      throw fsError('NTFS', what, `is ${attribute.dataSize} bytes (over ${limit})`);
    const extents = attributeExtents([attribute], this.blockSize, what);
    return readFromExtents(this.sourceFor(forRecord), extents, 0, attribute.dataSize);
  }

  /**
   * InodeDeltaSupport (inode-delta.ts), with MFT records as inodes: a file's entry depends on its
   * record and on what is recorded here for it: its extension records and attribute list, index
   * blocks (folders), non-resident reparse data, its security descriptor in $Secure, and the
   * records of stale index entries a listing skipped.
   */
  recordMetadataReads(recorder: MetadataReadRecorder | undefined): void {
    this.metadataReads = recorder;
    // Files merged before now were read unrecorded.
    this.files.clear();
  }

  get inodeBytes(): number {
    return this.boot.mftRecordSize;
  }

  walkFingerprint(): Promise<string> {
    return Promise.resolve(ntfsWalkFingerprint(this.boot));
  }

  inodeLocator(): Promise<(record: number) => number> {
    return Promise.resolve(mftRecordLocator(this.mftRuns, this.boot.mftRecordSize));
  }

  /** Where $MFT's records lie. */
  get mftExtents(): readonly FileExtent[] {
    return this.mftRuns;
  }

  /** The volume bytes that said where: record 0, its attribute list and extension records. */
  get mftSources(): readonly VolumeRun[] {
    return this.mftRunSources;
  }

  /** Before a delta: $MFT's map and $Secure, which many entries share (shared-metadata.ts). */
  checkSharedMetadata(
    before: RandomAccessReader,
    mayDiffer: (offset: number, length: number) => boolean,
  ): Promise<void> {
    // The basis point's volume belongs to the caller: it is read here, not closed.
    return checkSharedMetadata(this, () => NtfsFileSystem.open(before), mayDiffer);
  }

  /** Where reads for `forRecord`'s entry go: through the recorder when one listens. */
  private sourceFor(forRecord: number | undefined): VolumeSource {
    const recorder = this.metadataReads;
    if (!recorder || forRecord === undefined) return this.metadata;
    return {
      read: (offset, length) => {
        recorder(forRecord, offset, length);
        return this.cache.read(offset, length, 'metadata');
      },
    };
  }

  /** `forRecord`'s entry depends on MFT record `record` (an extension, a stale index entry). */
  private tellRecordRead(forRecord: number, record: number): void {
    if (!this.metadataReads) return;
    const size = this.boot.mftRecordSize;
    for (const r of volumeRangesOf(this.mftRuns, record * size, size))
      this.metadataReads(forRecord, r.volumeOffset, r.length);
  }

  /** Reads $MFT's own record to learn where all records are ($MFT may itself be fragmented). */
  private async loadMft(): Promise<void> {
    const { mftLcn, clusterSize, mftRecordSize } = this.boot;
    const sources: VolumeRun[] = [{ volumeOffset: mftLcn * clusterSize, length: mftRecordSize }];
    this.mftRunSources = sources;
    this.metadataReads = (_record, volumeOffset, length) => sources.push({ volumeOffset, length });
    try {
      await this.loadMftRuns();
    } finally {
      this.metadataReads = undefined;
    }
  }

  private async loadMftRuns(): Promise<void> {
    const { mftLcn, clusterSize, mftRecordSize, clusterCount } = this.boot;
    const bytes = await this.cache.read(mftLcn * clusterSize, mftRecordSize, 'MFT record 0');
    const base = parseMftRecord(bytes, 0, clusterCount);
    let segments = base.attributes.filter((a) => a.type === ATTR.data && a.name === '');
    const first = segments.find((a) => a.lowestVcn === 0);
    if (!first || first.value) throw fsError('NTFS', 'MFT record 0', 'has no non-resident $DATA');
    this.recordCount = Math.floor(first.dataSize / mftRecordSize);
    this.mftRuns = attributeExtents(segments, clusterSize, '$MFT $DATA');
    const list = base.attributes.find((a) => a.type === ATTR.attributeList);
    if (list) {
      // A fragmented $MFT continues its run list in extension records, found through the part
      // of the run list already known (they sit early in the MFT).
      const refs = parseAttributeList(await this.attributeValue(list, '$MFT attribute list', 0), 0);
      for (const ref of refs) {
        if (ref.type !== ATTR.data || ref.record === 0) continue;
        const ext = await this.record(ref.record);
        this.tellRecordRead(0, ref.record);
        segments = segments.concat(
          ext.attributes.filter((a) => a.type === ATTR.data && a.name === ''),
        );
      }
      this.mftRuns = attributeExtents(segments, clusterSize, '$MFT $DATA');
    }
  }

  private async loadVolumeInformation(): Promise<void> {
    const volume = await this.file(RECORD.volume);
    const name = volume.attributes.find((a) => a.type === ATTR.volumeName);
    if (name?.value && name.value.length > 0) {
      this.label = new TextDecoder('utf-16le').decode(
        name.value.subarray(0, name.value.length & ~1),
      );
    }
    const info = volume.attributes.find((a) => a.type === ATTR.volumeInformation);
    if (info?.value && info.value.length >= 10)
      this.variant = `NTFS ${info.value[8]}.${info.value[9]}`;
  }

  private toEntry(file: NtfsFile, name: string, path: string): Promise<FsEntry> {
    return describeFile(this, file, name, path);
  }

  /**
   * Owner and DACL summary for a $STANDARD_INFORMATION security id, via $Secure:$SDS;
   * `forRecord`: the file whose entry shows it (the descriptor's bytes are recorded for it).
   */
  async securityById(id: number, forRecord?: number): Promise<SecuritySummary | undefined> {
    const secure = await this.secureStream();
    if (!secure) return undefined;
    if (this.metadataReads && forRecord !== undefined)
      for (const r of secure.volumeRangesOf(id))
        this.metadataReads(forRecord, r.volumeOffset, r.length);
    return secure.summary(id);
  }

  secureStream(): Promise<SecureStream | undefined> {
    this.secure ??= this.file(RECORD.secure).then(
      (secure) => SecureStream.load(secure.attributes, this.blockSize, this.reader),
      (err: unknown) => {
        if (err instanceof HyperkeepError) return undefined;
        throw err;
      },
    );
    return this.secure;
  }
}
