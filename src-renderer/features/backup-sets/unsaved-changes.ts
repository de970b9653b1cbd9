/**
 * Whether a dialog holds changes the user would lose by closing it: Escape, a click on the
 * backdrop and Cancel ask "Discard changes?" only then, for a new item as for an existing one.
 */

/** Deep equality of plain form values (objects, arrays, primitives), whatever the key order. */
export function sameValues(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameValues(item, b[i]));
  }
  const aRecord = a as Record<string, unknown>;
  const bRecord = b as Record<string, unknown>;
  const keys = Object.keys(aRecord);
  if (keys.length !== Object.keys(bRecord).length) return false;
  return keys.every((key) => Object.hasOwn(bRecord, key) && sameValues(aRecord[key], bRecord[key]));
}

/**
 * A form's values against those it opened with. Text fields compare trimmed (a stray space is no
 * change worth a prompt) and lists of chosen ids in any order.
 */
export function formChanged(
  values: Readonly<Record<string, unknown>>,
  initial: Readonly<Record<string, unknown>>,
): boolean {
  const comparable = (v: Readonly<Record<string, unknown>>) =>
    Object.fromEntries(
      Object.entries(v).map(([key, value]) => [
        key,
        typeof value === 'string' ? value.trim() : value,
      ]),
    );
  return !sameValues(comparable(values), comparable(initial));
}
