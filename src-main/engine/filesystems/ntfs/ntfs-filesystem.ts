import { HyperkeepError } from '../../../../shared/errors';
import type { RandomAccessReader } from '../../io/random-access';
import { BaseFileSystem, childPath } from '../base-filesystem';
import { fsError, isPowerOfTwo } from '../binary';
import { BlockCache } from '../block-cache';
import { readFromExtents, type VolumeSource } from '../extent-read';
import type { FileExtent, FsEntry } from '../filesystem';
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
import { indexSecurityStream, summarizeSecurityDescriptor, type SecuritySummary } from './security';

const RECORD = { mft: 0, volume: 3, root: 5, secure: 9, firstUser: 16 } as const;
/** Bounds on metadata we load whole: larger values can only come from corruption. */
const MAX_ATTRIBUTE_LIST = 256 * 1024;
const MAX_EXTENSION_RECORDS = 4096;
const MAX_SDS = 64 * 1024 * 1024;
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
  private mftExtents: FileExtent[] = [];
  private recordCount = 0;
  private readonly files = new Map<number, Promise<NtfsFile>>();
  private securityIndex?: Promise<Map<number, Uint8Array> | undefined>;
  private readonly securitySummaries = new Map<number, SecuritySummary>();

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
      const bytes = await readFromExtents(this.metadata, extents, offset, blockSize);
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
      if (ref.sequence !== 0 && ref.sequence !== child.sequence) continue;
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
        await this.attributeValue(list, `attribute list of ${what}`),
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
    for (const extent of this.mftExtents) {
      if (extent.kind !== 'data' || offset < extent.fileOffset) continue;
      const inside = offset - extent.fileOffset;
      if (inside + length > extent.length) continue;
      return this.cache.read(
        extent.volumeOffset + inside,
        length,
        `MFT bytes ${offset}..${offset + length}`,
      );
    }
    return readFromExtents(this.metadata, this.mftExtents, offset, length);
  }

  /** The whole value of a small metadata attribute, resident or not. */
  async attributeValue(
    attribute: Attribute,
    what: string,
    limit = MAX_ATTRIBUTE_LIST,
  ): Promise<Uint8Array> {
    if (attribute.value) return attribute.value;
    if (attribute.dataSize > limit)
      throw fsError('NTFS', what, `is ${attribute.dataSize} bytes (over ${limit})`);
    const extents = attributeExtents([attribute], this.blockSize, what);
    return readFromExtents(this.metadata, extents, 0, attribute.dataSize);
  }

  /** Reads $MFT's own record to learn where all records are ($MFT may itself be fragmented). */
  private async loadMft(): Promise<void> {
    const { mftLcn, clusterSize, mftRecordSize, clusterCount } = this.boot;
    const bytes = await this.cache.read(mftLcn * clusterSize, mftRecordSize, 'MFT record 0');
    const base = parseMftRecord(bytes, 0, clusterCount);
    let segments = base.attributes.filter((a) => a.type === ATTR.data && a.name === '');
    const first = segments.find((a) => a.lowestVcn === 0);
    if (!first || first.value) throw fsError('NTFS', 'MFT record 0', 'has no non-resident $DATA');
    this.recordCount = Math.floor(first.dataSize / mftRecordSize);
    this.mftExtents = attributeExtents(segments, clusterSize, '$MFT $DATA');
    const list = base.attributes.find((a) => a.type === ATTR.attributeList);
    if (list) {
      // A fragmented $MFT continues its run list in extension records, found through the part
      // of the run list already known (they sit early in the MFT).
      const refs = parseAttributeList(await this.attributeValue(list, '$MFT attribute list'), 0);
      for (const ref of refs) {
        if (ref.type !== ATTR.data || ref.record === 0) continue;
        const ext = await this.record(ref.record);
        segments = segments.concat(
          ext.attributes.filter((a) => a.type === ATTR.data && a.name === ''),
        );
      }
      this.mftExtents = attributeExtents(segments, clusterSize, '$MFT $DATA');
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

  /** Owner and DACL summary for a $STANDARD_INFORMATION security id, via $Secure:$SDS. */
  async securityById(id: number): Promise<SecuritySummary | undefined> {
    const known = this.securitySummaries.get(id);
    if (known) return known;
    this.securityIndex ??= this.loadSecurityIndex();
    const descriptor = (await this.securityIndex)?.get(id);
    if (!descriptor) return undefined;
    const summary = summarizeSecurityDescriptor(descriptor, `security descriptor ${id} in $Secure`);
    this.securitySummaries.set(id, summary);
    return summary;
  }

  /** Security is extra detail: a broken $Secure leaves owners blank instead of failing listings. */
  private async loadSecurityIndex(): Promise<Map<number, Uint8Array> | undefined> {
    try {
      const secure = await this.file(RECORD.secure);
      const segments = secure.attributes.filter((a) => a.type === ATTR.data && a.name === '$SDS');
      const size = segments.find((a) => a.lowestVcn === 0)?.dataSize ?? 0;
      if (segments.length === 0 || size > MAX_SDS) return undefined;
      const extents = attributeExtents(segments, this.blockSize, '$Secure:$SDS');
      return indexSecurityStream(await readFromExtents(this.reader, extents, 0, size));
    } catch (err) {
      if (err instanceof HyperkeepError) return undefined;
      throw err;
    }
  }
}
