import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { Engine } from '../../engine/engine';
import { Scheduler } from '../../engine/jobs/scheduler';
import { resolveHome } from '../../engine/home';
import { startServer } from '../../server/serve';
import { reportError } from '../output';

/** The built renderer sits next to the CLI bundle: out/cli/… → out/renderer. */
function defaultRendererDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'renderer');
}

interface ServeOptions {
  host: string;
  port: string;
  rendererDir?: string;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'run the engine headless and serve the console to a browser (loopback, with a token)',
    )
    .option(
      '--host <address>',
      'address to bind; anything but loopback exposes the console to the network',
      '127.0.0.1',
    )
    .option('--port <port>', 'port (0 picks a free one)', '0')
    .option('--renderer-dir <dir>', 'folder of the built console')
    .action(async (opts: ServeOptions) => {
      const { home: homeOption, json } = program.opts<{ home?: string; json?: boolean }>();
      try {
        const rendererDir = opts.rendererDir ?? defaultRendererDir();
        if (!existsSync(join(rendererDir, 'index.html'))) {
          throw new Error(`No built console in ${rendererDir}: run \`make build\` first.`);
        }
        const home = resolveHome(homeOption);
        const engine = Engine.open({ home, mode: 'serve' });
        const server = await startServer({
          engine,
          rendererDir,
          host: opts.host,
          port: Number(opts.port),
        });
        // Schedules run while a long-lived engine is up (here, or in the desktop app).
        const scheduler = new Scheduler(engine, (line) =>
          console.error(`${new Date().toISOString()} ${line}`),
        );
        if (json) console.log(JSON.stringify({ url: server.loginUrl, home }));
        else {
          console.log(`Hyperkeep console: ${server.loginUrl}`);
          console.log(`Data home: ${home}`);
          if (!['127.0.0.1', 'localhost', '::1'].includes(opts.host)) {
            console.log(
              'warning: bound to a non-loopback address: anyone who gets the token can use this console.',
            );
          }
        }
        const stop = async () => {
          scheduler.stop();
          await server.close();
          await engine.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      } catch (err) {
        reportError(err, Boolean(json));
        process.exitCode = 1;
      }
    });
}
