/**
 * The host part of libvirt's capabilities XML (https://libvirt.org/formatcaps.html). NODE_GET_INFO
 * only gives the architecture; the host CPU's vendor and model name live here.
 */
import { child, childText, parseXmlDocument } from './xml-tree';

export interface HostCpu {
  arch?: string;
  vendor?: string;
  model?: string;
}

export function parseHostCpu(xml: string): HostCpu {
  const caps = parseXmlDocument(xml, 'capabilities', 'capabilities XML');
  const cpu = child(child(caps, 'host'), 'cpu');
  return {
    arch: childText(cpu, 'arch'),
    vendor: childText(cpu, 'vendor'),
    model: childText(cpu, 'model'),
  };
}

/** "Intel Skylake-Client-IBRS (x86_64)", or whatever parts the host reports. */
export function describeHostCpu(cpu: HostCpu, fallbackArch: string): string {
  const name = [cpu.vendor, cpu.model].filter(Boolean).join(' ');
  const arch = cpu.arch ?? fallbackArch;
  if (!name) return arch;
  return arch ? `${name} (${arch})` : name;
}
