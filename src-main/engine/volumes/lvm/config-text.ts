import { HyperkeepError } from '../../../../shared/errors';

/**
 * Parser of LVM2's configuration text, the format of VG metadata:
 *   name { key = value  key = [ "a", 1 ]  section { … } }
 * Values are strings, integers, floats or arrays of them; `#` starts a comment.
 */
export type ConfigValue = string | number | ConfigValue[] | ConfigSection;
export interface ConfigSection {
  [key: string]: ConfigValue;
}

const MAX_DEPTH = 32;

export function parseConfigText(text: string, source: string): ConfigSection {
  let pos = 0;
  const fail = (d: string): Error => {
    const line = text.slice(0, pos).split('\n').length;
    return new HyperkeepError('INVALID_INPUT', `LVM metadata of ${source}, line ${line}: ${d}`);
  };

  const skipSpace = (): void => {
    while (pos < text.length) {
      const c = text[pos]!;
      if (c === '#') {
        while (pos < text.length && text[pos] !== '\n') pos++;
      } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        pos++;
      } else {
        break;
      }
    }
  };

  const identifier = (): string => {
    const m = /^[A-Za-z0-9_.+\-/]+/.exec(text.slice(pos, pos + 1024));
    if (!m) throw fail(`expected a name, found "${text.slice(pos, pos + 10)}"`);
    pos += m[0].length;
    return m[0];
  };

  const value = (depth: number): ConfigValue => {
    skipSpace();
    const c = text[pos];
    if (c === '"') {
      let out = '';
      pos++;
      for (;;) {
        if (pos >= text.length) throw fail('string not terminated');
        const ch = text[pos++]!;
        if (ch === '"') break;
        if (ch === '\\' && pos < text.length) out += text[pos++]!;
        else out += ch;
      }
      return out;
    }
    if (c === '[') {
      if (depth > MAX_DEPTH) throw fail('arrays nested too deep');
      pos++;
      const items: ConfigValue[] = [];
      for (;;) {
        skipSpace();
        if (text[pos] === ']') {
          pos++;
          return items;
        }
        items.push(value(depth + 1));
        skipSpace();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== ']') throw fail('expected "," or "]" in an array');
      }
    }
    const m = /^-?\d+(\.\d+)?/.exec(text.slice(pos, pos + 64));
    if (!m) throw fail(`expected a value, found "${text.slice(pos, pos + 10)}"`);
    pos += m[0].length;
    return Number(m[0]);
  };

  const section = (depth: number, closing: boolean): ConfigSection => {
    if (depth > MAX_DEPTH) throw fail('sections nested too deep');
    const out: ConfigSection = Object.create(null) as ConfigSection;
    for (;;) {
      skipSpace();
      if (pos >= text.length) {
        if (closing) throw fail('section not closed with "}"');
        return out;
      }
      if (text[pos] === '}') {
        if (!closing) throw fail('unexpected "}"');
        pos++;
        return out;
      }
      const key = identifier();
      skipSpace();
      if (text[pos] === '{') {
        pos++;
        out[key] = section(depth + 1, true);
      } else if (text[pos] === '=') {
        pos++;
        out[key] = value(depth + 1);
      } else {
        throw fail(`expected "=" or "{" after "${key}"`);
      }
    }
  };

  return section(0, false);
}
