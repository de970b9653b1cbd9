import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileSystem, FsEntry } from '../../../src-main/engine/filesystems/filesystem';

/**
 * Helpers shared by the file-system tests: run the ecosystem's own tools (mkfs, debugfs, ntfs-3g,
 * mtools), make scratch directories, and read trees both from the host and through our readers.
 */

/** Runs a tool and returns its raw standard output; a failure quotes the tool's stderr. */
export function tool(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        encoding: 'buffer',
        maxBuffer: 512 * 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C.UTF-8', ...env },
      },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(
              `${cmd} ${args.join(' ')} failed: ${stderr.toString().trim() || err.message}`,
            ),
          );
        else resolve(stdout);
      },
    );
  });
}

/** A scratch directory in RAM when the machine has /dev/shm (image building is I/O heavy). */
export async function scratchDir(
  prefix: string,
): Promise<{ path: string; remove: () => Promise<void> }> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const path = await mkdtemp(join(base, `hyperkeep-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function seededBytes(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function readAll(fs: FileSystem, entry: FsEntry, stream?: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of fs.readFile(entry, stream)) parts.push(chunk);
  return Buffer.concat(parts);
}

export async function walkAll(fs: FileSystem): Promise<FsEntry[]> {
  const out: FsEntry[] = [];
  for await (const entry of fs.walk()) out.push(entry);
  return out;
}

export interface HostEntry {
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mtimeMs: number;
  target?: string;
}

/** The tree under `root` as the host sees it, keyed by '/'-rooted path. */
export async function hostTree(root: string): Promise<Map<string, HostEntry>> {
  const out = new Map<string, HostEntry>();
  const visit = async (dir: string, prefix: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const full = join(dir, name);
      const path = `${prefix}/${name}`;
      const st = await lstat(full);
      if (st.isSymbolicLink()) {
        out.set(path, {
          type: 'symlink',
          size: st.size,
          mtimeMs: st.mtimeMs,
          target: await readlink(full),
        });
      } else if (st.isDirectory()) {
        out.set(path, { type: 'dir', size: 0, mtimeMs: st.mtimeMs });
        await visit(full, path);
      } else {
        out.set(path, { type: 'file', size: st.size, mtimeMs: st.mtimeMs });
      }
    }
  };
  await visit(root, '');
  return out;
}

/**
 * True when ntfs-3g can mount images here (root and /dev/fuse): needed for NTFS directories.
 * HYPERKEEP_TEST_NO_FUSE=1 runs the tests as on a machine without FUSE.
 */
export function fuseAvailable(): boolean {
  if (process.env.HYPERKEEP_TEST_NO_FUSE === '1') return false;
  return existsSync('/dev/fuse') && existsSync('/usr/bin/ntfs-3g') && process.getuid?.() === 0;
}
