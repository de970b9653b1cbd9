// Bundles the CLI and `serve` (engine included) into out/cli/hyperkeep.js for plain Node 24.
// Native modules stay external: they load from node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: { hyperkeep: 'src-main/cli/main.ts' },
  outdir: 'out/cli',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
});
