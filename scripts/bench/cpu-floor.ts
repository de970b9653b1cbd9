/**
 * The CPU a full backup of the bench disk cannot avoid with its algorithms, measured kernel by
 * kernel on this thread over a sample of the disk's allocated data: FastCDC, keyed BLAKE3, zstd
 * at the repository's level, ChaCha20-Poly1305 of what zstd returned. Spread over every core, it
 * is the fastest a full backup could be on this machine (reading, QEMU's NBD server, packing and
 * writing not counted), next to the goal of half of borg's time.
 *
 * `npx tsx scripts/bench/cpu-floor.ts [IMAGE]` prints it alone (default: the cached bench image).
 */
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { createCipheriv, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import { openDiskImage } from '../../src-main/engine/formats/open-image';
import {
  DEFAULT_CHUNKER_PARAMS,
  cdcCut,
  cdcCutParams,
  gearScanWasm,
  newGearScanner,
  gearTableFromSeed,
} from '../../src-main/engine/repository/fastcdc';
import { DEFAULT_COMPRESSION_LEVEL } from '../../src-main/engine/repository/repository';
import { newZstdIntoState, zstdCompressInto } from '../../src-main/engine/repository/zstd-into';

const MiB = 1024 * 1024;
const SEGMENT = 16 * MiB;

export interface CpuFloor {
  level: number;
  sampleMiB: number;
  dataMiB: number;
  /** CPU milliseconds per MiB of disk data, one thread. */
  perMiBMs: { chunk: number; hash: number; compress: number; encrypt: number };
  cores: number;
  /** Σ per-MiB costs × data / cores. */
  floorWallMs: number;
}

/**
 * CPU time of `fn` on this thread, in ms. This thread's only: inside `npm run bench` the
 * process's other threads (V8's collectors, idle workers) would be counted too.
 */
function cpuMs(fn: () => void): number {
  const start = process.threadCpuUsage();
  fn();
  const used = process.threadCpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Up to `sampleMiB` of allocated data, taken as whole 16 MiB segments spread over the disk. */
async function sampleSegments(imagePath: string, sampleMiB: number) {
  const { reader } = await openDiskImage(imagePath);
  try {
    const data = (await reader.allocationMap()).filter((e) => e.kind === 'data');
    const dataBytes = data.reduce((n, e) => n + e.length, 0);
    const starts: number[] = [];
    for (const e of data) {
      for (let at = e.offset; at + SEGMENT <= e.offset + e.length; at += SEGMENT) starts.push(at);
    }
    const want = Math.max(1, Math.floor((sampleMiB * MiB) / SEGMENT));
    const step = Math.max(1, Math.floor(starts.length / want));
    const segments: Uint8Array[] = [];
    for (let i = 0; i < starts.length && segments.length < want; i += step) {
      segments.push(await reader.read(starts[i]!, SEGMENT));
    }
    return { segments, dataBytes };
  } finally {
    await reader.close();
  }
}

export async function measureCpuFloor(
  imagePath: string,
  options: { level?: number; sampleMiB?: number; cores?: number } = {},
): Promise<CpuFloor> {
  const level = options.level ?? DEFAULT_COMPRESSION_LEVEL;
  const cores = options.cores ?? availableParallelism();
  const { segments, dataBytes } = await sampleSegments(imagePath, options.sampleMiB ?? 256);
  const sampleBytes = segments.reduce((n, s) => n + s.length, 0);
  const cdc = cdcCutParams(gearTableFromSeed(randomBytes(32)), DEFAULT_CHUNKER_PARAMS);
  // The backup workers' chunking loop (WebAssembly).
  const scanner = newGearScanner(cdc.gear, gearScanWasm());
  // One untimed pass first, so that the timed loop runs optimized code.
  for (let at = 0; at < segments[0]!.length;) {
    at += cdcCut(cdc, segments[0]!, at, segments[0]!.length, true, scanner);
  }
  const chunks: Uint8Array[] = [];
  const chunk = cpuMs(() => {
    for (const seg of segments) {
      for (let at = 0; at < seg.length;) {
        const len = cdcCut(cdc, seg, at, seg.length, true, scanner);
        chunks.push(seg.subarray(at, at + len));
        at += len;
      }
    }
  });
  const zero = new Uint8Array(DEFAULT_CHUNKER_PARAMS.maxSize);
  const stored = chunks.filter((c) => Buffer.compare(c, zero.subarray(0, c.length)) !== 0);
  const idKey = randomBytes(32);
  const hash = cpuMs(() => {
    for (const c of stored) Blake3Hasher.newKeyed(idKey).update(c).digestBuffer();
  });
  const packed: Uint8Array[] = [];
  // As the data workers compress: one context, into one buffer (zstd-into.ts).
  const zstd = newZstdIntoState();
  const compress = cpuMs(() => {
    for (const c of stored) {
      const frame = zstdCompressInto(zlib, zstd, c, level, c.length - (c.length >> 5) - 1);
      packed.push(frame ? Uint8Array.from(frame) : c);
    }
  });
  const key = randomBytes(32);
  const encrypt = cpuMs(() => {
    for (const p of packed) {
      const cipher = createCipheriv('chacha20-poly1305', key, randomBytes(12), {
        authTagLength: 16,
      });
      cipher.update(p);
      cipher.final();
    }
  });
  const sampleMiB = sampleBytes / MiB;
  const perMiBMs = {
    chunk: chunk / sampleMiB,
    hash: hash / sampleMiB,
    compress: compress / sampleMiB,
    encrypt: encrypt / sampleMiB,
  };
  const dataMiB = dataBytes / MiB;
  const total = perMiBMs.chunk + perMiBMs.hash + perMiBMs.compress + perMiBMs.encrypt;
  return { level, sampleMiB, dataMiB, perMiBMs, cores, floorWallMs: (total * dataMiB) / cores };
}

export function describeCpuFloor(f: CpuFloor): string {
  const p = f.perMiBMs;
  const ms = (v: number): string => v.toFixed(2);
  const total = p.chunk + p.hash + p.compress + p.encrypt;
  return (
    `chunk ${ms(p.chunk)} + hash ${ms(p.hash)} + zstd-${f.level} ${ms(p.compress)} + ` +
    `encrypt ${ms(p.encrypt)} = ${ms(total)} ms/MiB × ${f.dataMiB.toFixed(0)} MiB ÷ ` +
    `${f.cores} cores = ${(f.floorWallMs / 1000).toFixed(1)} s`
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const image = process.argv[2] ?? join(root, '.bench', 'cache', 'bench-disk.qcow2');
  const floor = await measureCpuFloor(image);
  console.log(`CPU floor of a full backup of ${image}: ${describeCpuFloor(floor)}`);
}
