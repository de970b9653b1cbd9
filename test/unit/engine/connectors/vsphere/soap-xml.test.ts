import { describe, expect, it } from 'vitest';
import {
  childNamed,
  el,
  moRef,
  parseSoapXml,
  soapEnvelope,
  textAt,
} from '../../../../../src-main/engine/connectors/vsphere/soap-xml';
import { normalizeFingerprint } from '../../../../../src-main/engine/connectors/vsphere/pinned-https';
import { parseVsphereUri } from '../../../../../src-main/engine/connectors/vsphere/vsphere-connector';

describe('vSphere SOAP XML', () => {
  it('finds xsi:type by namespace whatever the prefix, and keeps the plain type attribute', () => {
    const reply = parseSoapXml(
      `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
      <soapenv:Body><R xmlns="urn:vim25"><returnval>
        <val xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"
             XMLSchema-instance:type="ManagedObjectReference" type="HostSystem">host-21</val>
        <other xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="xsd:string">a &amp; b</other>
        <fake xmlns:x="urn:not-xsi" x:type="Nope">c</fake>
      </returnval></R></soapenv:Body></soapenv:Envelope>`,
      'R',
    );
    const body = childNamed(reply, 'Body');
    const returnval = childNamed(childNamed(body, 'R'), 'returnval');
    const val = childNamed(returnval, 'val')!;
    expect(val).toMatchObject({
      xsiType: 'ManagedObjectReference',
      text: 'host-21',
      ns: 'urn:vim25',
    });
    expect(val.attrs).toEqual({ type: 'HostSystem' });
    expect(childNamed(returnval, 'other')).toMatchObject({ xsiType: 'string', text: 'a & b' });
    expect(childNamed(returnval, 'fake')?.xsiType).toBeUndefined();
    expect(textAt(returnval, 'other')).toBe('a & b');
  });

  it('refuses unreadable XML with a message naming the call', () => {
    expect(() => parseSoapXml('<a><b></a>', 'Login')).toThrow(/answered Login with unreadable XML/);
  });

  it('writes escaped arguments with types and references', () => {
    const xml = soapEnvelope('Login', [
      moRef('_this', { type: 'SessionManager', value: 'SessionManager' }),
      el('password', '<p&"ss>'),
      el('selectSet', [el('path', 'view')], { xsiType: 'TraversalSpec' }),
    ]);
    expect(xml).toContain('<_this type="SessionManager">SessionManager</_this>');
    expect(xml).toContain('<password>&lt;p&amp;&quot;ss&gt;</password>');
    expect(xml).toContain('<selectSet xsi:type="TraversalSpec"><path>view</path></selectSet>');
  });

  it('normalizes certificate fingerprints and vSphere addresses', () => {
    const hex = 'ab'.repeat(32);
    expect(normalizeFingerprint(hex)).toBe('AB:'.repeat(31) + 'AB');
    expect(normalizeFingerprint('AB:CD')).toBeUndefined();
    expect(parseVsphereUri('vcenter.example').href).toBe('https://vcenter.example/sdk');
    expect(parseVsphereUri('https://esx01:8443/sdk').port).toBe('8443');
    expect(() => parseVsphereUri('http://vcenter.example/sdk')).toThrow(/https:\/\/host\/sdk/);
  });
});
