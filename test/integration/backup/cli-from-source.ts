/**
 * The hyperkeep CLI run from its TypeScript sources (`node --import tsx cli-from-source.ts …`):
 * tests that kill or drive the CLI process exercise the code in the tree, without a build.
 */
import { main } from '../../../src-main/cli/main';

await main(process.argv);
