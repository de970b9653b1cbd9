import { describe, expect, it } from 'vitest';
import { uriIdentity, uriShapeProblem } from '../../../../shared/domain/hypervisor-uri';

describe('URI shape, checked as it is typed', () => {
  it('accepts the URIs administrators type', () => {
    for (const uri of [
      'qemu:///system',
      'qemu+unix:///session?socket=/run/user/1000/libvirt/libvirt-sock',
      'qemu+tcp://kvm01.example/system',
      '',
    ])
      expect(uriShapeProblem('libvirt', uri)).toBeUndefined();
    for (const uri of ['vcenter.example', 'https://esx01:443/sdk'])
      expect(uriShapeProblem('vsphere', uri)).toBeUndefined();
  });

  it('says what is wrong and gives an example', () => {
    expect(uriShapeProblem('libvirt', 'not a uri')).toMatch(
      /^Not a libvirt URI.*qemu:\/\/\/system/,
    );
    expect(uriShapeProblem('libvirt', 'xen:///system')).toMatch(/starts with qemu/);
    expect(uriShapeProblem('vsphere', 'http://vcenter.example')).toMatch(/^Not a vSphere address/);
    expect(uriShapeProblem('vsphere', 'not a host')).toMatch(/https:\/\/vcenter\.example\/sdk/);
  });
});

describe('URI identity, to find a host registered twice', () => {
  it('ignores surrounding blanks and the case of scheme and host, not of the path', () => {
    const uri = 'qemu+tcp://KVM01.Example:16509/system';
    expect(uriIdentity('libvirt', ` ${uri} `)).toBe('qemu+tcp://kvm01.example:16509/system');
    expect(uriIdentity('libvirt', 'QEMU:///system')).toBe('qemu:///system');
    expect(uriIdentity('libvirt', 'qemu+unix:///system?socket=/A/sock')).not.toBe(
      uriIdentity('libvirt', 'qemu+unix:///system?socket=/a/sock'),
    );
  });

  it('reads a bare vSphere host as https://host/sdk', () => {
    expect(uriIdentity('vsphere', 'VCenter.example')).toBe('https://vcenter.example/sdk');
    expect(uriIdentity('vsphere', 'https://vcenter.example:443/')).toBe(
      'https://vcenter.example/sdk',
    );
  });
});
