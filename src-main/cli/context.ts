import type { Command } from 'commander';
import { resolveHome } from '../engine/home';
import { connectEngine, type EngineClient } from './engine-client';
import { reportError } from './output';

export interface CommandScope {
  client: EngineClient;
  json: boolean;
  home: string;
}

/** An action returns nothing (success) or an exit code; a thrown error is reported and exits 1. */
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
      process.exitCode = typeof code === 'number' ? code : 0;
    } catch (err) {
      reportError(err, json);
      process.exitCode = 1;
    } finally {
      await client?.close().catch(() => undefined);
    }
  };
}
