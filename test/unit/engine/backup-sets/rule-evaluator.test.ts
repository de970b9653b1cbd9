import { describe, expect, it } from 'vitest';
import { SubclientContent, type RuleInput } from '../../../../shared/domain/rules';
import type { VirtualMachine } from '../../../../shared/domain/vm';
import {
  evaluateRules,
  validateContent,
  type RuleSet,
  type RuleSubject,
} from '../../../../src-main/engine/backup-sets/rule-evaluator';

function vm(name: string, extra: Partial<VirtualMachine> = {}): RuleSubject {
  return {
    vm: {
      uuid: `uuid-${name}`,
      name,
      hypervisorId: 'h1',
      hypervisorName: 'lab-host-1',
      host: 'kvm-a.example',
      powerState: 'running',
      vcpus: 1,
      memoryBytes: 1 << 30,
      disks: [
        {
          target: 'vda',
          bus: 'virtio',
          device: 'disk',
          format: 'qcow2',
          path: '/pools/fast/' + name + '.qcow2',
          capacityBytes: 1 << 30,
          readonly: false,
        },
      ],
      nics: [],
      provisionedBytes: 1 << 30,
      metadata: {},
      ...extra,
    },
    hostNames: ['lab-host-1', extra.host ?? 'kvm-a.example'],
  };
}

function set(
  name: string,
  rules: RuleInput[],
  options: { match?: 'all' | 'any'; exclusions?: RuleInput[]; excludeVms?: string[] } = {},
): RuleSet {
  return {
    subclientId: name,
    subclientName: name,
    content: SubclientContent.parse({
      match: options.match ?? 'any',
      rules,
      exclusions: options.exclusions ?? [],
    }),
    excludeVms: options.excludeVms ?? [],
  };
}

const placed = (sets: RuleSet[], subjects: RuleSubject[]) =>
  evaluateRules(sets, subjects).memberships.map((m) => m?.subclientId ?? null);

