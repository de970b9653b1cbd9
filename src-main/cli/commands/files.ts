import type { Command } from 'commander';
import type { FileEntry } from '../../../shared/domain/files';
import type { Run } from '../context';
import { formatBytes, printJson, printTable } from '../output';
import { dateTime, wholeNumber } from '../usage';

const TYPE_CHAR: Record<FileEntry['type'], string> = {
  file: '-',
  dir: 'd',
  symlink: 'l',
  other: '?',
};

/** "drwxr-xr-x" like ls -l; without POSIX bits (NTFS, FAT) only the type letter and dashes. */
export function modeString(entry: FileEntry): string {
  const bits = entry.mode;
  if (bits === undefined) return `${TYPE_CHAR[entry.type]}---------`;
  const rwx = (shift: number) =>
    `${bits & (4 << shift) ? 'r' : '-'}${bits & (2 << shift) ? 'w' : '-'}${bits & (1 << shift) ? 'x' : '-'}`;
  return `${TYPE_CHAR[entry.type]}${rwx(6)}${rwx(3)}${rwx(0)}`;
}

function nameWithTarget(entry: FileEntry, name: string): string {
  return entry.linkTarget !== undefined ? `${name} -> ${entry.linkTarget}` : name;
}

function size(entry: FileEntry): string {
  return entry.type === 'dir' ? '-' : formatBytes(entry.size);
}

/** `ls` and `find`: browsing the file catalog of restore points, without mounting anything. */
export function registerFileCommands(program: Command, run: Run): void {
  program
    .command('ls')
    .description(
      'list a folder of a restore point; paths start with the volume: /vda1/home/alice (/ lists the volumes)',
    )
    .requiredOption('--vm <name>', 'VM name or UUID')
    .option('--point <id>', 'restore point id (default: the latest)')
    .option(
      '--at <iso-time>',
      'the newest point at or before this time, e.g. 2025-03-14T02:00:00Z',
      dateTime,
    )
    .option('--offset <n>', 'skip this many entries of a big folder (name order)', wholeNumber(0))
    .option(
      '--limit <n>',
      'list at most this many entries; the total is then printed',
      wholeNumber(1, 100_000),
    )
    .argument('[path]', 'browse path', '/')
    .action(
      (
        path: string,
        o: { vm: string; point?: string; at?: string; offset?: number; limit?: number },
      ) =>
        run(async ({ client, json }) => {
          const listing = await client.call('files.list', {
            vm: o.vm,
            path,
            ...(o.point ? { pointId: o.point } : {}),
            ...(o.at ? { at: o.at } : {}),
            ...(o.offset !== undefined ? { offset: o.offset } : {}),
            ...(o.limit !== undefined ? { limit: o.limit } : {}),
          });
          if (json) return printJson(listing);
          console.log(`${listing.path} in restore point ${listing.pointId} (${listing.pointTime})`);
          printTable(
            ['MODE', 'OWNER', 'GROUP', 'SIZE', 'MODIFIED', 'NAME'],
            listing.entries.map((e) => [
              modeString(e),
              e.owner ?? '',
              e.group ?? '',
              size(e),
              e.mtime ?? '',
              nameWithTarget(e, e.name),
            ]),
          );
          if (listing.total !== undefined && listing.total > listing.entries.length)
            console.log(
              `Entries ${(o.offset ?? 0) + 1}–${(o.offset ?? 0) + listing.entries.length} of ${listing.total}: use --offset for the others.`,
            );
        }),
    );

  program
    .command('find')
    .description(
      'find files by name (glob: * and ?, case-insensitive) in the latest point, or in every point',
    )
    .option('--vm <name>', 'only this VM (name or UUID); default: every VM')
    .option('--point <id>', 'only this restore point')
    .option('--all-points', 'every restore point (one line per version of a file)')
    .option('--limit <n>', 'at most this many results', wholeNumber(1, 10_000), 500)
    .argument('<glob>', 'name pattern, e.g. "*.conf" or "report-202?.pdf"')
    .action(
      (glob: string, o: { vm?: string; point?: string; allPoints?: boolean; limit: number }) =>
        run(async ({ client, json }) => {
          const result = await client.call('files.search', {
            pattern: glob,
            allPoints: Boolean(o.allPoints),
            limit: o.limit,
            ...(o.vm ? { vm: o.vm } : {}),
            ...(o.point ? { pointId: o.point } : {}),
          });
          if (json) return printJson(result);
          printTable(
            ['VM', 'POINT', 'TYPE', 'SIZE', 'MODIFIED', 'PATH'],
            result.hits.map((h) => [
              h.vmName,
              h.pointId,
              h.entry.type,
              size(h.entry),
              h.entry.mtime ?? '',
              nameWithTarget(h.entry, h.entry.path),
            ]),
          );
          if (result.truncated)
            console.error(
              `Only the first ${result.hits.length} results: narrow the pattern or raise --limit.`,
            );
        }),
    );
}
