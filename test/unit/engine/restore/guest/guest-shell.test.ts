import { describe, expect, it } from 'vitest';
import {
  batches,
  powershellArgs,
  powershellLiteral,
} from '../../../../../src-main/engine/restore/guest/guest-shell';

describe('commands run in the guest', () => {
  it('splits paths into runs under a size budget, never dropping or reordering one', () => {
    const items = ['aaaa', 'bb', 'cccccc', 'd', 'eeeeeeeeeeeeeeeeeeee'];
    // Each item costs its size plus one separator.
    const runs = batches(items, (s) => s.length, 9);
    expect(runs.flat()).toEqual(items);
    expect(runs).toEqual([['aaaa', 'bb'], ['cccccc', 'd'], ['eeeeeeeeeeeeeeeeeeee']]);
    expect(batches([], (s: string) => s.length, 8)).toEqual([]);
  });

  it('quotes PowerShell literals so no name can end the string', () => {
    expect(powershellLiteral("C:\\It's here")).toBe("'C:\\It''s here'");
    // PowerShell takes the typographic single quotes as quotes too.
    expect(powershellLiteral('a\u2019b\u2018c')).toBe("'a\u2019\u2019b\u2018\u2018c'");
    expect(powershellLiteral('$(Remove-Item C:\\) `n')).toBe("'$(Remove-Item C:\\) `n'");
  });

  it('sends PowerShell scripts as UTF-16LE base64, with UTF-8 output', () => {
    const args = powershellArgs("Write-Output 'Résumé'");
    expect(args.slice(0, 5)).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-EncodedCommand',
    ]);
    const script = Buffer.from(args[5]!, 'base64').toString('utf16le');
    expect(script).toContain("Write-Output 'Résumé'");
    expect(script).toContain('[Console]::OutputEncoding=[Text.Encoding]::UTF8');
  });
});
