#!/usr/bin/env node
// The `refit` command: runs the CLI compiled to dist/ by `npm run build`.
// A serving process should run with --max-semi-space-size=64 (MB; V8's default is 16): under
// load, with the default young generation, a scoring server kept about 3 MB of its requests
// alive at every minor collection, promoted all of it and paused 4.6 to 4.8 ms a collection; with
// 64 MB it promoted about 18 KB and paused 1.2 to 1.4 ms (see README, "Scoring under load").
// `npm start` passes it; elsewhere set NODE_OPTIONS=--max-semi-space-size=64. (Not in this
// shebang: a shebang takes no flags without `env -S`, which not every env has (BusyBox, as on
// Alpine, may not) and which npm shims for Windows have parsed wrongly.)
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('Refit is not built: run `npm run build`');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
