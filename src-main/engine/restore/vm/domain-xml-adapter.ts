/**
 * Turns the domain XML stored with a restore point into one the destination host can define
 * (FIG. 14A): a new name and UUID (and MAC addresses) unless in place, disks pointing at the
 * restored volumes, and the host-specific parts that would stop `define` or tie the copy to the
 * source host taken out. What makes the VM what it is stays: CPU, memory, firmware, NICs, devices.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { HyperkeepError } from '../../../../shared/errors';

export interface RestoredDiskPlacement {
  /** Target device in the guest (vda). */
  target: string;
  /** Path of the restored volume on the destination host. */
  path: string;
  format: 'raw' | 'qcow2';
}

export interface AdaptDomainOptions {
  name: string;
  uuid: string;
  /** In place: the original's MAC addresses stay; otherwise libvirt generates new ones. */
  keepMacs: boolean;
  disks: readonly RestoredDiskPlacement[];
  /** Disk buses of the destination's domain capabilities; empty leaves buses as they are. */
  supportedBuses: ReadonlySet<string>;
  /**
   * A recovery test: network cards are left out, so the copy, booted beside the original,
   * cannot answer for its addresses or reach what the original talks to.
   */
  isolateNetwork?: boolean;
}

export interface AdaptedDomain {
  xml: string;
  /** What was changed beyond name, UUID and disk paths, for the job log. */
  changes: string[];
}

/** A preserveOrder node of fast-xml-parser: `{ tag: children, ':@': attributes }`. */
type XmlNode = Record<string, unknown>;

const ATTRS = ':@';
const MAX_DEPTH = 64;
const options = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  maxNestedTags: MAX_DEPTH,
} as const;
const parser = new XMLParser(options);
const builder = new XMLBuilder({ ...options, format: true, suppressEmptyNode: true });

function tagOf(node: XmlNode): string {
  return Object.keys(node).find((k) => k !== ATTRS) ?? '';
}

function kids(node: XmlNode): XmlNode[] {
  const value = node[tagOf(node)];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

function attrs(node: XmlNode): Record<string, string> {
  const existing = node[ATTRS];
  if (existing && typeof existing === 'object') return existing as Record<string, string>;
  const created: Record<string, string> = {};
  node[ATTRS] = created;
  return created;
}

function childrenNamed(node: XmlNode, name: string): XmlNode[] {
  return kids(node).filter((k) => tagOf(k) === name);
}

function firstChild(node: XmlNode, name: string): XmlNode | undefined {
  return childrenNamed(node, name)[0];
}

function removeChildren(node: XmlNode, name: string): number {
  const list = kids(node);
  const kept = list.filter((k) => tagOf(k) !== name);
  node[tagOf(node)] = kept;
  return list.length - kept.length;
}

function element(name: string, attributes: Record<string, string>): XmlNode {
  const node: XmlNode = { [name]: [] };
  node[ATTRS] = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`@_${k}`, v]));
  return node;
}

function setText(node: XmlNode, value: string): void {
  node[tagOf(node)] = [{ '#text': value }];
}

/** Drops <seclabel> at every depth: labels name the source host's security contexts. */
function stripSeclabels(node: XmlNode, depth = 0): number {
  if (depth > MAX_DEPTH) return 0;
  let removed = removeChildren(node, 'seclabel');
  for (const k of kids(node)) if (tagOf(k) !== '#text') removed += stripSeclabels(k, depth + 1);
  return removed;
}

function ensureChild(parent: XmlNode, name: string, before?: string): XmlNode {
  const found = firstChild(parent, name);
  if (found) return found;
  const created: XmlNode = { [name]: [] };
  const list = kids(parent);
  const at = before ? list.findIndex((k) => tagOf(k) === before) : -1;
  list.splice(at >= 0 ? at : list.length, 0, created);
  return created;
}

