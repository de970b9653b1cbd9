/**
 * Domain XML (https://libvirt.org/formatdomain.html) → the fields of the shared VM model that the
 * configuration alone answers. Power state and disk capacities come from other calls.
 *
 * <metadata> choice: each child element becomes entries keyed by its qualified name as written in
 * the XML (`hk:tags`), which is what an administrator sees in `virsh dumpxml` and what
 * `virsh metadata --key` sets. Nested elements and attributes extend the key with `/child` and
 * `@attr` (`libosinfo:libosinfo/libosinfo:os@id`), repeated siblings get `[n]`. The namespace URI is still used to recognise
 * libosinfo's element whatever its prefix.
 */
import type { NetworkInterface, VirtualDisk } from '../../../../shared/domain/vm';
import { HyperkeepError } from '../../../../shared/errors';
import {
  attr,
  attributes,
  child,
  children,
  childText,
  elementEntries,
  parseXmlDocument,
  text,
  type XmlElement,
} from './xml-tree';

export type ConfiguredDisk = Omit<VirtualDisk, 'capacityBytes' | 'allocationBytes'>;

export interface ParsedDomain {
  uuid: string;
  name: string;
  vcpus: number;
  memoryBytes: number;
  disks: ConfiguredDisk[];
  nics: NetworkInterface[];
  osType?: string;
  firmware?: string;
  title?: string;
  description?: string;
  metadata: Record<string, string>;
  guestOs?: string;
}

const LIBOSINFO_NS = 'http://libosinfo.org/xmlns/libvirt/domain/1.0';
const DISK_DEVICES = new Set<ConfiguredDisk['device']>(['disk', 'cdrom', 'floppy', 'lun']);
const MAX_METADATA_ENTRIES = 256;
const MAX_METADATA_DEPTH = 8;

export function parseDomainXml(xml: string): ParsedDomain {
  const domain = parseXmlDocument(xml, 'domain', 'domain XML');
  const name = childText(domain, 'name');
  const uuid = childText(domain, 'uuid');
  if (!name || !uuid) {
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      'libvirt returned domain XML without a name or uuid',
    );
  }
  const vcpu = child(domain, 'vcpu');
  const os = child(domain, 'os');
  const devices = child(domain, 'devices');
  const metadataEl = child(domain, 'metadata');
  const osType = childText(os, 'type');
  return {
    uuid: uuid.toLowerCase(),
    name,
    vcpus: toCount(attr(vcpu, 'current') ?? text(vcpu), 1),
    memoryBytes: scaledBytes(child(domain, 'memory'), `memory of ${name}`),
    disks: children(devices, 'disk').map(parseDisk),
    nics: children(devices, 'interface').map(parseNic),
    osType,
    firmware: firmwareOf(os, osType),
    title: childText(domain, 'title'),
    description: childText(domain, 'description'),
    metadata: metadataEl ? flattenMetadata(metadataEl) : {},
    guestOs: metadataEl ? libosinfoShortId(metadataEl) : undefined,
  };
}

function parseDisk(disk: XmlElement): ConfiguredDisk {
  const device = attr(disk, 'device') ?? 'disk';
  const target = child(disk, 'target');
  return {
    target: attr(target, 'dev') ?? '',
    bus: attr(target, 'bus') ?? '',
    device: DISK_DEVICES.has(device as ConfiguredDisk['device'])
      ? (device as ConfiguredDisk['device'])
      : 'disk',
    // Without <driver type>, QEMU is given the image as raw (libvirt does not probe formats).
    format: attr(child(disk, 'driver'), 'type') ?? 'raw',
    path: diskSource(attr(disk, 'type') ?? 'file', child(disk, 'source')),
    readonly: child(disk, 'readonly') !== undefined,
  };
}

/** Where the disk's data lives, as written in the configuration ('' for an empty CD-ROM). */
function diskSource(type: string, source: XmlElement | undefined): string {
  if (!source) return '';
  switch (type) {
    case 'file':
      return attr(source, 'file') ?? '';
    case 'block':
      return attr(source, 'dev') ?? '';
    case 'dir':
      return attr(source, 'dir') ?? '';
    case 'volume': {
      const pool = attr(source, 'pool');
      const volume = attr(source, 'volume') ?? '';
      return pool ? `${pool}/${volume}` : volume;
    }
    case 'network': {
      const protocol = attr(source, 'protocol') ?? 'network';
      const name = attr(source, 'name') ?? '';
      const host = child(source, 'host');
      const hostName = attr(host, 'name');
      if (!hostName) return `${protocol}:${name}`;
      const port = attr(host, 'port');
      return `${protocol}://${hostName}${port ? `:${port}` : ''}/${name}`;
    }
    default:
      return attr(source, 'file') ?? attr(source, 'dev') ?? attr(source, 'path') ?? '';
  }
}

