/**
 * Parsers of the files a Linux distribution describes itself in: os-release(5), and the older
 * /etc/debian_version and /etc/redhat-release for systems that predate it.
 */

export interface LinuxRelease {
  /** "Debian GNU/Linux 12 (bookworm)" */
  name?: string;
  /** "12" */
  version?: string;
  /** "debian", "ubuntu", "rhel" */
  id?: string;
}

/** Longest value kept: PRETTY_NAME is a short line; anything longer is not a name. */
const MAX_VALUE = 200;

/**
 * KEY=value lines; values may be quoted with "" (with \" \\ \$ \` escapes) or '' (literal), as
 * the shell would read them.
 */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n').slice(0, 1000)) {
    const line = raw.trim();
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    } else if (value.startsWith("'") && value.endsWith("'") && value.length >= 2) {
      value = value.slice(1, -1);
    }
    out.set(m[1]!, value.slice(0, MAX_VALUE));
  }
  return out;
}

export function releaseFromOsRelease(text: string): LinuxRelease {
  const fields = parseOsRelease(text);
  const name =
    fields.get('PRETTY_NAME') ??
    ([fields.get('NAME'), fields.get('VERSION')].filter(Boolean).join(' ') || undefined);
  return withoutEmpty({
    name,
    version: fields.get('VERSION_ID') ?? fields.get('VERSION'),
    id: fields.get('ID'),
  });
}

/** /etc/debian_version holds "12.5", or "bookworm/sid" on Ubuntu and Debian testing. */
export function releaseFromDebianVersion(text: string): LinuxRelease {
  const line = firstLine(text);
  if (line === '') return { id: 'debian' };
  const numeric = /^\d+(\.\d+)*$/.test(line);
  return withoutEmpty({
    name: `Debian GNU/Linux ${line}`,
    version: numeric ? line : undefined,
    id: 'debian',
  });
}

/** /etc/redhat-release: "CentOS Linux release 7.9.2009 (Core)", "Red Hat Enterprise Linux …". */
export function releaseFromRedhatRelease(text: string): LinuxRelease {
  const line = firstLine(text);
  const version = /\brelease\s+([\d.]+)/.exec(line)?.[1];
  const lower = line.toLowerCase();
  const id = lower.startsWith('centos')
    ? 'centos'
    : lower.startsWith('fedora')
      ? 'fedora'
      : lower.startsWith('red hat')
        ? 'rhel'
        : undefined;
  return withoutEmpty({ name: line || undefined, version, id });
}

/** The guest's host name from /etc/hostname (first line that is not a comment). */
export function hostnameFromFile(text: string): string | undefined {
  for (const raw of text.split('\n').slice(0, 100)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return validHostname(line);
  }
  return undefined;
}

/** HOSTNAME=… in /etc/sysconfig/network (older Red Hat systems). */
export function hostnameFromSysconfig(text: string): string | undefined {
  const value = parseOsRelease(text).get('HOSTNAME');
  return value === undefined ? undefined : validHostname(value);
}

/** A host name is at most 253 characters, none of them blanks or control characters. */
function validHostname(name: string): string | undefined {
  const printable = [...name].every((c) => c.charCodeAt(0) > 0x20 && c.charCodeAt(0) !== 0x7f);
  return name.length > 0 && name.length <= 253 && printable ? name : undefined;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim().slice(0, MAX_VALUE);
}

function withoutEmpty(release: LinuxRelease): LinuxRelease {
  const out: LinuxRelease = {};
  if (release.name) out.name = release.name;
  if (release.version) out.version = release.version;
  if (release.id) out.id = release.id;
  return out;
}
