import { zodProblems } from '../config/model-spec.js';
import { validateFeatureRow, validateLabel } from '../data/validate-row.js';
import type { FeatureRow } from '../domain/entities.js';
import type { FieldProblem } from '../errors.js';
import { RefitError } from '../errors.js';
import type { ScoreItem } from '../serve/scorer.js';
import { requireModel } from '../store/require-model.js';
import type { NewLabel } from '../store/store.js';
import type { RefitParts } from './parts.js';
import type { z } from 'zod';
import { MAX_BATCH_ITEMS, labelBatchSchema, labelItemSchema, scoreBatchSchema, scoreItemSchema } from '../contract/requests.js';

/**
 * Store a batch of labels. Each item carries its features or the id of an earlier score (whose
 * logged features are used). Any bad item refuses the whole batch, naming every problem.
 */
export async function addLabels(p: RefitParts, modelId: string, items: unknown): Promise<{ accepted: number; ids: number[] }> {
  const { spec } = await requireModel(p.store, modelId);
  const external = spec.serving === 'external';
  const versions = external ? new Set((await p.store.listVersions(modelId)).map((v) => v.version)) : null;
  const batch = batchOf(items, labelBatchSchema);
  if (!batch.success) throw new RefitError('VALIDATION_FAILED', 'The request is invalid.', { errors: zodProblems(batch.error, '/items') });
  const problems: FieldProblem[] = [];
  const parsed = batch.data.map((raw, i) => {
    if (isPlainLabel(raw)) return raw;
    const r = labelItemSchema.safeParse(raw);
    if (!r.success) {
      problems.push(...zodProblems(r.error, `/items/${i}`));
      return null;
    }
    return r.data;
  });
  const scoreIds = parsed.flatMap((item) => (item?.scoreId !== undefined && item.features === undefined ? [item.scoreId] : []));
  const scores = scoreIds.length > 0 ? await p.store.getScores(modelId, scoreIds) : new Map();
  const now = p.clock.now();
  const labels: NewLabel[] = [];
  parsed.forEach((item, i) => {
    if (!item) return;
    const path = `/items/${i}`;
    let features: FeatureRow | null = null;
    if (item.features !== undefined) {
      const v = validateFeatureRow(spec.features, item.features, `${path}/features`);
      problems.push(...v.problems);
      features = v.row;
    } else if (external && item.version !== undefined) {
      // An externally served model's outcome: the version that served it is enough.
      features = {};
    } else if (item.scoreId !== undefined) {
      const s = scores.get(item.scoreId);
      if (!s) problems.push({ path: `${path}/scoreId`, message: `no score '${item.scoreId}' for model '${modelId}'` });
      else features = s.features;
    } else {
      problems.push({ path, message: external ? 'needs the version that served it (and optionally its features)' : 'needs features or a scoreId' });
    }
    if (item.version !== undefined && !external) problems.push({ path: `${path}/version`, message: "only outcomes of an externally served model (\"serving\": \"external\") name a version" });
    if (external && item.version === undefined) problems.push({ path: `${path}/version`, message: 'an externally served model takes outcomes with the version that served them' });
    if (external && item.version !== undefined && !versions?.has(item.version)) problems.push({ path: `${path}/version`, message: `model '${modelId}' has no version '${item.version}'` });
    const l = validateLabel(spec.task, spec.classes, item.label, `${path}/label`);
    if (l.problem) problems.push(l.problem);
    if (features && l.label !== null) {
      labels.push({ features, label: l.label, scoreId: item.scoreId ?? null, occurredAt: item.occurredAt ? new Date(item.occurredAt) : now, meta: item.meta ?? null, version: item.version ?? null });
    }
  });
  if (spec.retrain.labels.duplicates === 'refuse') problems.push(...(await duplicateProblems(p, modelId, parsed)));
  if (problems.length > 0) {
    throw new RefitError('VALIDATION_FAILED', `The batch was refused: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was stored.`, { errors: problems });
  }
  const ids = await p.store.insertLabels(modelId, labels, now);
  return { accepted: ids.length, ids };
}

/**
 * A batch's `items`: an array of 1 to MAX_BATCH_ITEMS items is taken as it is (zod would only copy
 * it, walking every item), anything else goes to the schema, which names the problem.
 */
