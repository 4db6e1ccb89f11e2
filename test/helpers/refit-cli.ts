// The `refit` command from the TypeScript sources, for tests that run it as a child process:
// `node --import tsx test/helpers/refit-cli.ts serve …`.
import { main } from '../../src/cli/main.js';

await main(process.argv);
