import type { Command } from 'commander';
import { type ClientFlags, addClientOptions, integerOption, printJson, withClient } from '../command-kit.js';
import { NONE, table, when } from '../format.js';
import type { CliIo } from '../io.js';

/** Register `timeline` and `promote`. */
export function registerRolloutCommands(program: Command, io: CliIo): void {
  addClientOptions(
    program
      .command('timeline')
      .argument('<model>', 'model id')
      .description("a model's activations, canary and shadow starts and stops, promotions, rollbacks and cleanups, newest first")
      .option('--limit <n>', 'entries to show (1-500)', integerOption(1, 500), 20)
      .option('--offset <n>', 'entries to skip', integerOption(0, Number.MAX_SAFE_INTEGER), 0),
  ).action(async (modelId: string, flags: ClientFlags & { limit: number; offset: number }) =>
    withClient(io, flags, async (client) => {
      const page = await client.timeline(modelId, { limit: flags.limit, offset: flags.offset });
      if (flags.json) return printJson(io, page);
      if (page.items.length === 0) {
        io.stdout(page.total === 0 ? `${modelId} has no timeline yet: nothing has been activated.\n` : `No entries past ${flags.offset}; there are ${page.total}.\n`);
        return;
      }
      io.stdout(
        table(
          ['AT', 'ACTION', 'VERSION', 'FROM', 'BY', 'WHY'],
          page.items.map((e) => [when(e.at), e.action, e.version ?? NONE, e.fromVersion ?? NONE, e.actor, e.reason]),
        ),
      );
      if (page.total > flags.offset + page.items.length) io.stdout(`(${page.total - flags.offset - page.items.length} older; --offset ${flags.offset + page.items.length})\n`);
    }),
  );

  addClientOptions(
    program
      .command('promote')
      .argument('<model>', 'model id')
      .argument('<version>', 'the retained version to activate')
      .requiredOption('--reason <text>', 'why, for the timeline (required)')
      .description('activate a retained version now, past its gates and any canary (audited on the timeline)'),
  ).action(async (modelId: string, version: string, flags: ClientFlags & { reason: string }) =>
    withClient(io, flags, async (client) => {
      const a = await client.promote(modelId, version, flags.reason);
      if (flags.json) return printJson(io, a);
      io.stdout(`${modelId}: ${a.fromVersion ?? NONE} → ${a.toVersion} is now active (${a.reason}).\n`);
    }),
  );
}
