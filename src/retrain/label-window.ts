/**
 * The training window of each model kept between retrains, so that a retrain whose window only
 * grew reads only the labels that came since the last one (instead of every label, page by page,
 * on the server's event loop) and hands only those to the training thread, which keeps its parsed
 * copy of the rest (src/retrain/executor.ts).
 *
 * Only windows that only grow are kept: `all` and `auto` (a `days` or `labels` window drops its
 * oldest rows as it moves, and is read whole every time, as before). Before each use the kept
 * rows are checked against the store: the count, first, last and sum of the ids of the model's
 * labels up to the kept window's bound must be what the kept rows say, so a label removed below
 * it (pruning, a deleted model) or one committed late below it (PostgreSQL) makes the window be
 * read whole again. Labels are never changed in place; something that did change one would have
 * to call `invalidate`. A change of the window or of the label policy (exclusion rule) starts over.
 */
import type { LabelPolicy } from '../domain/quality.js';
import type { TrainingWindow } from '../domain/entities.js';
import { cleanLabels, type CleanLabels } from '../data/holdout.js';
import type { FeedbackStore, LabelWindowStore, RawLabelRow } from '../store/store.js';

/** Characters of label text (features, label, score id, meta) kept across all models by default: about 64 MB of one-byte strings. */
export const DEFAULT_WINDOW_CACHE_CHARS = 64_000_000;

/** The window of one retrain. */
export interface LoadedWindow {
  /** The window as stored (ids ≤ the bound asked for), cleaned by the label policy. */
  readonly clean: CleanLabels;
  /**
   * Names a sequence of windows of one model where each one's clean rows start with all the clean
   * rows of the one before (same key: the rows only grew at the end); null when not kept.
   */
  readonly key: string | null;
}

interface Entry {
  /** Window and label policy the rows were read and cleaned with. */
  readonly policy: string;
  /** The key handed out; a new one whenever the clean rows stop being an extension of the last ones. */
  key: string;
  /** Every label of the window up to `through`, oldest first. */
  raw: RawLabelRow[];
  /** The bound the rows were read up to (the model's largest label id then). */
  through: number;
  /** What the store held up to `through` when the rows were read. */
  count: number;
  firstId: number;
  lastId: number;
  idSum: number;
  clean: CleanLabels;
  /** The latest label id of each score id among `raw` (for `cleanLabels`'s one label per score). */
  latest: Map<string, number>;
  chars: number;
}

function rowChars(r: RawLabelRow): number {
  return r.features.length + r.label.length + (r.scoreId?.length ?? 0) + (r.meta?.length ?? 0) + 16;
}

function spanOf(rows: readonly RawLabelRow[]): { count: number; firstId: number; lastId: number; idSum: number } {
  let idSum = 0;
  for (const r of rows) idSum += r.id;
  return { count: rows.length, firstId: rows.length > 0 ? rows[0].id : 0, lastId: rows.length > 0 ? rows[rows.length - 1].id : 0, idSum };
}

