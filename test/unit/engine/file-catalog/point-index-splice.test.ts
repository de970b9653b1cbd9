import { describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../../shared/errors';
import type { CatalogRecord } from '../../../../src-main/engine/file-catalog/catalog-record';
import {
  PointIndexEncoder,
  decodePointIndex,
} from '../../../../src-main/engine/file-catalog/point-index-object';
import { splicePointIndexVolume } from '../../../../src-main/engine/file-catalog/point-index-splice';
import type { VolumeDelta } from '../../../../src-main/engine/file-catalog/volume-delta';
import {
  decodedTree,
  deltaBetween,
  seenTree,
  join,
  nameOf,
  freshFsId,
  objectOf,
  parentOf,
  record,
  treeOf,
  volumeInfo,
  walkRecords,
  type Tree,
} from './index-trees';

/** The new point's object: `walked` encoded as a walk does, `volume` spliced from the basis. */
function splicedObject(
  point: string,
  walked: [string, Tree],
  volume: string,
  basis: Uint8Array,
  delta: VolumeDelta,
): Uint8Array {
  const encoder = new PointIndexEncoder();
  const spliced = splicePointIndexVolume(basis, volume, 0, delta);
  encoder.addLines(spliced.chunks);
  encoder.add(1, walkRecords(walked[1]).records);
  return encoder.finish({
    point,
    volumes: [volumeInfo(volume), volumeInfo(walked[0])],
    accounts: { users: {}, groups: {} },
    guest: null,
  });
}

describe('splicing a volume of a point index', () => {
  it('gives the tree of the new point, and again on top of its own result', () => {
    const other = treeOf('/boot/vmlinuz', '/boot/grub/grub.cfg');
    const before = treeOf(
      '/etc/hosts',
      '/etc/passwd',
      '/etc/ssl/certs/a.pem',
      '/home/alice/notes.txt',
      '/home/alice/old.txt',
      '/home/alice/deep/1/2/3/leaf.txt',
      '/home/alice/deep/1/2/keep.txt',
      '/var/cache/x/y/z.bin',
      '/var/cache/x/w.bin',
      '/var/log/syslog',
      '/opt/app/bin/run',
      '/opt/tool',
      '/srv/data/a',
      '/srv/data/sub/b',
      '/odd/"quoted"',
      '/odd/back\\slash',
      '/odd/new\nline/ü🎉',
      '/odd/emoji 🎉',
      '/odd/ctl\u0001\t',
      '/empty/',
      '/lnk->',
    );
    const basis = objectOf('p1', [
      ['vda1', other],
      ['vda2', before],
      ['vdb', treeOf('/x')],
    ]);

    const after = new Map(before);
    const change = (path: string, more: Partial<CatalogRecord>) =>
      after.set(path, { ...after.get(path)!, ...more });
    const removeTree = (path: string) => {
      for (const p of after.keys()) if (p === path || p.startsWith(`${path}/`)) after.delete(p);
    };
    change('/', { mtimeMs: 1714564900000 });
    change('/etc/hosts', { size: 99, mtimeMs: 1714564900000, extents: null });
    after.set('/etc/new.conf', record('new.conf', 'file'));
    after.delete('/etc/passwd');
    after.set('/etc/ssl/certs/b.pem', record('b.pem', 'file')); // certs' own record unchanged
    after.set('/home/alice/new.txt', { ...after.get('/home/alice/old.txt')!, name: 'new.txt' });
    after.delete('/home/alice/old.txt');
    change('/home/alice/deep/1', { mtimeMs: 1714564900000 }); // carried with its subtree
    change('/home/alice/deep/1/2/3/leaf.txt', { size: 4096, uid: 1000, attrs: 'immutable' });
    removeTree('/var/cache');
    removeTree('/opt/app');
    after.set('/opt/app', record('app', 'file'));
    after.set('/opt/tool', record('tool', 'dir'));
    after.set('/opt/tool/sub', record('sub', 'dir'));
    after.set('/opt/tool/sub/x', record('x', 'file'));
    removeTree('/srv/data');
    after.set('/srv/data', record('data', 'dir')); // another folder: new fsId
    after.set('/srv/data/sub', record('sub', 'dir'));
    after.set('/srv/data/sub/c', record('c', 'file'));
    after.set('/srv/data/a', record('a', 'file'));
    for (const p of ['/new', '/new/a', '/new/a/b']) after.set(p, record(nameOf(p), 'dir'));
    after.set('/new/a/b/file', record('file', 'file'));
    change('/odd/new\nline/ü🎉', { mode: 0o600, acl: 'u::rw-' });
    after.set('/odd/"quoted" 2\\', { ...after.get('/odd/"quoted"')!, name: '"quoted" 2\\' });
    after.delete('/odd/"quoted"');
    after.set('/empty/🎉', record('🎉', 'file'));

    const delta = deltaBetween(before, after, 'p1');
    // The cases this test is about are in it: a folder listed under an unchanged basis folder …
    expect(delta.folders.map((f) => f.path)).toContain('/etc/ssl/certs');
    expect(delta.folders.map((f) => f.path)).toContain('/home/alice/deep/1/2/3');
    // … and a changed folder whose contents are unchanged, which is not.
    expect(delta.folders.map((f) => f.path)).not.toContain('/home/alice/deep/1');
    const spliced = splicePointIndexVolume(basis, 'vda2', 0, delta);
    expect(spliced.records).toBe(after.size);
    expect(spliced.files).toBe([...after.values()].filter((r) => r.type !== 'dir').length);

    const second = splicedObject('p2', ['vda1', other], 'vda2', basis, delta);
    expect(seenTree(decodedTree(second, 'p2', 'vda2'))).toEqual(seenTree(after));
    expect(seenTree(decodedTree(second, 'p2', 'vda1'))).toEqual(seenTree(other));

    const third = new Map(after);
    for (const p of third.keys()) if (p.startsWith('/etc')) third.delete(p);
    third.set('/srv/data/sub/d', record('d', 'file'));
    third.set('/home/alice/deep/1/2/3/leaf.txt', record('leaf.txt', 'symlink'));
    third.set('/', { ...third.get('/')!, mode: 0o700 });
    const again = splicedObject(
      'p3',
      ['vda1', other],
      'vda2',
      second,
      deltaBetween(after, third, 'p2'),
    );
    expect(seenTree(decodedTree(again, 'p3', 'vda2'))).toEqual(seenTree(third));
  });

  it('copies the lines of an unchanged volume byte for byte', () => {
    const tree = treeOf('/a/b/c', '/a/é"\\', '/d/', '/e->');
    const basis = objectOf('p1', [
      ['vda1', treeOf('/x')],
      ['vda2', tree],
    ]);
    const spliced = splicePointIndexVolume(basis, 'vda2', 1, deltaBetween(tree, tree, 'p1'));
    const lines = Buffer.from(basis)
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('[1,'));
    expect(Buffer.concat(spliced.chunks).toString()).toBe(`${lines.join('\n')}\n`);
  });

  it('gives the same trees as a walk under random changes, three points in a row', () => {
    for (let seed = 1; seed <= 20; seed++) {
      let state = seed;
      const random = (n: number) => {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        return Math.floor((state / 2 ** 31) * n);
      };
      const names = ['a', 'b', 'c', 'd', 'é', '"q"', 'n\nl'];
      const randomName = () => names[random(names.length)]! + (random(3) === 0 ? '🎉' : '');
      const folders = (tree: Tree) => [...tree].filter(([, r]) => r.type === 'dir');
      let tree = treeOf();
      for (let i = 0; i < 120; i++) {
        const [path] = folders(tree)[random(folders(tree).length)]!;
        const name = randomName();
        if (!tree.has(join(path, name)))
          tree.set(join(path, name), record(name, random(3) === 0 ? 'dir' : 'file'));
      }
      let data = objectOf('p0', [['vda1', tree]]);
      for (let point = 1; point <= 3; point++) {
        const next = new Map(tree);
        for (let i = 0; i < 8; i++) {
          const paths = [...next.keys()];
          const path = paths[random(paths.length)]!;
          const was = next.get(path)!;
          const subtree = paths.filter((p) => p === path || p.startsWith(`${path}/`));
          const kind = random(6);
          if (kind === 0) next.set(path, { ...was, size: random(1000), mtimeMs: random(1e9) });
          else if (kind === 1 && was.type === 'dir') next.set(path, { ...was, fsId: freshFsId() });
          else if (kind === 2 && path !== '/') {
            for (const p of subtree) next.delete(p);
            if (random(2) === 0)
              next.set(path, record(was.name, was.type === 'dir' ? 'file' : 'dir'));
          } else if (kind === 3 && path !== '/') {
            const name = randomName();
            const to = join(parentOf(path), name);
            if (next.has(to)) continue;
            for (const p of subtree) {
              next.set(to + p.slice(path.length), next.get(p)!);
              next.delete(p);
            }
            next.set(to, { ...was, name });
          } else if (was.type === 'dir') {
            const name = randomName();
            if (!next.has(join(path, name)))
              next.set(join(path, name), record(name, random(2) === 0 ? 'dir' : 'file'));
          }
        }
        const delta = deltaBetween(tree, next, `p${point - 1}`);
        const encoder = new PointIndexEncoder();
        encoder.addLines(splicePointIndexVolume(data, 'vda1', 0, delta).chunks);
        data = encoder.finish({
          point: `p${point}`,
          volumes: [volumeInfo('vda1')],
          accounts: { users: {}, groups: {} },
          guest: null,
        });
        expect(
          seenTree(decodedTree(data, `p${point}`, 'vda1')),
          `seed ${seed} point ${point}`,
        ).toEqual(seenTree(next));
        tree = next;
      }
    }
  });
});

