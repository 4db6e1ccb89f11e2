import { type Command, InvalidArgumentError } from 'commander';
import type { PruneResultWire, StorageReportWire } from '../../contract/index.js';
import { type ClientFlags, addClientOptions, printJson, withClient } from '../command-kit.js';
import { NONE, bytes, duration, fields, plural, table, when } from '../format.js';
import type { CliIo } from '../io.js';

function tableName(value: string, previous: ('scores' | 'labels')[] | undefined): ('scores' | 'labels')[] {
  if (value !== 'scores' && value !== 'labels') throw new InvalidArgumentError("must be 'scores' or 'labels'");
  return [...(previous ?? []), value];
}

const days = (d: number | null) => (d === null ? 'kept forever' : `${d} days`);

/** `198.2 MiB, 45.1 MiB of it free for reuse` */
function space(s: { databaseBytes: number; freeBytes: number | null }): string {
  return s.freeBytes === null ? bytes(s.databaseBytes) : `${bytes(s.databaseBytes)}, ${bytes(s.freeBytes)} of it free for reuse`;
}

/** One line about a prune: when, what went, how long it took. */
export function pruneLine(p: PruneResultWire): string {
  const who = p.trigger === 'schedule' ? 'periodic' : `asked by ${p.requestedBy ?? 'someone'}`;
  const what = `${plural(p.scoresDeleted, 'score')} and ${plural(p.labelsDeleted, 'label')} ${p.dryRun ? 'would go' : 'deleted'}`;
  return `${when(p.finishedAt)} (${who}): ${what} in ${duration(p.durationMs)}${p.interrupted ? ', stopped early (the process was closing)' : ''}`;
}

function printReport(io: CliIo, r: StorageReportWire, why: boolean): void {
  const db = r.database;
  const extra = [db.autoVacuum && db.autoVacuum !== 'none' ? `auto_vacuum ${db.autoVacuum}` : null, db.walBytes !== null ? `write-ahead log ${bytes(db.walBytes)}` : null].filter((x) => x !== null);
  const ret = r.retention;
  io.stdout(
    fields([
      ['Database', `${r.dialect}, ${space(db)}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`],
      ['Retention', `scores ${days(ret.scoresDays)}, labels ${days(ret.labelsDays)}; a prune every ${ret.intervalMinutes} min, ${ret.batchRows.toLocaleString('en-US')} rows per statement`],
      ['Next prune', ret.nextPruneAt ? when(ret.nextPruneAt) : NONE],
      ['Last prune', r.lastPrune ? pruneLine(r.lastPrune) : 'none yet'],
    ]),
  );
  io.stdout('\n' + table(['TABLE', 'ROWS', 'BYTES', 'DEAD ROWS'], r.tables.map((t) => [t.name, t.rows.toLocaleString('en-US'), bytes(t.bytes), t.deadRows === null ? NONE : t.deadRows.toLocaleString('en-US')])));
  if (r.models.length === 0) return;
  io.stdout(
    '\n' +
      table(
        ['MODEL', 'SCORES', 'OLDEST SCORE', 'PRUNE SCORES BEFORE', 'LABELS', 'OLDEST LABEL', 'PRUNE LABELS BEFORE'],
        r.models.map((m) => [
          m.modelId,
          m.scores.rows.toLocaleString('en-US'),
          when(m.scores.oldestAt),
          m.scores.pruneBefore ? when(m.scores.pruneBefore) : 'kept',
          m.labels.rows.toLocaleString('en-US'),
          when(m.labels.oldestAt),
          m.labels.pruneBefore ? when(m.labels.pruneBefore) : 'kept',
        ]),
      ),
  );
  if (!why) {
    io.stdout('\n`refit storage --why` says why each cut is where it is.\n');
    return;
  }
  for (const m of r.models) {
    io.stdout(`\n${m.modelId}\n  scores:\n${m.scores.keptBecause.map((x) => `    - ${x}`).join('\n')}\n  labels:\n${m.labels.keptBecause.map((x) => `    - ${x}`).join('\n')}\n`);
  }
}

function printPrune(io: CliIo, p: PruneResultWire): void {
  const verb = p.dryRun ? 'Would prune' : 'Pruned';
  io.stdout(`${verb} ${plural(p.scoresDeleted, 'score')} and ${plural(p.labelsDeleted, 'label')} in ${duration(p.durationMs)}${p.dryRun ? ' (dry run: nothing was deleted)' : ` (${plural(p.batches, 'statement')})`}.\n`);
  if (p.interrupted) io.stdout('Stopped early: the process was closing; the rest goes at the next prune.\n');
  if (!p.dryRun) {
    io.stdout(`Database: ${space(p.after)} (before: ${space(p.before)}).\n`);
    if (p.reclaimedBytes > 0) io.stdout(`${bytes(p.reclaimedBytes)} given back to the file system.\n`);
  }
  if (p.models.length > 0) {
    io.stdout(
      '\n' +
        table(
          ['MODEL', p.dryRun ? 'SCORES TO GO' : 'SCORES DELETED', 'BEFORE', p.dryRun ? 'LABELS TO GO' : 'LABELS DELETED', 'BEFORE'],
          p.models.map((m) => [m.modelId, m.scoresDeleted.toLocaleString('en-US'), when(m.scoresBefore), m.labelsDeleted.toLocaleString('en-US'), when(m.labelsBefore)]),
        ),
    );
  }
}

/** Register `storage`: the database's size and what retention keeps (`show`, the default), and `prune`. */
export function registerStorageCommand(program: Command, io: CliIo): void {
  const storage = program.command('storage').description('database size, scores and labels per model, what retention keeps and why; prune old ones now');

  addClientOptions(
    storage
      .command('show', { isDefault: true })
      .description('the database size, rows and bytes of scores and labels, what retention keeps of each model, and the last prune')
      .option('--why', 'say why each cut is where it is (retention age, live metrics, drift and training windows, running rollouts)'),
  ).action(async (flags: ClientFlags & { why?: boolean }) =>
    withClient(io, flags, async (client) => {
      const r = await client.storage();
      if (flags.json) return printJson(io, r);
      printReport(io, r, flags.why === true);
    }),
  );

  addClientOptions(
    storage
      .command('prune')
      .description('delete scores and labels past their retention age now (what live metrics, drift, rollouts and training windows read stays)')
      .option('--dry-run', 'count what would go; delete nothing')
      .option('--table <table>', "only this table: 'scores' or 'labels' (repeatable; default both)", tableName),
  ).action(async (flags: ClientFlags & { dryRun?: boolean; table?: ('scores' | 'labels')[] }) =>
    withClient(io, flags, async (client) => {
      const p = await client.prune({ dryRun: flags.dryRun === true, ...(flags.table ? { tables: flags.table } : {}) });
      if (flags.json) return printJson(io, p);
      printPrune(io, p);
    }),
  );
}