/** Windows kept per model, at most `maxChars` characters of label text in all (least recently used dropped first). */
export class LabelWindowCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxChars: number;
  private chars = 0;
  private generation = 0;

  constructor(options: { readonly maxChars?: number } = {}) {
    this.maxChars = options.maxChars ?? DEFAULT_WINDOW_CACHE_CHARS;
  }

  /** Characters of label text kept now, over all models. */
  get size(): number {
    return this.chars;
  }

  /** Forget a model's window (all models' without an id). */
  invalidate(modelId?: string): void {
    if (modelId === undefined) {
      this.entries.clear();
      this.chars = 0;
      return;
    }
    const e = this.entries.get(modelId);
    if (!e) return;
    this.chars -= e.chars;
    this.entries.delete(modelId);
  }

  /**
   * The model's window with label ids ≤ `through`, cleaned by `labels`: the kept rows plus those
   * read since, when the store still holds exactly the kept ones; else read whole.
   */
  async load(
    store: Pick<FeedbackStore, 'loadLabelsRaw'> & LabelWindowStore,
    modelId: string,
    window: TrainingWindow,
    labels: LabelPolicy,
    now: Date,
    through: number,
  ): Promise<LoadedWindow> {
    if (window.kind !== 'all' && window.kind !== 'auto') {
      this.invalidate(modelId);
      return { clean: cleanLabels((await store.loadLabelsRaw(modelId, window, now)).filter((l) => l.id <= through), labels), key: null };
    }
    // `all` and `auto` read the same rows.
    const policy = JSON.stringify(labels);
    const kept = this.entries.get(modelId);
    if (kept && kept.policy === policy && kept.through <= through) {
      const span = await store.labelSpan(modelId, kept.through);
      if (span.count === kept.count && span.firstId === kept.firstId && span.lastId === kept.lastId && span.idSum === kept.idSum) {
        const added = kept.through < through ? await store.loadLabelsRawBetween(modelId, kept.through, through) : [];
        return this.extend(modelId, kept, added, labels, through);
      }
    }
    this.invalidate(modelId);
    const raw = (await store.loadLabelsRaw(modelId, window, now)).filter((l) => l.id <= through);
    const clean = cleanLabels(raw, labels);
    const latest = new Map<string, number>();
    let chars = 0;
    for (const r of raw) {
      if (r.scoreId) latest.set(r.scoreId, Math.max(latest.get(r.scoreId) ?? 0, r.id));
      chars += rowChars(r);
    }
    const entry: Entry = { policy, key: this.nextKey(modelId), raw, through, ...spanOf(raw), clean, latest, chars };
    this.keep(modelId, entry);
    return { clean, key: this.entries.has(modelId) ? entry.key : null };
  }

  /** The kept window with `added` (ids above its bound, oldest first) appended. */
  private extend(modelId: string, kept: Entry, added: readonly RawLabelRow[], labels: LabelPolicy, through: number): LoadedWindow {
    this.entries.delete(modelId);
    this.chars -= kept.chars;
    // A new label for a score id that has one among the kept rows replaces it: clean everything
    // again (rare: labels for a score usually come once). Otherwise the kept clean rows stay as
    // they are and only the new ones are cleaned, which gives the same rows.
    let replacesKept = false;
    for (const r of added) {
      if (r.scoreId && kept.latest.has(r.scoreId)) {
        replacesKept = true;
        break;
      }
    }
    const raw = added.length > 0 ? kept.raw.concat(added) : kept.raw;
    let clean: CleanLabels;
    if (replacesKept) {
      clean = cleanLabels(raw, labels);
    } else {
      const more = cleanLabels(added, labels);
      clean = {
        rows: more.rows.length > 0 ? kept.clean.rows.concat(more.rows) : kept.clean.rows,
        total: kept.clean.total + more.total,
        excludedByRule: kept.clean.excludedByRule + more.excludedByRule,
        replaced: kept.clean.replaced + more.replaced,
      };
    }
    // Still an extension when the last kept clean row is still where it was (clean rows are in
    // id order, and rows below the old bound can only leave them, never join them).
    const n = kept.clean.rows.length;
    const extends_ = clean.rows.length >= n && (n === 0 || clean.rows[n - 1].id === kept.clean.rows[n - 1].id);
    let chars = kept.chars;
    for (const r of added) {
      if (r.scoreId) kept.latest.set(r.scoreId, Math.max(kept.latest.get(r.scoreId) ?? 0, r.id));
      chars += rowChars(r);
    }
    const span = spanOf(added);
    const entry: Entry = {
      policy: kept.policy,
      key: extends_ ? kept.key : this.nextKey(modelId),
      raw,
      through,
      count: kept.count + span.count,
      firstId: kept.count > 0 ? kept.firstId : span.firstId,
      lastId: span.count > 0 ? span.lastId : kept.lastId,
      idSum: kept.idSum + span.idSum,
      clean,
      latest: kept.latest,
      chars,
    };
    this.keep(modelId, entry);
    return { clean, key: this.entries.has(modelId) ? entry.key : null };
  }

  private nextKey(modelId: string): string {
    return `${modelId}#${++this.generation}`;
  }

  /** Keep `entry` as the most recently used, dropping the least recently used others beyond the budget; a window bigger than the budget is not kept. */
  private keep(modelId: string, entry: Entry): void {
    if (entry.chars > this.maxChars) return;
    this.entries.set(modelId, entry);
    this.chars += entry.chars;
    for (const [id, e] of this.entries) {
      if (this.chars <= this.maxChars) break;
      if (id === modelId) continue;
      this.entries.delete(id);
      this.chars -= e.chars;
    }
  }
}
