import { zodProblems } from '../config/model-spec.js';
import { pruneInputSchema } from '../contract/requests.js';
import { fromPruneResultWire } from '../contract/storage-mappers.js';
import type { PruneResult, StorageReport, TableRetentionView, TableStorage } from '../domain/data-retention.js';
import { RefitError } from '../errors.js';
import type { RefitParts } from './parts.js';

/** The newest prune: this process's own, or one another process recorded in the audit trail. */
async function latestPrune(p: RefitParts): Promise<PruneResult | null> {
  const own = p.pruner.last;
  const [row] = await p.store.listAudit({ actor: 'retention', action: 'storage.prune', limit: 1 });
  const recorded = row ? fromPruneResultWire(row.detail) : null;
  if (!recorded) return own;
  if (!own) return recorded;
  return recorded.finishedAt.getTime() > own.finishedAt.getTime() ? recorded : own;
}

function rowsOf(table: TableStorage | undefined, modelId: string): { rows: number; oldestAt: Date | null } {
  const m = table?.models.find((x) => x.modelId === modelId);
  return { rows: m?.rows ?? 0, oldestAt: m?.oldestAt ?? null };
}

/** The database's size, the scores and labels tables, what retention keeps of each model now and why, and the last prune. */
export async function storageReport(p: RefitParts): Promise<StorageReport> {
  const measuredAt = p.clock.now();
  const stats = await p.store.storageStats();
  const effective = await p.pruner.effective(measuredAt);
  const scores = stats.tables.find((t) => t.name === 'scores');
  const labels = stats.tables.find((t) => t.name === 'labels');
  const models = effective.map((e) => {
    const s: TableRetentionView = { ...rowsOf(scores, e.modelId), pruneBefore: e.scores.rule?.before ?? null, reasons: e.scores.reasons };
    const l: TableRetentionView = { ...rowsOf(labels, e.modelId), pruneBefore: e.labels.rule?.before ?? null, reasons: e.labels.reasons };
    return { modelId: e.modelId, scores: s, labels: l };
  });
  return { measuredAt, stats, policy: p.pruner.policy, nextPruneAt: p.pruner.nextAt, models, lastPrune: await latestPrune(p) };
}

/**
 * Prune old scores and labels now (`{dryRun?, tables?}`; refused with every bad field named).
 * PRUNE_IN_PROGRESS when a prune runs already, here or in another process.
 */
export async function prune(p: RefitParts, input: unknown, requestedBy: string | null): Promise<PruneResult> {
  const r = pruneInputSchema.safeParse(input);
  if (!r.success) throw new RefitError('VALIDATION_FAILED', 'The prune request is invalid.', { errors: zodProblems(r.error) });
  return p.pruner.prune({ trigger: 'manual', dryRun: r.data?.dryRun ?? false, ...(r.data?.tables ? { tables: r.data.tables } : {}), requestedBy });
}