describe('rule evaluation', () => {
  it('name regex: anchors, case-insensitive by default, case-sensitive on request', () => {
    const subjects = [vm('web-01'), vm('WEB-02'), vm('db-web')];
    expect(placed([set('web', [{ type: 'name', pattern: '^web-' }])], subjects)).toEqual([
      'web',
      'web',
      null,
    ]);
    expect(
      placed([set('web', [{ type: 'name', pattern: '^web-', caseSensitive: true }])], subjects),
    ).toEqual(['web', null, null]);
    expect(placed([set('web', [{ type: 'name', pattern: 'web$' }])], subjects)).toEqual([
      null,
      null,
      'web',
    ]);
  });

  it('unicode names match with Unicode semantics', () => {
    const subjects = [vm('sérveur-ünïcode'), vm('服务器-1'), vm('plain')];
    expect(placed([set('u', [{ type: 'name', pattern: '^\\p{L}+-\\d$' }])], subjects)).toEqual([
      null,
      'u',
      null,
    ]);
    expect(placed([set('u', [{ type: 'name', pattern: 'ü' }])], subjects)).toEqual([
      'u',
      null,
      null,
    ]);
    expect(placed([set('u', [{ type: 'name', pattern: '^.务器' }])], subjects)).toEqual([
      null,
      'u',
      null,
    ]);
  });

  it('host affinity matches the registered name or the hostname', () => {
    const a = vm('a');
    const b = { ...vm('b', { host: 'kvm-b.example' }), hostNames: ['lab-host-2', 'kvm-b.example'] };
    expect(placed([set('h', [{ type: 'host', value: 'LAB-HOST-2' }])], [a, b])).toEqual([
      null,
      'h',
    ]);
    expect(placed([set('h', [{ type: 'host', value: 'kvm-a.example' }])], [a, b])).toEqual([
      'h',
      null,
    ]);
  });

  it('all vs any, exclusions and negation', () => {
    const subjects = [vm('web-01'), vm('web-02', { powerState: 'shutoff' }), vm('db-01')];
    const rules: RuleInput[] = [
      { type: 'name', pattern: '^web' },
      { type: 'power-state', value: 'running' },
    ];
    expect(placed([set('s', rules, { match: 'all' })], subjects)).toEqual(['s', null, null]);
    expect(placed([set('s', rules, { match: 'any' })], subjects)).toEqual(['s', 's', 's']);
    expect(
      placed(
        [set('s', rules, { match: 'any', exclusions: [{ type: 'name', pattern: '^db' }] })],
        subjects,
      ),
    ).toEqual(['s', 's', null]);
    expect(placed([set('s', [{ type: 'name', pattern: '^web', negate: true }])], subjects)).toEqual(
      [null, null, 's'],
    );
    expect(
      placed([set('s', [{ type: 'name', pattern: '.' }], { excludeVms: ['web-*'] })], subjects),
    ).toEqual([null, null, 's']);
  });

  it('storage, guest OS, tags and description', () => {
    const subjects = [
      vm('a', {
        guestOs: 'http://debian.org/debian/12',
        metadata: { 'hk:tags': 'web,prod' },
        description: 'Front end',
      }),
      vm('b', {
        disks: [
          {
            target: 'vda',
            bus: 'virtio',
            device: 'disk',
            format: 'raw',
            path: '/pools/slow/b.img',
            capacityBytes: 1,
            readonly: false,
          },
        ],
      }),
    ];
    expect(placed([set('s', [{ type: 'storage', pattern: '^/pools/slow/' }])], subjects)).toEqual([
      null,
      's',
    ]);
    expect(placed([set('s', [{ type: 'guest-os', pattern: 'debian' }])], subjects)).toEqual([
      's',
      null,
    ]);
    expect(
      placed([set('s', [{ type: 'tag', key: 'tags', pattern: '\\bprod\\b' }])], subjects),
    ).toEqual(['s', null]);
    expect(placed([set('s', [{ type: 'tag', key: 'tags' }])], subjects)).toEqual(['s', null]);
    expect(placed([set('s', [{ type: 'description', pattern: 'front' }])], subjects)).toEqual([
      's',
      null,
    ]);
  });

  it('first matching subclient in order wins, and the reason names the rule', () => {
    const sets = [
      set('first', [{ type: 'name', pattern: '01$' }]),
      set('second', [{ type: 'name', pattern: '^web' }]),
    ];
    const { memberships } = evaluateRules(sets, [vm('web-01'), vm('web-02')]);
    expect(memberships.map((m) => m?.subclientId)).toEqual(['first', 'second']);
    expect(memberships[0]!.reason).toBe('name matching /01$/i (subclient first)');
  });

  it('an invalid regex is a clear error naming the field', () => {
    expect(() =>
      validateContent(SubclientContent.parse({ rules: [{ type: 'name', pattern: 'web(' }] })),
    ).toThrow(/^Invalid regular expression \/web\(\/: Unterminated group$/);
    try {
      validateContent(
        SubclientContent.parse({
          rules: [
            { type: 'name', pattern: 'ok' },
            { type: 'name', pattern: '[z-a]' },
          ],
        }),
      );
    } catch (err) {
      expect((err as { details: unknown }).details).toEqual({ field: 'content.rules.1.pattern' });
    }
  });

  it('a catastrophic regex cannot hang discovery: it matches nothing, with a warning, and other rules still work', () => {
    const subjects = [vm('a'.repeat(40) + '!'), vm('web-01')];
    const started = Date.now();
    const { memberships, warnings } = evaluateRules(
      [
        set('evil', [{ type: 'name', pattern: '^(a+)+$' }]),
        set('web', [{ type: 'name', pattern: '^web' }]),
      ],
      subjects,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(memberships.map((m) => m?.subclientId ?? null)).toEqual([null, 'web']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/evil.*took too long/);
  });
});