export function adaptDomainXml(xml: string, opts: AdaptDomainOptions): AdaptedDomain {
  if (XMLValidator.validate(xml) !== true) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      'The VM configuration stored with this restore point is not valid XML',
    );
  }
  const doc = parser.parse(xml) as XmlNode[];
  const domain = doc.find((n) => tagOf(n) === 'domain');
  if (!domain) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      'The VM configuration stored with this restore point has no <domain> element',
    );
  }
  const changes: string[] = [];
  delete attrs(domain)['@_id'];
  setText(ensureChild(domain, 'name'), opts.name);
  setText(ensureChild(domain, 'uuid', 'memory'), opts.uuid);
  const labels = stripSeclabels(domain);
  if (labels > 0) changes.push(`Removed ${labels} security label(s) of the source host`);

  const os = firstChild(domain, 'os');
  if (os && removeChildren(os, 'nvram') > 0) {
    changes.push('NVRAM file path dropped: libvirt creates a fresh one from the firmware template');
  }

  const devices = firstChild(domain, 'devices');
  if (devices) adaptDevices(devices, opts, changes);
  return { xml: builder.build(doc) as string, changes };
}

function adaptDevices(devices: XmlNode, opts: AdaptDomainOptions, changes: string[]): void {
  if (removeChildren(devices, 'emulator') > 0) {
    changes.push("Emulator path dropped: the destination uses its own host's QEMU");
  }
  const hostdevs = removeChildren(devices, 'hostdev');
  if (hostdevs > 0) changes.push(`Removed ${hostdevs} passed-through host device(s)`);
  const placements = new Map(opts.disks.map((d) => [d.target, d]));
  const kept: XmlNode[] = [];
  let isolated = 0;
  for (const node of kids(devices)) {
    const tag = tagOf(node);
    if (tag === 'disk') {
      if (adaptDisk(node, placements, opts.supportedBuses, changes)) kept.push(node);
    } else if (tag === 'interface') {
      if (opts.isolateNetwork) {
        isolated += 1;
        continue;
      }
      adaptInterface(node, opts.keepMacs);
      kept.push(node);
    } else if (tag === 'channel') {
      // A unix channel's socket path belongs to the source host; libvirt picks one when absent.
      const source = firstChild(node, 'source');
      if (source) delete attrs(source)['@_path'];
      kept.push(node);
    } else kept.push(node);
  }
  devices[tagOf(devices)] = kept;
  if (isolated > 0) changes.push(`Isolated: ${isolated} network card(s) left out`);
  else if (!opts.keepMacs) changes.push('New MAC addresses: libvirt generates them at define');
}

/** Returns false when the disk is left out of the restored VM. */
function adaptDisk(
  disk: XmlNode,
  placements: Map<string, RestoredDiskPlacement>,
  supportedBuses: ReadonlySet<string>,
  changes: string[],
): boolean {
  const a = attrs(disk);
  const device = a['@_device'] ?? 'disk';
  const target = firstChild(disk, 'target');
  const dev = target ? attrs(target)['@_dev'] : undefined;
  if (device === 'cdrom' || device === 'floppy') {
    if (removeChildren(disk, 'source') > 0) {
      changes.push(`${dev ?? device}: left empty (its image is a file of the source host)`);
    }
    removeChildren(disk, 'backingStore');
    a['@_type'] = 'file';
    return true;
  }
  const placement = dev ? placements.get(dev) : undefined;
  if (!placement) {
    changes.push(`${dev ?? 'a disk'}: not in the restore point, left out of the restored VM`);
    return false;
  }
  a['@_type'] = 'file';
  if (device === 'lun') a['@_device'] = 'disk';
  for (const name of ['source', 'backingStore', 'mirror']) removeChildren(disk, name);
  const driver = ensureChild(disk, 'driver');
  attrs(driver)['@_name'] = 'qemu';
  attrs(driver)['@_type'] = placement.format;
  const list = kids(disk);
  list.splice(list.indexOf(driver) + 1, 0, element('source', { file: placement.path }));
  const bus = target ? attrs(target)['@_bus'] : undefined;
  if (target && bus && supportedBuses.size > 0 && !supportedBuses.has(bus)) {
    const replacement = ['virtio', 'sata', 'scsi', 'ide'].find((b) => supportedBuses.has(b));
    if (replacement) {
      attrs(target)['@_bus'] = replacement;
      // The old controller address does not fit the new bus; libvirt assigns a fresh one.
      removeChildren(disk, 'address');
      changes.push(`${dev}: bus ${bus} is not available on the destination, using ${replacement}`);
    }
  }
  return true;
}

function adaptInterface(nic: XmlNode, keepMacs: boolean): void {
  if (!keepMacs) removeChildren(nic, 'mac');
  // The tap device name (vnet3) and the alias are the source host's runtime state.
  removeChildren(nic, 'target');
}
