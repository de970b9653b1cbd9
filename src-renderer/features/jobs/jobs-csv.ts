import { BackupJobResult, type Job } from '../../../shared/domain/jobs';
import { KIND_LABELS, STATUS_LABELS, durationSeconds, failureSummary } from './job-text';

/**
 * The Jobs page's "Export CSV": the jobs the grid shows, one row each, for an administrator's
 * report in a spreadsheet (as Veeam's and Commvault's job reports). Times stay as the engine
 * writes them (ISO 8601 with their offset), so a spreadsheet sorts them and the file means the
 * same wherever it is opened; sizes are plain bytes, durations plain seconds, to sum and chart.
 */

type Cell = string | number | undefined;

interface Column {
  header: string;
  value: (job: Job) => Cell;
}

/** A backup's sizes; undefined for other jobs, running ones and those recorded before them. */
function backupResult(job: Job): BackupJobResult | undefined {
  if (job.kind !== 'backup') return undefined;
  const parsed = BackupJobResult.safeParse(job.result);
  return parsed.success ? parsed.data : undefined;
}

/** A backup's tasks are its VMs; other jobs' are disks or repositories, not VMs. */
function vmNames(job: Job, failedOnly: boolean): string | undefined {
  if (job.kind !== 'backup') return undefined;
  const tasks = failedOnly ? job.tasks.filter((task) => task.status === 'failed') : job.tasks;
  return tasks.map((task) => task.label).join('; ');
}

/** Whole seconds from start to end; none while the job has not ended. */
function endedSeconds(job: Job): number | undefined {
  if (job.finishedAt === undefined) return undefined;
  const seconds = durationSeconds(job, Date.parse(job.finishedAt));
  return seconds === undefined ? undefined : Math.round(seconds);
}

/**
 * What the repository took for the backup's new data: after compression, as the job's summary
 * says "New data stored"; the bytes before compression when the engine recorded no other.
 */
function storedBytes(result: BackupJobResult): number {
  return result.storedBytes > 0 ? result.storedBytes : result.newBytes;
}

const COLUMNS: readonly Column[] = [
  { header: 'Job ID', value: (job) => job.id },
  { header: 'Kind', value: (job) => KIND_LABELS[job.kind] },
  // The engine's title: its times are ISO 8601 like the columns beside it, not the local ones
  // the page shows (those depend on the machine that exported the file).
  { header: 'Title', value: (job) => job.title },
  { header: 'Status', value: (job) => STATUS_LABELS[job.status] },
  { header: 'Created', value: (job) => job.createdAt },
  { header: 'Started', value: (job) => job.startedAt },
  { header: 'Finished', value: (job) => job.finishedAt },
  { header: 'Duration (seconds)', value: endedSeconds },
  { header: 'VMs', value: (job) => vmNames(job, false) },
  { header: 'Failed VMs', value: (job) => vmNames(job, true) },
  { header: 'Data read (bytes)', value: (job) => backupResult(job)?.readBytes },
  {
    header: 'New data stored (bytes)',
    value: (job) => {
      const result = backupResult(job);
      return result === undefined ? undefined : storedBytes(result);
    },
  },
  { header: 'Warnings', value: (job) => job.warnings.length },
  // A backup whose VMs failed has no job error, only failed tasks: their messages say why.
  { header: 'Error message', value: failureSummary },
];

export const JOBS_CSV_HEADERS: readonly string[] = COLUMNS.map((column) => column.header);

/**
 * Text a spreadsheet would run as a formula (a leading =, +, - or @; or a tab or carriage return,
 * which some skip before one) gets a leading single quote: a job titled by a backup set named "=HYPERLINK(…)"
 * must stay text (CSV injection). Numbers are written as numbers, never prefixed.
 */
function defused(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF; quotes doubled. */
export function csvField(cell: Cell): string {
  if (cell === undefined) return '';
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : '';
  const text = defused(cell);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The jobs as a CSV document: a header line, then one line per job in the order given, lines
 * ended by CRLF (RFC 4180). It starts with a UTF-8 byte order mark: without it Excel reads the
 * file as the machine's legacy code page and garbles VM names and titles outside ASCII.
 */
export function jobsCsv(jobs: readonly Job[]): string {
  const lines = [
    JOBS_CSV_HEADERS.map(csvField).join(','),
    ...jobs.map((job) => COLUMNS.map((column) => csvField(column.value(job))).join(',')),
  ];
  return `\uFEFF${lines.map((line) => `${line}\r\n`).join('')}`;
}

/** "hyperkeep-jobs-2026-11-24.csv": the day of the export, in local time, as the user sees it. */
export function jobsCsvFileName(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  return `hyperkeep-jobs-${day}.csv`;
}