describe('splicing refuses, so that the volume is walked instead,', () => {
  const tree = treeOf('/etc/hosts', '/etc/ssl/certs/a.pem', '/home/');
  const basis = objectOf('p1', [['vda1', tree]]);
  const root = { ...tree.get('/')!, parent: -1 };
  const listing = (path: string, ...more: CatalogRecord[]) => ({
    path,
    children: [
      ...[...tree].filter(([p]) => p !== '/' && parentOf(p) === path).map(([, r]) => r),
      ...more,
    ],
  });
  const refusal = (data: Uint8Array, volume: string, delta: Partial<VolumeDelta>) => {
    try {
      splicePointIndexVolume(data, volume, 0, { basisPointId: 'p1', root, folders: [], ...delta });
    } catch (err) {
      expect(err).toBeInstanceOf(HyperkeepError);
      return `${(err as HyperkeepError).details?.reason}: ${(err as Error).message}`;
    }
    throw new Error('not refused');
  };

  it('a volume the basis does not have', () => {
    expect(refusal(basis, 'vdb', {})).toMatch(/DELTA_MISMATCH: .* volume vdb .* no such volume/);
    const unindexed = new PointIndexEncoder().finish({
      point: 'p1',
      volumes: [volumeInfo('vda1')],
      accounts: { users: {}, groups: {} },
      guest: null,
    });
    expect(refusal(unindexed, 'vda1', {})).toMatch(/DELTA_MISMATCH: .*no records of it/);
    expect(refusal(basis, 'vda1', { basisPointId: 'p0' })).toMatch(/describes point p1/);
  });

  it('a changed folder that is in neither tree, or comes before its parent', () => {
    expect(refusal(basis, 'vda1', { folders: [{ path: '/var/lib', children: [] }] })).toMatch(
      /folder \/var\/lib is neither in that point nor in a new listing/,
    );
    const hostsAsFolder = { path: '/etc/hosts', children: [] };
    expect(refusal(basis, 'vda1', { folders: [hostsAsFolder] })).toMatch(/\/etc\/hosts is neither/);
    expect(
      refusal(basis, 'vda1', { folders: [listing('/'), { path: '/var', children: [] }] }),
    ).toMatch(/folder \/var is not in its parent's new listing/);
    expect(refusal(basis, 'vda1', { folders: [listing('/etc/ssl'), listing('/etc')] })).toMatch(
      /folder \/etc comes after a folder inside it/,
    );
    expect(refusal(basis, 'vda1', { folders: [listing('/etc'), listing('/etc')] })).toMatch(
      /listed twice/,
    );
    expect(refusal(basis, 'vda1', { folders: [{ path: 'etc/', children: [] }] })).toMatch(
      /"etc\/" is not a folder path/,
    );
  });

  it('a new folder without its listing, or a name that is not one', () => {
    expect(refusal(basis, 'vda1', { folders: [listing('/', record('var', 'dir'))] })).toMatch(
      /folder \/var is new but its listing is not given/,
    );
    expect(refusal(basis, 'vda1', { folders: [listing('/', record('a/b', 'file'))] })).toMatch(
      /"a\/b" is not a file name/,
    );
  });

  it('a damaged line', () => {
    const lines = Buffer.from(basis).toString().split('\n');
    const parent = (n: string) => (l: string) => l.replace(/^\[0,\d+,/, `[0,${n},`);
    const cases: [number, (line: string) => string][] = [
      [3, parent('x')],
      [3, parent('7')], // a parent that comes later
      [7, parent('3')], // a.pem under hosts, a file
      [3, (l) => l.slice(0, -1)],
      [2, (l) => l.replace(/",1,/, '",7,')],
      [2, (l) => l.replace(/"etc"/, '"etc')],
    ];
    for (const [at, edit] of cases) {
      const damaged = Buffer.from(lines.map((l, i) => (i === at ? edit(l) : l)).join('\n'));
      expect(refusal(damaged, 'vda1', {})).toMatch(`CORRUPT: `);
      expect(refusal(damaged, 'vda1', {})).toMatch(`line ${at + 1} is damaged`);
    }
  });
});

describe('the index encoder with spliced lines', () => {
  it('mixes them with walked volumes and drops them again on rollback', () => {
    const tree = treeOf('/a/b', '/c');
    const basis = objectOf('p1', [['vda1', tree]]);
    const spliced = splicePointIndexVolume(basis, 'vda1', 1, deltaBetween(tree, tree, 'p1'));
    const finish = (encoder: PointIndexEncoder) =>
      encoder.finish({
        point: 'p2',
        volumes: [volumeInfo('vdb'), volumeInfo('vda1')],
        accounts: { users: {}, groups: {} },
        guest: null,
      });
    const encoder = new PointIndexEncoder();
    encoder.add(0, walkRecords(treeOf('/x')).records);
    const mark = encoder.mark();
    encoder.addLines(spliced.chunks);
    expect(seenTree(decodedTree(finish(encoder), 'p2', 'vda1'))).toEqual(seenTree(tree));
    encoder.rollback(mark);
    const rolledBack = finish(encoder);
    expect([...decodePointIndex(rolledBack, 'p2').records()].map((r) => r.volume)).toEqual([0, 0]);
    expect(() => encoder.addLines([Buffer.from('[0,-1')])).toThrow(/end with a newline/);
  });
});

describe('splicing a large volume', () => {
  it('costs far less than decoding it (timing printed, not asserted)', () => {
    const tree: Tree = new Map([['/', record('', 'dir')]]);
    for (let d = 0; d < 2000; d++) {
      tree.set(`/d${d}`, record(`d${d}`, 'dir'));
      for (let f = 0; f < 100; f++)
        tree.set(`/d${d}/file-${f}.dat`, record(`file-${f}.dat`, 'file'));
    }
    const basis = objectOf('p1', [['vda1', tree]]);
    const after = new Map(tree);
    const changed = new Set<string>();
    const set = (path: string, r: CatalogRecord | null) => {
      if (r) after.set(path, r);
      else after.delete(path);
      changed.add(parentOf(path));
    };
    for (let i = 0; i < 5; i++)
      set(`/d${i * 397}/file-7.dat`, record('file-7.dat', 'file', { size: 5 }));
    for (let i = 0; i < 3; i++) set(`/d${i * 601}/added`, record('added', 'file'));
    set('/d1999/file-0.dat', null);
    set('/d5/file-99.dat', null);
    // deltaBetween compares every folder: a second here.
    const delta: VolumeDelta = {
      basisPointId: 'p1',
      root: { ...tree.get('/')!, parent: -1 },
      folders: [...changed].map((path) => ({
        path,
        children: [...after].filter(([p]) => p !== '/' && parentOf(p) === path).map(([, r]) => r),
      })),
    };

    let began = performance.now();
    const spliced = splicePointIndexVolume(basis, 'vda1', 0, delta);
    const spliceMs = performance.now() - began;
    began = performance.now();
    let decoded = 0;
    for (const _ of decodePointIndex(basis, 'p1').records()) decoded++;
    const decodeMs = performance.now() - began;
    console.log(
      `splice of ${spliced.records} records (${basis.length >> 20} MiB): ${spliceMs.toFixed(0)} ms; ` +
        `decodePointIndex of ${decoded}: ${decodeMs.toFixed(0)} ms`,
    );
    const encoder = new PointIndexEncoder();
    encoder.addLines(spliced.chunks);
    const data = encoder.finish({
      point: 'p2',
      volumes: [volumeInfo('vda1')],
      accounts: { users: {}, groups: {} },
      guest: null,
    });
    // Unchanged lines are copied as they were (see above): every path, and the changed records.
    const got = decodedTree(data, 'p2', 'vda1');
    expect([...got.keys()].sort().join('\n')).toBe([...after.keys()].sort().join('\n'));
    const listed = delta.folders.flatMap((f) => f.children.map((c) => join(f.path, c.name)));
    expect(seenTree(new Map(listed.map((p) => [p, got.get(p)!])))).toEqual(
      seenTree(new Map(listed.map((p) => [p, after.get(p)!]))),
    );
  });
});
