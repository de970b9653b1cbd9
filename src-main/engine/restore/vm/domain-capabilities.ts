/**
 * Which disk buses the destination host offers for the VM's architecture and virtualization type,
 * from libvirt's domain capabilities (<devices><disk><enum name='bus'>).
 */
import { CONNECT_GET_DOMAIN_CAPABILITIES } from '../../connectors/libvirt/restore-procedures';
import type { LibvirtConnector } from '../../connectors/libvirt/libvirt-connector';
import { invoke } from '../../connectors/libvirt/procedures';
import { attr, child, children, parseXmlDocument, text } from '../../connectors/libvirt/xml-tree';

export async function supportedDiskBuses(
  connector: LibvirtConnector,
  domainXml: string,
): Promise<Set<string>> {
  const domain = parseXmlDocument(domainXml, 'domain', 'stored domain XML');
  const osType = child(child(domain, 'os'), 'type');
  const caps = await invoke(connector.rpc, CONNECT_GET_DOMAIN_CAPABILITIES, {
    emulator: null,
    arch: attr(osType, 'arch') ?? null,
    // The source's exact machine version may not exist on the destination: ask for its default.
    machine: null,
    virtType: attr(domain, 'type') ?? null,
  });
  const root = parseXmlDocument(caps, 'domainCapabilities', 'domain capabilities');
  const disk = child(child(root, 'devices'), 'disk');
  if (attr(disk, 'supported') === 'no') return new Set();
  const bus = children(disk, 'enum').find((e) => attr(e, 'name') === 'bus');
  return new Set(
    children(bus, 'value')
      .map((v) => text(v))
      .filter((v) => v !== ''),
  );
}
