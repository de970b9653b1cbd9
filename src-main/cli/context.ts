import type { Command } from 'commander';
import { resolveHome } from '../engine/home';
import { connectEngine, type EngineClient } from './engine-client';
import { reportError } from './output';
import { EXIT, isUsageError } from './usage';

export interface CommandScope {
  client: EngineClient;
  json: boolean;
  home: string;
}

/**
 * An action returns nothing (success) or an exit code; a thrown error is reported and exits 1,
 * or 2 when it says the command line itself is wrong (see usageError).
 */
export type Action = (scope: CommandScope) => Promise<unknown>;
export type Run = (action: Action) => Promise<void>;

export function makeRunner(program: Command): Run {
  return async (action) => {
    const opts = program.opts<{ home?: string; json?: boolean }>();
    const json = Boolean(opts.json);
    let client: EngineClient | undefined;
    try {
      const home = resolveHome(opts.home);
      client = await connectEngine(home);
      const code = await action({ client, json, home });
      process.exitCode = typeof code === 'number' ? code : EXIT.ok;
    } catch (err) {
      reportError(err, json);
      process.exitCode = isUsageError(err) ? EXIT.usage : EXIT.failed;
    } finally {
      await client?.close().catch(() => undefined);
    }
  };
}
