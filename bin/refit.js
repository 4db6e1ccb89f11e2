#!/usr/bin/env -S node --max-semi-space-size=64
// The `refit` command: runs the CLI compiled to dist/ by `npm run build`.
// --max-semi-space-size=64 (MB, V8's default is 16): a serving process allocates about 15 KB a
// request, and with the default young generation a scoring server under load kept about 3 MB of
// its requests alive at every minor collection, promoted all of it and paused 5 to 10 ms per
// collection; with 64 MB it promotes about 20 KB and pauses about 1 ms (see README, "Scoring under
// load"). `npm start` passes it too; pass it yourself when you start `node bin/refit.js`.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('Refit is not built: run `npm run build`');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
