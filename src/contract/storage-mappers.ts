import type { PruneResult, StorageReport, TableRetentionView } from '../domain/data-retention.js';
import { type PruneResultWire, type StorageReportWire, pruneResultSchema } from './storage.js';

const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const dateOrNull = (s: string | null): Date | null => (s === null ? null : new Date(s));

/** A prune on the wire (also what the audit trail keeps of it). */
export function toPruneResultWire(r: PruneResult): PruneResultWire {
  return {
    trigger: r.trigger,
    requestedBy: r.requestedBy,
    dryRun: r.dryRun,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt.toISOString(),
    durationMs: r.durationMs,
    scoresDeleted: r.scoresDeleted,
    labelsDeleted: r.labelsDeleted,
    batches: r.batches,
    interrupted: r.interrupted,
    models: r.models.map((m) => ({ modelId: m.modelId, scoresDeleted: m.scoresDeleted, labelsDeleted: m.labelsDeleted, scoresBefore: isoOrNull(m.scoresBefore), labelsBefore: isoOrNull(m.labelsBefore) })),
    before: { databaseBytes: r.before.databaseBytes, freeBytes: r.before.freeBytes },
    after: { databaseBytes: r.after.databaseBytes, freeBytes: r.after.freeBytes },
    reclaimedBytes: r.reclaimedBytes,
  };
}

/** A prune read back from the wire form (an audit row's detail); null when it is not one. */
export function fromPruneResultWire(value: unknown): PruneResult | null {
  const parsed = pruneResultSchema.safeParse(value);
  if (!parsed.success) return null;
  const w = parsed.data;
  return {
    ...w,
    startedAt: new Date(w.startedAt),
    finishedAt: new Date(w.finishedAt),
    models: w.models.map((m) => ({ ...m, scoresBefore: dateOrNull(m.scoresBefore), labelsBefore: dateOrNull(m.labelsBefore) })),
  };
}

function tableView(t: TableRetentionView) {
  return { rows: t.rows, oldestAt: isoOrNull(t.oldestAt), pruneBefore: isoOrNull(t.pruneBefore), keptBecause: [...t.reasons] };
}

/** A storage report on the wire. */
export function toStorageReportWire(r: StorageReport): StorageReportWire {
  const s = r.stats;
  return {
    dialect: s.dialect,
    measuredAt: r.measuredAt.toISOString(),
    database: { databaseBytes: s.databaseBytes, freeBytes: s.freeBytes, pageSize: s.pageSize, autoVacuum: s.autoVacuum, walBytes: s.walBytes },
    tables: s.tables.map((t) => ({ name: t.name, rows: t.rows, bytes: t.bytes, deadRows: t.deadRows })),
    retention: {
      scoresDays: r.policy.scoresDays,
      labelsDays: r.policy.labelsDays,
      intervalMinutes: r.policy.intervalMs / 60_000,
      batchRows: r.policy.batchRows,
      nextPruneAt: isoOrNull(r.nextPruneAt),
    },
    models: r.models.map((m) => ({ modelId: m.modelId, scores: tableView(m.scores), labels: tableView(m.labels) })),
    lastPrune: r.lastPrune ? toPruneResultWire(r.lastPrune) : null,
  };
}
