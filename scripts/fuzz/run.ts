/**
 * The long fuzz run of the image, volume, file-system and registry parsers (issue 5: "a longer
 * run in a separate script"; `make test` runs the fixed-budget fuzz tests). Seed inputs are built
 * with mkfs/qemu-img/hivexsh, mutated with a seeded PRNG and exercised in a child process with a
 * memory cap; a case that throws anything but a clean HyperkeepError, hangs, or kills the process
 * is saved with its seed under .tmp/fuzz/findings/ for reproduction.
 *
 *   npx tsx scripts/fuzz/run.ts [--minutes 5] [--seed 12345] [--case-timeout 10]
 *   npx tsx scripts/fuzz/run.ts --replay .tmp/fuzz/findings/<finding>.json
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applyMutation,
  buildSamples,
  exercise,
  loadSample,
  type Mutation,
  type SampleSpec,
} from './fuzz-targets';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FINDINGS = join(ROOT, '.tmp/fuzz/findings');
/** The child's heap cap: a parser that needs more for a 40 MiB image does not bound its memory. */
const HEAP_MB = 512;

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Finding {
  what: 'crash' | 'hang' | 'died';
  sample: SampleSpec;
  seed: number;
  mutation: Mutation;
  message: string;
  input: string;
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'started'; mutation: Mutation }
  | { type: 'done'; outcome: 'ok' | 'refused' | 'crash'; message?: string };

class Worker {
  private child: ChildProcess | null = null;

  constructor(
    private readonly workDir: string,
    private readonly specs: SampleSpec[],
  ) {}

  private async start(): Promise<ChildProcess> {
    const child = fork(
      fileURLToPath(new URL('./fuzz-worker.ts', import.meta.url)),
      [this.workDir, JSON.stringify(this.specs)],
      { execArgv: ['--import', 'tsx', `--max-old-space-size=${HEAP_MB}`], stdio: 'ignore' },
    );
    await new Promise<void>((resolveReady, reject) => {
      child.once('message', () => resolveReady());
      child.once('exit', (code) => reject(new Error(`fuzz worker exited at start (${code})`)));
    });
    child.removeAllListeners('exit');
    return child;
  }

  /** One case: the mutation the worker applied and how it ended. */
  async run(
    sample: number,
    seed: number,
    timeoutMs: number,
  ): Promise<{ mutation?: Mutation; outcome: string; message?: string }> {
    this.child ??= await this.start();
    const child = this.child;
    return new Promise((done) => {
      let mutation: Mutation | undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: string, message?: string) => {
        clearTimeout(timer);
        child.removeAllListeners('message');
        child.removeAllListeners('exit');
        done({ ...(mutation ? { mutation } : {}), outcome, ...(message ? { message } : {}) });
      };
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'started') {
          mutation = m.mutation;
          timer = setTimeout(() => {
            child.kill('SIGKILL');
            this.child = null;
            finish('hang', `no answer within ${timeoutMs} ms`);
          }, timeoutMs);
        } else if (m.type === 'done') finish(m.outcome, m.message);
      });
      child.on('exit', (code, signal) => {
        this.child = null;
        finish('died', `the worker process died (exit ${code}, signal ${signal}): out of memory?`);
      });
      child.send({ sample, seed });
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}

async function saveFinding(
  workDir: string,
  spec: SampleSpec,
  seed: number,
  mutation: Mutation,
  what: Finding['what'],
  message: string,
): Promise<string> {
  await mkdir(FINDINGS, { recursive: true });
  const base = `${spec.file.replace(/[^A-Za-z0-9.]/g, '_')}-${seed}`;
  const input = join(FINDINGS, `${base}.input`);
  await writeFile(input, applyMutation(spec, await loadSample(workDir, spec), mutation));
  for (const c of spec.companions ?? [])
    await writeFile(join(FINDINGS, c), await readFile(join(workDir, c)));
  const finding: Finding = { what, sample: spec, seed, mutation, message, input };
  const path = join(FINDINGS, `${base}.json`);
  await writeFile(path, `${JSON.stringify(finding, null, 2)}\n`);
  return path;
}

/** Re-runs a saved finding in this process, with the error's stack. */
async function replay(path: string): Promise<void> {
  const finding = JSON.parse(await readFile(path, 'utf8')) as Finding;
  const bytes = new Uint8Array(await readFile(finding.input));
  const dir = await mkdtemp(join(tmpdir(), 'hk-fuzz-replay-'));
  try {
    for (const c of finding.sample.companions ?? [])
      await writeFile(join(dir, c), await readFile(join(FINDINGS, c)));
    const spec = { ...finding.sample, file: finding.sample.file };
    console.log(`replaying ${finding.what} of ${spec.file}, seed ${finding.seed}`);
    console.log(`outcome: ${await exercise(spec, bytes, dir)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const replayPath = option('replay');
  if (replayPath) return replay(resolve(replayPath));
  const minutes = Number(option('minutes') ?? 5);
  const seed = Number(option('seed') ?? Date.now() % 0x7fffffff) >>> 0;
  const caseTimeoutMs = Number(option('case-timeout') ?? 10) * 1000;
  const workDir = await mkdtemp(join(tmpdir(), 'hk-fuzz-run-'));
  const started = Date.now();
  const findings: string[] = [];
  const worker = new Worker(workDir, []);
  try {
    const specs = await buildSamples(workDir);
    Object.assign(worker, { specs });
    console.log(
      `fuzz: seed ${seed}, ${minutes} min, ${specs.length} seed inputs (${specs.map((s) => s.file).join(', ')})`,
    );
    const counts = new Map<string, { cases: number; refused: number }>();
    const deadline = started + minutes * 60_000;
    let lastReport = Date.now();
    for (let n = 0; Date.now() < deadline; n++) {
      const sample = n % specs.length;
      const caseSeed = (seed + Math.imul(n + 1, 0x9e3779b1)) >>> 0;
      const spec = specs[sample]!;
      const r = await worker.run(sample, caseSeed, caseTimeoutMs);
      const c = counts.get(spec.file) ?? { cases: 0, refused: 0 };
      c.cases++;
      if (r.outcome === 'refused') c.refused++;
      counts.set(spec.file, c);
      if (r.outcome === 'crash' || r.outcome === 'hang' || r.outcome === 'died') {
        const what = r.outcome as Finding['what'];
        const message = r.message ?? '';
        const saved = r.mutation
          ? await saveFinding(workDir, spec, caseSeed, r.mutation, what, message)
          : '(no input: the worker died before starting the case)';
        findings.push(saved);
        console.log(
          `FOUND ${what} in ${spec.file}, case seed ${caseSeed}: ${message.split('\n').slice(0, 3).join(' | ')}\n  saved: ${saved}`,
        );
      }
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        const total = [...counts.values()].reduce((a, b) => a + b.cases, 0);
        console.log(
          `fuzz: ${total} cases, ${findings.length} findings, ${Math.round((Date.now() - started) / 1000)} s`,
        );
      }
    }
    console.log('cases (refused with a clean error) per seed input:');
    for (const [file, c] of counts) console.log(`  ${file.padEnd(12)} ${c.cases} (${c.refused})`);
    console.log(
      findings.length === 0
        ? 'no crash, hang or runaway memory found'
        : `${findings.length} finding(s); replay one with: npx tsx scripts/fuzz/run.ts --replay <file.json>`,
    );
    process.exitCode = findings.length === 0 ? 0 : 1;
  } finally {
    worker.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`fuzz: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
