import { lstat, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tool } from './fs-fixtures';

/**
 * XFS images for the tests, made with xfsprogs (mkfs.xfs -p protofile, xfs_db to cross-check).
 *
 * mkfs.xfs ≥ 5.19 refuses file systems under 300 MB unless it runs under fstests; these variables
 * are how fstests says so, and keep the test images (and the fuzz test's copies) small.
 */
export const SMALL_XFS_ENV = { TEST_DIR: '/tmp', TEST_DEV: '/dev/null', QA_CHECK_FS: 'xfs' };

/** A node of a mkfs.xfs prototype tree. Names may not hold whitespace, ':' or be '$'. */
export type ProtoNode =
  | { name: string; kind: 'file'; source: string; mode?: number; uid?: number; gid?: number }
  | { name: string; kind: 'dir'; children: ProtoNode[]; mode?: number }
  | { name: string; kind: 'symlink'; target: string }
  | { name: string; kind: 'chardev' | 'blockdev'; major: number; minor: number }
  | { name: string; kind: 'fifo' };

function protoLines(nodes: ProtoNode[], out: string[]): void {
  for (const n of nodes) {
    if (/[\s:]/.test(n.name) || n.name === '$') throw new Error(`no proto name: ${n.name}`);
    const perm = (mode: number | undefined, fallback: number) =>
      (mode ?? fallback).toString(8).padStart(3, '0');
    switch (n.kind) {
      case 'file':
        out.push(`${n.name} ---${perm(n.mode, 0o644)} ${n.uid ?? 0} ${n.gid ?? 0} ${n.source}`);
        break;
      case 'dir':
        out.push(`${n.name} d--${perm(n.mode, 0o755)} 0 0`);
        protoLines(n.children, out);
        out.push('$');
        break;
      case 'symlink':
        if (/[\s:]/.test(n.target)) throw new Error(`no proto symlink target: ${n.target}`);
        out.push(`${n.name} l--777 0 0 ${n.target}`);
        break;
      case 'chardev':
      case 'blockdev':
        out.push(`${n.name} ${n.kind === 'chardev' ? 'c' : 'b'}--644 0 0 ${n.major} ${n.minor}`);
        break;
      case 'fifo':
        out.push(`${n.name} p--644 0 0`);
        break;
    }
  }
}

/** The prototype of a host directory tree (files, folders, symlinks), to copy it into an image. */
export async function protoFromHostDir(dir: string): Promise<ProtoNode[]> {
  const out: ProtoNode[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const st = await lstat(path);
    if (st.isSymbolicLink()) out.push({ name, kind: 'symlink', target: await readlink(path) });
    else if (st.isDirectory())
      out.push({ name, kind: 'dir', children: await protoFromHostDir(path) });
    else out.push({ name, kind: 'file', source: path, mode: st.mode & 0o777 });
  }
  return out;
}

/** Formats `image` (created or truncated to `size`) with the tree `root` copied in by mkfs. */
export async function mkfsXfsFromProto(
  image: string,
  size: string,
  root: ProtoNode[],
  protoPath: string,
  mkfsArgs: string[] = [],
): Promise<void> {
  const lines = ['ignored-boot-file', '0 0', 'd--755 0 0'];
  protoLines(root, lines);
  lines.push('$', '');
  await writeFile(protoPath, lines.join('\n'));
  await tool('truncate', ['-s', size, image]);
  await tool('mkfs.xfs', ['-q', '-f', ...mkfsArgs, '-p', protoPath, image], SMALL_XFS_ENV);
}

export interface XfsDbRow {
  inode: number;
  /** xfs_db's file type: regular, directory, symlink, chardev, blockdev, fifo … */
  type: string;
  name: string;
}

/** `ls` of many directories (by inode) in one xfs_db run, without '.' and '..'. */
export async function xfsDbListings(
  image: string,
  dirs: number[],
): Promise<Map<number, XfsDbRow[]>> {
  const args = ['-r'];
  for (const d of dirs) args.push('-c', `inode ${d}`, '-c', 'ls');
  args.push(image);
  const out = (await tool('xfs_db', args)).toString('utf8');
  const result = new Map<number, XfsDbRow[]>();
  let current: XfsDbRow[] | undefined;
  // "<dir offset> <inode> <type> <hash> <name length> <name> (good)": the name is cut by its
  // length, so names with spaces parse; each listing starts with its '.' entry.
  const row = /^\s*\d+\s+(\d+)\s+(\S+)\s+0x[0-9a-f]+\s+(\d+)\s(.*)$/;
  for (const line of out.split('\n')) {
    const m = row.exec(line);
    if (!m) continue;
    const bytes = Buffer.from(m[4]!, 'utf8');
    const name = bytes.subarray(0, Number(m[3])).toString('utf8');
    const inode = Number(m[1]);
    if (name === '.') {
      current = [];
      result.set(inode, current);
      continue;
    }
    if (name === '..') continue;
    current?.push({ inode, type: m[2]!, name });
  }
  return result;
}

/** One xfs_db field of inode `ino`, e.g. core.format → "2 (extents)". */
export async function xfsDbField(image: string, ino: number, field: string): Promise<string> {
  const out = (
    await tool('xfs_db', ['-r', '-c', `inode ${ino}`, '-c', `p ${field}`, image])
  ).toString();
  const m = /=\s*(.*)/.exec(out);
  if (!m) throw new Error(`xfs_db: no ${field} for inode ${ino}: ${out}`);
  return m[1]!.trim();
}

/** File offsets (in blocks) of the data-fork extents of inode `ino`, per xfs_db bmap. */
export async function xfsDbBmapOffsets(image: string, ino: number): Promise<number[]> {
  const out = (await tool('xfs_db', ['-r', '-c', `inode ${ino}`, '-c', 'bmap', image])).toString();
  return [...out.matchAll(/data offset (\d+) startblock/g)].map((m) => Number(m[1]));
}
