import type { HypervisorType } from './hypervisor';

/** `scheme://authority/rest`: the shape every libvirt URI and every full vSphere address has. */
const URI_SHAPE = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i;

export const URI_EXAMPLES: Record<HypervisorType, string> = {
  libvirt:
    'qemu:///system, qemu+unix:///session?socket=/path/libvirt-sock or qemu+tcp://host/system',
  vsphere: 'https://vcenter.example/sdk or https://esx01.example/sdk',
};

/**
 * What is wrong with the shape of a URI, checked as it is typed in the dialog. Only the shape:
 * the engine parses it fully (transport, path, socket) when it is saved or tested.
 */
export function uriShapeProblem(type: HypervisorType, input: string): string | undefined {
  const uri = input.trim();
  if (uri === '') return undefined;
  if (type === 'vsphere') {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? uri : `https://${uri}`;
    const url = parseUrl(withScheme);
    if (url === undefined || url.protocol !== 'https:' || url.hostname === '')
      return `Not a vSphere address: use ${URI_EXAMPLES.vsphere}`;
    return undefined;
  }
  const match = URI_SHAPE.exec(uri);
  if (match === null || parseUrl(uri) === undefined)
    return `Not a libvirt URI: use e.g. ${URI_EXAMPLES.libvirt}`;
  if (!match[1]!.toLowerCase().startsWith('qemu'))
    return `Hyperkeep manages QEMU/KVM hosts: the URI starts with qemu, e.g. ${URI_EXAMPLES.libvirt}`;
  return undefined;
}

/**
 * The URI as compared to find a host registered twice: trimmed, with the scheme and host in lower
 * case (both are case-insensitive); a bare vSphere host name reads as https://host/sdk.
 */
export function uriIdentity(type: HypervisorType, input: string): string {
  const uri = input.trim();
  if (type === 'vsphere') {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? uri : `https://${uri}`;
    const url = parseUrl(withScheme);
    if (url !== undefined) {
      if (url.pathname === '' || url.pathname === '/') url.pathname = '/sdk';
      return url.href;
    }
  }
  const match = URI_SHAPE.exec(uri);
  if (match === null) return uri;
  const [, scheme, authority, rest] = match;
  const at = authority!.lastIndexOf('@');
  const user = at >= 0 ? authority!.slice(0, at + 1) : '';
  const host = authority!.slice(at + 1).toLowerCase();
  return `${scheme!.toLowerCase()}://${user}${host}${rest}`;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
