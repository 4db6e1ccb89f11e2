#!/usr/bin/env node
// The `refit` command: runs the CLI compiled to dist/ by `npm run build`.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('Refit is not built: run `npm run build`');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