function batchOf(items: unknown, schema: typeof labelBatchSchema | typeof scoreBatchSchema): { success: true; data: unknown[] } | { success: false; error: z.ZodError } {
  if (Array.isArray(items) && items.length >= 1 && items.length <= MAX_BATCH_ITEMS) return { success: true, data: items as unknown[] };
  const r = schema.safeParse(items);
  return r.success ? { success: true, data: r.data } : { success: false, error: r.error };
}

/**
 * The common label item, `{features, label}` and nothing else, which labelItemSchema accepts as it
 * is: checked here without zod, whose per-item parse was a fifth of the label route's time at
 * 5,000-label batches. Anything else (other fields, or anything zod might refuse) goes to the schema.
 */
function isPlainLabel(raw: unknown): raw is z.infer<typeof labelItemSchema> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return false;
  let n = 0;
  for (const key in raw) {
    if (key !== 'features' && key !== 'label') return false;
    n++;
  }
  return n === 2;
}

/** Items whose score id already has a label (stored, or earlier in the same batch): refused under `duplicates: "refuse"`. */
async function duplicateProblems(p: RefitParts, modelId: string, items: readonly ({ scoreId?: string } | null)[]): Promise<FieldProblem[]> {
  const ids = items.flatMap((item) => (item?.scoreId !== undefined ? [item.scoreId] : []));
  if (ids.length === 0) return [];
  const stored = await p.store.labelledScoreIds(modelId, ids);
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  items.forEach((item, i) => {
    const id = item?.scoreId;
    if (id === undefined) return;
    if (stored.has(id)) problems.push({ path: `/items/${i}/scoreId`, message: `score '${id}' already has a label (labels.duplicates is 'refuse')` });
    else if (seen.has(id)) problems.push({ path: `/items/${i}/scoreId`, message: `score '${id}' is labelled twice in this batch (labels.duplicates is 'refuse')` });
    seen.add(id);
  });
  return problems;
}

/**
 * Score a batch of feature rows with the active version, or during a canary with the
 * challenger for its share (sticky per `entityKey`); refused whole on any bad row.
 */
export async function score(p: RefitParts, modelId: string, items: unknown): Promise<ScoreItem[]> {
  // Kept (the usual case), the view is read without a turn through a promise.
  const { model, route } = p.serving.peek(modelId) ?? (await p.serving.get(modelId));
  if (model.spec.serving === 'external') {
    throw new RefitError('EXTERNAL_SERVING', `Model '${modelId}' is served outside Refit ("serving": "external"): score it where it is served, and report outcomes with the version that served them.`);
  }
  const batch = batchOf(items, scoreBatchSchema);
  if (!batch.success) throw new RefitError('VALIDATION_FAILED', 'The request is invalid.', { errors: zodProblems(batch.error, '/items') });
  const problems: FieldProblem[] = [];
  const rows: FeatureRow[] = [];
  const entityKeys: (string | null)[] = [];
  batch.data.forEach((item, i) => {
    // The common item, {features} alone, needs nothing of the schema (it is only about the fields).
    const r = isPlainScoreItem(item) ? null : scoreItemSchema.safeParse(item);
    if (r && !r.success) {
      // An unknown field is named before a bad entity key, as users have always seen them.
      const found = zodProblems(r.error, `/items/${i}`);
      problems.push(...found.filter(isUnknownField), ...found.filter((f) => !isUnknownField(f)));
    }
    // Not an object: nothing more to check on it.
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return;
    const { features, entityKey } = item as { features?: unknown; entityKey?: unknown };
    entityKeys.push(typeof entityKey === 'string' ? entityKey : null);
    const v = validateFeatureRow(model.spec.features, features ?? null, `/items/${i}/features`);
    problems.push(...v.problems);
    rows.push(v.row);
  });
  if (problems.length > 0) throw new RefitError('VALIDATION_FAILED', `The request was refused: ${problems.length} problem${problems.length === 1 ? '' : 's'}.`, { errors: problems });
  return p.scorer.score(model.spec, model.activeVersion, rows, { entityKeys, challenger: route });
}

/** `{features}` and nothing else, which scoreItemSchema accepts as it is: checked without zod. */
function isPlainScoreItem(item: unknown): boolean {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return false;
  let n = 0;
  for (const key in item) {
    if (key !== 'features') return false;
    n++;
  }
  return n === 1;
}

function isUnknownField(problem: FieldProblem): boolean {
  return problem.message.startsWith('unknown field ');
}
