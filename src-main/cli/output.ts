import { toErrorData } from '../../shared/errors';

/** Sizes in tables read as the console shows them: one formatter for both. */
export { formatBytes } from '../../shared/format';

/** Human output: a plain aligned table, the way `virsh list` prints. */
export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** Errors print as a person reads them, or as JSON for scripts; the exit code says failure. */
export function reportError(err: unknown, json: boolean): void {
  const data = toErrorData(err);
  if (json) console.log(JSON.stringify({ error: data }, null, 2));
  else console.error(`hyperkeep: ${data.message}`);
}
