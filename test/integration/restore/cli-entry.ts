/** The `hyperkeep` CLI from the sources, for tests that must run (and kill) it as a process. */
import { main } from '../../../src-main/cli/main';

await main(process.argv);