function parseNic(nic: XmlElement): NetworkInterface {
  const source = child(nic, 'source');
  const sourceName =
    attr(source, 'network') ??
    attr(source, 'bridge') ??
    attr(source, 'dev') ??
    attr(source, 'path') ??
    attr(source, 'name');
  const out: NetworkInterface = {
    mac: (attr(child(nic, 'mac'), 'address') ?? '').toLowerCase(),
    type: attr(nic, 'type') ?? 'unknown',
  };
  const model = attr(child(nic, 'model'), 'type');
  if (model) out.model = model;
  if (sourceName) out.source = sourceName;
  return out;
}

function firmwareOf(os: XmlElement | undefined, osType: string | undefined): string | undefined {
  const declared = attr(os, 'firmware');
  if (declared) return declared;
  const loader = child(os, 'loader');
  if (loader) {
    // UEFI is loaded as pflash; a plain ROM loader is a BIOS (SeaBIOS, a custom one).
    if (attr(loader, 'type') === 'pflash' || /ovmf|edk2|uefi/i.test(text(loader))) return 'efi';
    return 'bios';
  }
  return osType === 'hvm' ? 'bios' : undefined;
}

/** libvirt's units (virScaleInteger): k/KiB = 1024, KB = 1000, b/bytes = 1; default KiB. */
export function scaledBytes(el: XmlElement | undefined, what: string): number {
  const raw = text(el);
  if (raw === '') return 0;
  if (!/^\d+$/.test(raw)) {
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `libvirt returned a non-numeric ${what}: "${raw}"`,
    );
  }
  const unit = (attr(el, 'unit') ?? 'KiB').trim();
  const factor = unitFactor(unit);
  if (factor === undefined) {
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `libvirt returned an unknown unit "${unit}" for ${what}`,
    );
  }
  return Number(raw) * factor;
}

function unitFactor(unit: string): number | undefined {
  const u = unit.toLowerCase();
  if (u === 'b' || u === 'bytes') return 1;
  const power = 'kmgtpe'.indexOf(u.charAt(0)) + 1;
  if (power === 0) return undefined;
  const suffix = u.slice(1);
  if (suffix === '' || suffix === 'ib') return 1024 ** power;
  if (suffix === 'b') return 1000 ** power;
  return undefined;
}

function toCount(value: string, fallback: number): number {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** In-scope namespace declarations: prefix ('' for the default namespace) → URI. */
type NsScope = ReadonlyMap<string, string>;

function withDeclarations(el: XmlElement, scope: NsScope): NsScope {
  const declared = attributes(el).filter(([k]) => k === 'xmlns' || k.startsWith('xmlns:'));
  if (declared.length === 0) return scope;
  const next = new Map(scope);
  for (const [k, v] of declared) next.set(k === 'xmlns' ? '' : k.slice('xmlns:'.length), v);
  return next;
}

function namespaceOf(tag: string, scope: NsScope): string | undefined {
  const colon = tag.indexOf(':');
  return scope.get(colon >= 0 ? tag.slice(0, colon) : '');
}

const localName = (tag: string): string => tag.slice(tag.indexOf(':') + 1);

function flattenMetadata(metadata: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  const put = (key: string, value: string): void => {
    if (count >= MAX_METADATA_ENTRIES || key in out) return;
    out[key] = value;
    count++;
  };
  const walk = (el: XmlElement, key: string, depth: number): void => {
    const own = text(el);
    if (own !== '') put(key, own);
    for (const [name, value] of attributes(el)) {
      if (name !== 'xmlns' && !name.startsWith('xmlns:')) put(`${key}@${name}`, value);
    }
    if (depth >= MAX_METADATA_DEPTH) return;
    const entries = elementEntries(el);
    const total = new Map<string, number>();
    for (const [tag] of entries) total.set(tag, (total.get(tag) ?? 0) + 1);
    const seen = new Map<string, number>();
    for (const [tag, sub] of entries) {
      // Repeated siblings are numbered XPath-style: item[1], item[2].
      const n = (seen.get(tag) ?? 0) + 1;
      seen.set(tag, n);
      walk(sub, `${key}/${tag}${total.get(tag)! > 1 ? `[${n}]` : ''}`, depth + 1);
    }
  };
  for (const [tag, el] of elementEntries(metadata)) walk(el, tag, 1);
  return out;
}

/**
 * libosinfo's OS id (http://debian.org/debian/12) as its usual short id (debian12): the path
 * after the vendor's host, joined, which is what virt-install --os-variant shows.
 */
function libosinfoShortId(metadata: XmlElement): string | undefined {
  const rootScope = withDeclarations(metadata, new Map());
  for (const [tag, el] of elementEntries(metadata)) {
    const scope = withDeclarations(el, rootScope);
    if (namespaceOf(tag, scope) !== LIBOSINFO_NS) continue;
    for (const [subTag, sub] of elementEntries(el)) {
      const subScope = withDeclarations(sub, scope);
      if (localName(subTag) !== 'os' || namespaceOf(subTag, subScope) !== LIBOSINFO_NS) continue;
      const id = attr(sub, 'id');
      if (id) return shortIdFromOsinfoId(id);
    }
  }
  return undefined;
}

export function shortIdFromOsinfoId(id: string): string {
  const match = /^[a-z]+:\/\/[^/]+\/(.+?)\/?$/i.exec(id);
  if (!match) return id;
  return match[1]!.split('/').join('');
}
