/**
 * Child process of scripts/fuzz/run.ts: runs cases it is sent, one at a time, and reports each
 * mutation before exercising it, so the parent can save the input of a case that hangs or kills
 * the process.
 */
import {
  loadSample,
  mutationFor,
  applyMutation,
  exercise,
  spotsOf,
  type SampleSpec,
} from './fuzz-targets';

interface CaseRequest {
  sample: number;
  seed: number;
}

const [workDir, samplesJson] = process.argv.slice(2) as [string, string];
const specs = JSON.parse(samplesJson) as SampleSpec[];
const loaded = new Map<number, { bytes: Uint8Array; spots: Uint32Array }>();

async function sample(i: number): Promise<{ bytes: Uint8Array; spots: Uint32Array }> {
  let s = loaded.get(i);
  if (!s) {
    const bytes = await loadSample(workDir, specs[i]!);
    s = { bytes, spots: await spotsOf(specs[i]!, bytes) };
    loaded.set(i, s);
  }
  return s;
}

process.on('message', (msg: CaseRequest) => {
  void (async () => {
    const spec = specs[msg.sample]!;
    const { bytes, spots } = await sample(msg.sample);
    const mutation = mutationFor(spec, bytes.length, spots, msg.seed);
    process.send!({ type: 'started', mutation });
    try {
      const outcome = await exercise(spec, applyMutation(spec, bytes, mutation), workDir);
      process.send!({ type: 'done', outcome });
    } catch (err) {
      process.send!({
        type: 'done',
        outcome: 'crash',
        message: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
  })();
});
process.send!({ type: 'ready' });
