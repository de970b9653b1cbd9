import { describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../../../shared/errors';
import { parseLibvirtUri } from '../../../../../src-main/engine/connectors/libvirt/uri';

const env = { xdgRuntimeDir: '/run/user/1000', home: '/home/ann' };

describe('parseLibvirtUri: accepted URIs', () => {
  const cases: [string, object][] = [
    [
      'qemu:///system',
      {
        transport: 'unix',
        socketPaths: ['/var/run/libvirt/libvirt-sock', '/var/run/libvirt/virtqemud-sock'],
        openName: 'qemu:///system',
      },
    ],
    [
      'qemu:///session',
      {
        transport: 'unix',
        socketPaths: [
          '/run/user/1000/libvirt/libvirt-sock',
          '/run/user/1000/libvirt/virtqemud-sock',
        ],
        openName: 'qemu:///session',
      },
    ],
    [
      '  qemu+unix:///system?socket=/srv/lab/libvirt-sock  ',
      { transport: 'unix', socketPaths: ['/srv/lab/libvirt-sock'], openName: 'qemu:///system' },
    ],
    [
      'qemu+unix:///session?socket=/tmp/my%20lab/a+b/libvirt-sock',
      {
        transport: 'unix',
        // libvirt does not turn + into a space in query values
        socketPaths: ['/tmp/my lab/a+b/libvirt-sock'],
        openName: 'qemu:///session',
      },
    ],
    [
      'qemu:///system?mode=direct',
      { socketPaths: ['/var/run/libvirt/virtqemud-sock'], openName: 'qemu:///system' },
    ],
    [
      'qemu+tcp://kvm01.example.org/system',
      { transport: 'tcp', host: 'kvm01.example.org', port: 16509, openName: 'qemu:///system' },
    ],
    [
      'qemu+tcp://127.0.0.1:16599/session',
      { transport: 'tcp', host: '127.0.0.1', port: 16599, openName: 'qemu:///session' },
    ],
    ['qemu+tcp://[::1]:1234/system', { transport: 'tcp', host: '::1', port: 1234 }],
    ['qemu+tcp:///system', { transport: 'tcp', host: 'localhost', port: 16509 }],
    [
      'QEMU+TCP://root@h/system?no_verify=1&foo=bar',
      // client-only parameters are stripped, others forwarded like libvirt's remote driver does
      { host: 'h', openName: 'qemu:///system?foo=bar' },
    ],
    ['qemu+tcp://h/system?name=qemu:///embed', { openName: 'qemu:///embed' }],
  ];
  it.each(cases)('%s', (uri, expected) => {
    expect(parseLibvirtUri(uri, env)).toMatchObject({ driver: 'qemu', ...expected });
  });

  it('falls back to ~/.cache/libvirt for a session without XDG_RUNTIME_DIR', () => {
    expect(parseLibvirtUri('qemu:///session', { home: '/root' }).socketPaths[0]).toBe(
      '/root/.cache/libvirt/libvirt-sock',
    );
  });
});

describe('parseLibvirtUri: rejected URIs say why', () => {
  const cases: [string, RegExp][] = [
    ['test:///default', /test driver .* not supported by Hyperkeep/],
    [
      'qemu+tls://host/system',
      /tls transport is not supported yet\. Supported now: qemu:\/\/\/system/,
    ],
    ['qemu+ssh://root@host/system', /ssh transport is not supported yet\. Supported now:/],
    ['qemu+libssh2://root@host/system', /libssh2 transport is not supported yet/],
    ['qemu://host/system', /a URI with a host and no \+transport means TLS/],
    ['qemu+carrier-pigeon:///system', /unknown libvirt transport "carrier-pigeon"/],
    ['lxc:///system', /driver "lxc" is not supported by Hyperkeep/],
    ['esx://vcenter/', /vSphere hypervisor type/],
    ['qemu:///embed?root=/x', /ends in \/system or \/session/],
    ['qemu+unix:///system?socket=relative/sock', /absolute path/],
    ['qemu+unix://host/system', /names no host/],
    ['qemu+tcp://h/system?socket=/x', /only applies to unix/],
    ['qemu:///system?mode=sideways', /mode must be/],
    ['not a uri', /is not a libvirt URI/],
    ['', /is not a libvirt URI/],
  ];
  it.each(cases)('%s', (uri, message) => {
    let error: unknown;
    try {
      parseLibvirtUri(uri, env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HyperkeepError);
    expect((error as HyperkeepError).code).toBe('INVALID_URI');
    expect((error as HyperkeepError).message).toMatch(message);
  });

  it('needs XDG_RUNTIME_DIR or HOME to find a session socket', () => {
    expect(() => parseLibvirtUri('qemu:///session', {})).toThrow(/add \?socket=/);
  });
});
