import { hiveError } from './hive-file';
import { REG, type RegistryValue } from './hive';

/**
 * Typed readings of registry values. Each checks the value's type, so a SYSTEM hive holding a
 * DWORD where a string belongs yields a clear error rather than garbage.
 */

const utf16 = new TextDecoder('utf-16le');

function wrongType(hive: string, value: RegistryValue, expected: string): Error {
  return hiveError(hive, `value "${value.name}"`, `has type ${value.type}, expected ${expected}`);
}

/** Decodes UTF-16LE text up to the first NUL (Windows often stores strings with odd lengths). */
export function utf16Text(data: Uint8Array): string {
  const even = data.subarray(0, data.length - (data.length % 2));
  const text = utf16.decode(even);
  const nul = text.indexOf('\0');
  return nul === -1 ? text : text.slice(0, nul);
}

/** REG_SZ, REG_EXPAND_SZ (unexpanded) or REG_LINK as text. */
export function valueString(hive: string, value: RegistryValue): string {
  if (value.type !== REG.SZ && value.type !== REG.EXPAND_SZ && value.type !== REG.LINK) {
    throw wrongType(hive, value, 'a string (REG_SZ)');
  }
  return utf16Text(value.data);
}

/** REG_MULTI_SZ as its list of strings (the empty string ends the list). */
export function valueStrings(hive: string, value: RegistryValue): string[] {
  if (value.type !== REG.MULTI_SZ) throw wrongType(hive, value, 'REG_MULTI_SZ');
  const even = value.data.subarray(0, value.data.length - (value.data.length % 2));
  const out: string[] = [];
  for (const s of utf16.decode(even).split('\0')) {
    if (s === '') break;
    out.push(s);
  }
  return out;
}

/** REG_DWORD, REG_DWORD_BIG_ENDIAN or REG_QWORD (when it fits a double exactly). */
export function valueNumber(hive: string, value: RegistryValue): number {
  const d = value.data;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (value.type === REG.DWORD && d.length >= 4) return view.getUint32(0, true);
  if (value.type === REG.DWORD_BIG_ENDIAN && d.length >= 4) return view.getUint32(0, false);
  if (value.type === REG.QWORD && d.length >= 8) {
    const n = view.getBigUint64(0, true);
    if (n <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(n);
  }
  throw wrongType(hive, value, 'a 4-byte REG_DWORD or 8-byte REG_QWORD');
}
