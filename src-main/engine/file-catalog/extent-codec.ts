import { HyperkeepError } from '../../../shared/errors';
import type { FileExtent, VolumeRun } from '../filesystems/filesystem';

/**
 * Compact binary form of a file's extents, stored with each catalog entry so a file restore reads
 * only the file's own bytes without parsing the file system again. Offsets are relative to the
 * volume (see PointVolume for where the volume lies). Layout: u8 version=1 | varint count |
 * per extent: u8 kind (0 data, 1 hole, 2 inline, 3 lznt1) | varint fileOffset | varint length |
 * data: varint volumeOffset; inline: varint n | n bytes; lznt1: varint runs | runs × (varint
 * volumeOffset, varint length). Varints are unsigned LEB128 (safe integers only).
 */
const VERSION = 1;
const KINDS = ['data', 'hole', 'inline', 'lznt1'] as const;
/** A file has at most this many extents in the catalog; larger maps are a damaged file system. */
const MAX_EXTENTS = 1 << 20;

class ByteWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new HyperkeepError('INTERNAL', `Cannot encode extent value ${value}`);
    let v = value;
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

class ByteReader {
  private pos = 0;
  constructor(private readonly data: Uint8Array) {}

  private fail(what: string): never {
    throw new HyperkeepError('INTERNAL', `The catalog's extent list is damaged: ${what}`, {
      reason: 'CORRUPT',
    });
  }

  byte(): number {
    if (this.pos >= this.data.length) this.fail('it ends early');
    return this.data[this.pos++]!;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) this.fail('a number is out of range');
        return value;
      }
      scale *= 0x80;
    }
    return this.fail('a number is too long');
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.data.length) this.fail('inline data runs past the end');
    const out = this.data.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  get done(): boolean {
    return this.pos === this.data.length;
  }
}

export function encodeExtents(extents: readonly FileExtent[]): Uint8Array {
  const w = new ByteWriter();
  w.byte(VERSION);
  w.varint(extents.length);
  for (const e of extents) {
    w.byte(KINDS.indexOf(e.kind));
    w.varint(e.fileOffset);
    w.varint(e.length);
    if (e.kind === 'data') w.varint(e.volumeOffset);
    else if (e.kind === 'inline') w.bytes(e.data);
    else if (e.kind === 'lznt1') {
      w.varint(e.runs.length);
      for (const r of e.runs) {
        w.varint(r.volumeOffset);
        w.varint(r.length);
      }
    }
  }
  return w.result();
}

export function decodeExtents(data: Uint8Array): FileExtent[] {
  const r = new ByteReader(data);
  const version = r.byte();
  if (version !== VERSION)
    throw new HyperkeepError('INTERNAL', `Unknown catalog extent list version ${version}`, {
      reason: 'CORRUPT',
    });
  const count = r.varint();
  if (count > MAX_EXTENTS)
    throw new HyperkeepError('INTERNAL', `The catalog's extent list claims ${count} extents`, {
      reason: 'CORRUPT',
    });
  const out: FileExtent[] = [];
  for (let i = 0; i < count; i++) {
    const kind = KINDS[r.byte()];
    const fileOffset = r.varint();
    const length = r.varint();
    switch (kind) {
      case 'data':
        out.push({ kind, fileOffset, length, volumeOffset: r.varint() });
        break;
      case 'hole':
        out.push({ kind, fileOffset, length });
        break;
      case 'inline':
        out.push({ kind, fileOffset, length, data: r.bytes() });
        break;
      case 'lznt1': {
        const n = r.varint();
        if (n > MAX_EXTENTS)
          throw new HyperkeepError('INTERNAL', `A compressed extent claims ${n} runs`, {
            reason: 'CORRUPT',
          });
        const runs: VolumeRun[] = [];
        for (let j = 0; j < n; j++) runs.push({ volumeOffset: r.varint(), length: r.varint() });
        out.push({ kind, fileOffset, length, runs });
        break;
      }
      default:
        throw new HyperkeepError('INTERNAL', 'The catalog extent list has an unknown extent kind', {
          reason: 'CORRUPT',
        });
    }
  }
  if (!r.done)
    throw new HyperkeepError('INTERNAL', 'The catalog extent list has trailing bytes', {
      reason: 'CORRUPT',
    });
  return out;
}
