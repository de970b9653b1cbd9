import { describe, expect, it } from 'vitest';
import type { Job, JobTask } from '../../../../../shared/domain/jobs';
import {
  JOBS_CSV_HEADERS,
  csvField,
  jobsCsv,
  jobsCsvFileName,
} from '../../../../../src-renderer/features/jobs/jobs-csv';

function task(label: string, status: Job['status'], message?: string): JobTask {
  return {
    key: label,
    label,
    status,
    phase: status,
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
    ...(message === undefined ? {} : { message }),
  };
}

function job(fields: Partial<Job> & Pick<Job, 'id' | 'kind' | 'title' | 'status'>): Job {
  return {
    createdAt: '2026-11-24T01:00:00.000Z',
    phase: fields.status,
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
    tasks: [],
    warnings: [],
    ...fields,
  };
}

const PARTIAL_BACKUP = job({
  id: 'job-1',
  kind: 'backup',
  title: 'Backup of lab-set / web',
  status: 'partial',
  createdAt: '2026-11-24T01:00:00.000Z',
  startedAt: '2026-11-24T01:00:02.000Z',
  finishedAt: '2026-11-24T02:03:34.600+01:00',
  tasks: [
    task('lab-web-01', 'succeeded'),
    task('lab-web-02', 'failed', 'host unreachable'),
    task('lab-web-03', 'failed', 'disk locked'),
  ],
  warnings: ['lab-web-01: guest agent not answering, crash-consistent', 'slow target'],
  result: {
    points: ['p1'],
    readBytes: 10_737_418_240,
    newBytes: 524_288_000,
    storedBytes: 209_715_200,
  },
});

/** The lines of a document, without its byte order mark and the CRLF that ends the last one. */
function lines(csv: string): string[] {
  return csv
    .replace(/^\uFEFF/, '')
    .replace(/\r\n$/, '')
    .split('\r\n');
}

describe('csvField', () => {
  it('leaves plain text and numbers as they are, and writes nothing for a missing value', () => {
    expect(csvField('Verify default')).toBe('Verify default');
    expect(csvField(10_737_418_240)).toBe('10737418240');
    expect(csvField(0)).toBe('0');
    expect(csvField(undefined)).toBe('');
    expect(csvField('')).toBe('');
  });

  it('quotes a field with a comma, a quote, CR or LF, and doubles its quotes (RFC 4180)', () => {
    expect(csvField('Verify off-site, B')).toBe('"Verify off-site, B"');
    expect(csvField('Verify "B"')).toBe('"Verify ""B"""');
    expect(csvField('line 1\nline 2')).toBe('"line 1\nline 2"');
    expect(csvField('line 1\r\nline 2')).toBe('"line 1\r\nline 2"');
  });

  it('keeps text a spreadsheet would run as a formula as text (CSV injection)', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\t=1')).toBe("'\t=1");
    // Only a leading one: inside a title they are harmless.
    expect(csvField('Backup of a=b')).toBe('Backup of a=b');
  });
});

describe('jobsCsv', () => {
  it('starts with the header line an administrator expects', () => {
    expect(lines(jobsCsv([]))).toEqual([
      'Job ID,Kind,Title,Status,Created,Started,Finished,Duration (seconds),VMs,Failed VMs,' +
        'Data read (bytes),New data stored (bytes),Warnings,Error message',
    ]);
    expect(JOBS_CSV_HEADERS).toHaveLength(14);
  });

  it('writes a backup with its VMs, failures, sizes and times as the engine gives them', () => {
    const [, row] = lines(jobsCsv([PARTIAL_BACKUP]));
    expect(row).toBe(
      [
        'job-1',
        'Backup',
        'Backup of lab-set / web',
        'Partially succeeded',
        '2026-11-24T01:00:00.000Z',
        '2026-11-24T01:00:02.000Z',
        '2026-11-24T02:03:34.600+01:00',
        // 01:03:34.6 UTC: 212.6 s after the start, in whole seconds.
        '213',
        'lab-web-01; lab-web-02; lab-web-03',
        'lab-web-02; lab-web-03',
        '10737418240',
        '209715200',
        '2',
        'lab-web-02: host unreachable · lab-web-03: disk locked',
      ].join(','),
    );
  });

  it('leaves the backup columns empty for other jobs, and the end for a running one', () => {
    const verify = job({
      id: 'job-2',
      kind: 'verify',
      title: 'Verify off-site, "B"',
      status: 'failed',
      startedAt: '2026-11-24T01:00:00.000Z',
      finishedAt: '2026-11-24T01:00:01.400Z',
      tasks: [task('repository off-site, "B"', 'failed', 'folder missing')],
      error: { code: 'NOT_FOUND', message: 'The repository folder is gone.' },
    });
    const running = job({
      id: 'job-3',
      kind: 'backup',
      title: 'Backup of lab-db-01',
      status: 'running',
      startedAt: '2026-11-24T01:00:00.000Z',
      tasks: [task('lab-db-01', 'running')],
    });
    const [, verifyRow, runningRow] = lines(jobsCsv([verify, running]));
    expect(verifyRow).toBe(
      'job-2,Verify,"Verify off-site, ""B""",Failed,2026-11-24T01:00:00.000Z,' +
        '2026-11-24T01:00:00.000Z,2026-11-24T01:00:01.400Z,1,,,,,0,The repository folder is gone.',
    );
    expect(runningRow).toBe(
      'job-3,Backup,Backup of lab-db-01,Running,2026-11-24T01:00:00.000Z,' +
        '2026-11-24T01:00:00.000Z,,,lab-db-01,,,,0,',
    );
  });

  it('a backup set named like a formula cannot run as one from its title', () => {
    const row = lines(
      jobsCsv([job({ id: 'job-4', kind: 'backup', title: '=1+1', status: 'queued' })]),
    )[1];
    expect(row?.split(',')[2]).toBe("'=1+1");
  });

  it('is one CRLF-ended line per job, in the order given, after a UTF-8 byte order mark', () => {
    const csv = jobsCsv([
      PARTIAL_BACKUP,
      job({ id: 'job-5', kind: 'prune', title: 'Prune default', status: 'queued' }),
    ]);
    expect(csv.startsWith('\uFEFFJob ID,')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(lines(csv).map((line) => line.split(',')[0])).toEqual(['Job ID', 'job-1', 'job-5']);
  });
});

describe('jobsCsvFileName', () => {
  it('names the file by the local day of the export', () => {
    expect(jobsCsvFileName(new Date(2026, 10, 24, 23, 59))).toBe('hyperkeep-jobs-2026-11-24.csv');
    expect(jobsCsvFileName(new Date(2027, 0, 3, 0, 1))).toBe('hyperkeep-jobs-2027-01-03.csv');
  });
});
