import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ScoreItemWire } from '../../contract/index.js';
import { locateProblems, rowProblemLines } from '../batch-problems.js';
import type { Client } from '../client.js';
import { ClientError } from '../client-error.js';
import { CliExit, type ClientFlags, UsageError, addClientOptions, integerOption, printJson, withClient } from '../command-kit.js';
import { NONE, num, plural, problemText, table } from '../format.js';
import type { CliIo } from '../io.js';
import { readRowBatches } from '../read-rows.js';

/** Rows sent per score request. */
const SCORE_BATCH = 5_000;

/** `score` flags. */
interface ScoreFlags extends ClientFlags {
  readonly features?: string;
  readonly file?: string;
  readonly batchSize: number;
}

/** Register `score <model> --features '<json>' | --file rows`. */
export function registerScoreCommand(program: Command, io: CliIo): void {
  addClientOptions(
    program
      .command('score')
      .argument('<model>', 'model id')
      .description('score rows with the active version; every score shows the version that made it')
      .option('--features <json>', 'one row of features as a JSON object, or an array of them')
      .option('--file <path>', 'rows to score: .csv with a header of feature names, or .ndjson/.jsonl/.json with one features object a line')
      .option('--batch-size <n>', 'rows per request', integerOption(1, 10_000), SCORE_BATCH),
  ).action(async (modelId: string, flags: ScoreFlags) => {
    if ((flags.features === undefined) === (flags.file === undefined)) throw new UsageError('give either --features or --file');
    const rows = flags.features !== undefined ? parseFeatures(flags.features) : null;
    await withClient(io, flags, async (client) => {
      const scored = rows ? await scoreRows(client, modelId, rows) : await scoreFile(io, client, modelId, resolve(io.cwd, flags.file as string), flags.batchSize);
      if (flags.json) return printJson(io, scored.map(({ item }) => item));
      io.stdout(scoreTable(scored));
    });
  });
}

/** A scored row and where it came from. */
interface Scored {
  readonly row: string;
  readonly item: ScoreItemWire;
}

function parseFeatures(text: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--features is not valid JSON: ${(err as Error).message}`);
  }
  const rows = Array.isArray(doc) ? doc : [doc];
  if (rows.length === 0) throw new UsageError('--features holds no rows');
  return rows.map((features) => ({ features }));
}

async function scoreRows(client: Client, modelId: string, items: unknown[]): Promise<Scored[]> {
  const out = await client.score(modelId, items);
  return out.map((item, i) => ({ row: String(i + 1), item }));
}

async function scoreFile(io: CliIo, client: Client, modelId: string, path: string, batchSize: number): Promise<Scored[]> {
  const model = await client.getModel(modelId);
  const out: Scored[] = [];
  for await (const batch of readRowBatches(path, model, { kind: 'features', batchSize })) {
    if (batch.problems.length > 0) {
      io.stderr(`${plural(batch.problems.length, 'row')} of ${path} cannot be read; nothing was scored from this batch:\n${rowProblemLines(batch.problems)}`);
      throw new CliExit(1);
    }
    let items: ScoreItemWire[];
    try {
      items = await client.score(modelId, batch.items);
    } catch (err) {
      if (err instanceof ClientError && err.errors.length > 0) {
        io.stderr(problemText(err.title, err.message, []) + rowProblemLines(locateProblems(err.errors, batch.where)));
        throw new CliExit(1);
      }
      throw err;
    }
    items.forEach((item, i) => out.push({ row: batch.where[i], item }));
  }
  return out;
}

function scoreTable(scored: readonly Scored[]): string {
  const multiclass = scored.some((s) => typeof s.item.score === 'object');
  const version = (v: string | null) => v ?? `${NONE} (default score)`;
  if (multiclass) {
    return table(
      ['ROW', 'LABEL', 'PROBABILITY', 'VERSION', 'SCORE ID'],
      scored.map(({ row, item }) => {
        const probs = item.score as Readonly<Record<string, number>>;
        const label = item.label ?? null;
        return [row, label ?? NONE, label !== null ? num(probs[label]) : NONE, version(item.version), item.scoreId];
      }),
    );
  }
  return table(
    ['ROW', 'SCORE', 'VERSION', 'SCORE ID'],
    scored.map(({ row, item }) => [row, num(item.score as number), version(item.version), item.scoreId]),
  );
}
