import type { CatalogRecord } from './catalog-record';
import { encodeRecordLine } from './point-index-object';

const NEWLINE = 0x0a;
const COMMA = 0x2c;
const OPEN = 0x5b;
const DIGIT_0 = 0x30;
/** Lines are written into buffers of this size (a line longer than it gets its own). */
const CHUNK_BYTES = 1 << 20;

/** Output lines in chunks of whole lines. */
export class LineWriter {
  readonly chunks: Buffer[] = [];
  records = 0;
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private at = 0;

  private room(bytes: number): void {
    if (this.at + bytes <= this.chunk.length) return;
    this.close();
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
  }

  private close(): void {
    if (this.at > 0) this.chunks.push(this.chunk.subarray(0, this.at));
    this.at = 0;
  }

  /** Writes a non-negative integer's digits (no string made: this runs for every line). */
  private digits(n: number): void {
    let width = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) width++;
    this.at += width;
    for (let i = this.at - 1, rest = n; i >= this.at - width; i--, rest = Math.floor(rest / 10))
      this.chunk[i] = DIGIT_0 + (rest % 10);
  }

  /** A basis line with its volume and parent replaced; the rest, from its name on, as it was. */
  copied(slot: number, parent: number, from: Buffer, start: number, end: number): number {
    this.room(24 + end - start + 1);
    this.chunk[this.at++] = OPEN;
    this.digits(slot);
    this.chunk[this.at++] = COMMA;
    this.digits(parent);
    this.chunk[this.at++] = COMMA;
    this.at += from.copy(this.chunk, this.at, start, end);
    this.chunk[this.at++] = NEWLINE;
    return this.records++;
  }

  encoded(slot: number, record: CatalogRecord, parent: number): number {
    const line = encodeRecordLine(slot, { ...record, parent });
    this.room(Buffer.byteLength(line) + 1);
    this.at += this.chunk.write(line, this.at, 'utf8');
    this.chunk[this.at++] = NEWLINE;
    return this.records++;
  }

  finish(): Buffer[] {
    this.close();
    return this.chunks;
  }
}
