import { HyperkeepError } from '../../../../shared/errors';
import type { EntryType, FsEntry, NamedStream } from '../filesystem';
import {
  FILE_ATTRIBUTE,
  NAMESPACE,
  isLinkReparse,
  parseInterixSymlink,
  parseReparsePoint,
  parseStandardInformation,
  type StandardInformation,
} from './attribute-values';
import { ATTR, ATTR_FLAG } from './mft-record';
import type { NtfsFile, NtfsFileSystem } from './ntfs-filesystem';
import { summarizeSecurityDescriptor, type SecuritySummary } from './security';

/** "IntxLNK\1" + a UTF-16 path of at most 4096 characters. */
const MAX_INTERIX_LINK = 8 + 2 * 4096;

/** Builds the catalog view of one MFT file: times, sizes, streams, links, owner. */
export async function describeFile(
  fs: NtfsFileSystem,
  file: NtfsFile,
  name: string,
  path: string,
): Promise<FsEntry> {
  const what = `MFT record ${file.record}`;
  const siAttr = file.attributes.find((a) => a.type === ATTR.standardInformation && a.value);
  const si: StandardInformation = siAttr?.value
    ? parseStandardInformation(siAttr.value, file.record)
    : { fileAttributes: 0 };
  // Each hard link is one $FILE_NAME; a DOS 8.3 alias is an extra one that is not a link.
  let links = 0;
  for (const a of file.attributes) {
    if (a.type === ATTR.fileName && a.value && a.value.length > 65 && a.value[65] !== NAMESPACE.dos)
      links++;
  }
  const unnamed = file.attributes.find(
    (a) => a.type === ATTR.data && a.name === '' && a.lowestVcn === 0,
  );
  const streams: NamedStream[] = file.attributes
    .filter((a) => a.type === ATTR.data && a.name !== '' && a.lowestVcn === 0)
    .map((a) => ({ name: a.name, size: a.dataSize }));
  const dataFlags = unnamed?.flags ?? 0;
  const attrs = si.fileAttributes;
  let type: EntryType = file.isDirectory ? 'dir' : 'file';
  let symlinkTarget: string | undefined;

  const reparseAttr = file.attributes.find((a) => a.type === ATTR.reparsePoint);
  if (reparseAttr) {
    const reparse = parseReparsePoint(
      await fs.attributeValue(reparseAttr, `reparse point of ${what}`, file.record),
      file.record,
    );
    if (isLinkReparse(reparse.tag)) {
      type = 'symlink';
      symlinkTarget = reparse.target;
    }
  } else if (
    !file.isDirectory &&
    unnamed &&
    (attrs & FILE_ATTRIBUTE.system) !== 0 &&
    unnamed.dataSize >= 8 &&
    unnamed.dataSize <= MAX_INTERIX_LINK &&
    (unnamed.value ||
      file.attributes.filter((a) => a.type === ATTR.data && a.name === '').length === 1)
  ) {
    const target = parseInterixSymlink(
      await fs.attributeValue(unnamed, `$DATA of ${what}`, file.record),
    );
    if (target !== undefined) {
      type = 'symlink';
      symlinkTarget = target;
    }
  }

  const entry: FsEntry = {
    id: file.record,
    name,
    path,
    type,
    size: file.isDirectory ? 0 : (unnamed?.dataSize ?? 0),
    nlink: Math.max(1, links),
    attributes: attrs,
    flags: {
      sparse: (attrs & FILE_ATTRIBUTE.sparse) !== 0 || (dataFlags & ATTR_FLAG.sparse) !== 0,
      compressed:
        (attrs & FILE_ATTRIBUTE.compressed) !== 0 || (dataFlags & ATTR_FLAG.compressed) !== 0,
      encrypted:
        (attrs & FILE_ATTRIBUTE.encrypted) !== 0 || (dataFlags & ATTR_FLAG.encrypted) !== 0,
    },
  };
  if (si.modified) entry.mtime = si.modified;
  if (si.accessed) entry.atime = si.accessed;
  if (si.mftChanged) entry.ctime = si.mftChanged;
  if (si.created) entry.birthtime = si.created;
  if (symlinkTarget !== undefined) entry.symlinkTarget = symlinkTarget;
  if (streams.length > 0) entry.streams = streams;

  const security = await securityOf(fs, file, si, what);
  if (security?.owner) entry.owner = security.owner;
  if (security?.aclSummary) entry.aclSummary = security.aclSummary;
  return entry;
}

/**
 * Owner and ACL come from the file's own $SECURITY_DESCRIPTOR (old volumes) or from $Secure by
 * security id. They are extra detail: a damaged descriptor leaves them blank rather than hiding
 * the file from the catalog.
 */
async function securityOf(
  fs: NtfsFileSystem,
  file: NtfsFile,
  si: StandardInformation,
  what: string,
): Promise<SecuritySummary | undefined> {
  try {
    const own = file.attributes.find((a) => a.type === ATTR.securityDescriptor);
    if (own) {
      const where = `security descriptor of ${what}`;
      return summarizeSecurityDescriptor(await fs.attributeValue(own, where, file.record), where);
    }
    return si.securityId !== undefined
      ? await fs.securityById(si.securityId, file.record)
      : undefined;
  } catch (err) {
    if (err instanceof HyperkeepError) return undefined;
    throw err;
  }
}
