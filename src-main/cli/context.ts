import type { Command } from 'commander';
import { HyperkeepError } from '../../shared/errors';
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

/**
 * "lab-web-01 has no restore point" is true of this data home, and misleading when the home is
 * not the console's (a CLI run without the --home or HYPERKEEP_HOME the console uses gets a new,
 * empty one): a restore point not found says so when the home has no repository.
 */
async function withHomeHint(err: unknown, client: EngineClient, home: string): Promise<unknown> {
  if (!(err instanceof HyperkeepError) || err.code !== 'NOT_FOUND') return err;
  // Only what is missing because the points are elsewhere: not a typo in a backup set's name.
  if (!/restore point/i.test(err.message)) return err;
  const repositories = await client.call('repo.list', {}).catch(() => null);
  if (repositories === null || repositories.length > 0) return err;
  return new HyperkeepError(
    'NOT_FOUND',
    `${err.message} Note: the data home ${home} has no repository at all. If the console keeps its data elsewhere, give that folder with --home or HYPERKEEP_HOME.`,
    err.details,
  );
}

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
      reportError(client ? await withHomeHint(err, client, resolveHome(opts.home)) : err, json);
      process.exitCode = isUsageError(err) ? EXIT.usage : EXIT.failed;
    } finally {
      await client?.close().catch(() => undefined);
    }
  };
}
