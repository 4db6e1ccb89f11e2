import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { locateProblems, rowProblemLines } from '../batch-problems.js';
import { ClientError } from '../client-error.js';
import { CliExit, type ClientFlags, addClientOptions, integerOption, printJson, withClient } from '../command-kit.js';
import { plural, problemText } from '../format.js';
import type { CliIo } from '../io.js';
import { readRowBatches } from '../read-rows.js';

/** Rows sent per labels request (the server takes at most 10,000). */
export const INGEST_BATCH = 5_000;

/** `ingest` flags. */
interface IngestFlags extends ClientFlags {
  readonly batchSize: number;
}

/** Register `ingest <model> <file>`. */
export function registerIngestCommand(program: Command, io: CliIo): void {
  addClientOptions(
    program
      .command('ingest')
      .argument('<model>', 'model id')
      .argument('<file>', '.csv with a header (feature names, label, optional scoreId and occurredAt), or .ndjson/.jsonl/.json with one {features, label} a line')
      .description('send labelled rows from a file, in batches; a batch with a bad row is refused whole')
      .option('--batch-size <n>', 'rows per request', integerOption(1, 10_000), INGEST_BATCH),
  ).action(async (modelId: string, file: string, flags: IngestFlags) =>
    withClient(io, flags, async (client) => {
      const path = resolve(io.cwd, file);
      const name = basename(path);
      const model = await client.getModel(modelId);
      let accepted = 0;
      let batches = 0;
      let lastStored: string | null = null;
      const stored = () =>
        accepted === 0
          ? `Nothing from ${name} was stored.\n`
          : `${plural(accepted, 'row')} up to ${lastStored} ${accepted === 1 ? 'was' : 'were'} stored before; the rest of ${name} was not sent.\n`;
      for await (const batch of readRowBatches(path, model, { kind: 'labels', batchSize: flags.batchSize })) {
        if (batch.problems.length > 0) {
          io.stderr(`${plural(batch.problems.length, 'row')} of ${name} cannot be read:\n${rowProblemLines(batch.problems)}${stored()}`);
          return 1;
        }
        try {
          accepted += (await client.addLabels(modelId, batch.items)).accepted;
        } catch (err) {
          if (err instanceof ClientError) {
            io.stderr(problemText(err.title, err.message, []) + rowProblemLines(locateProblems(err.errors, batch.where)) + stored());
            throw new CliExit(1);
          }
          throw err;
        }
        batches++;
        lastStored = batch.where[batch.where.length - 1];
        if (!flags.json && batches > 1) io.stderr(`  ${plural(accepted, 'row')} stored so far\n`);
      }
      if (flags.json) return printJson(io, { modelId, file: path, accepted, batches });
      if (accepted === 0) {
        io.stdout(`${name} holds no rows; nothing was stored.\n`);
        return;
      }
      io.stdout(`Stored ${plural(accepted, 'label')} for ${modelId} from ${name}${batches > 1 ? ` in ${batches} batches` : ''}.\n`);
    }),
  );
}
