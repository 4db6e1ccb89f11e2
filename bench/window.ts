/**
 * `window: "auto"` against `all` and fixed windows, by prequential accuracy on make-data.mjs rows
 * with concept drift: the rows are cut into periods; before each period, every strategy retrains
 * on the labels seen so far (as a retrain does: the out-of-time split, training on its oldest
 * part), then scores the period before learning from it.
 *
 *   node bench/make-data.mjs --out /tmp/w --rows 24000 --features 10 --drift 0.8
 *   npm run bench:window -- /tmp/w [--period 1000] [--windows 2000,5000] [--trainer logistic]
 *
 * Prints one JSON line per strategy: mean accuracy over all scored periods, before the drift
 * point (half way, as make-data.mjs puts it) and after it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDataset, type LabelledRow } from '../src/data/build-dataset.js';
import { splitRecent } from '../src/data/holdout.js';
import type { FeatureRow, FeatureSpec } from '../src/domain/entities.js';
import { fitAutoWindow } from '../src/retrain/window-choice.js';
import { getTrainer } from '../src/train/registry.js';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const dir = argv.find((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1].startsWith('--')));
if (!dir) {
  console.error('usage: npm run bench:window -- DIR [--period 1000] [--windows 2000,5000] [--trainer logistic]');
  process.exit(2);
}
const period = Number(flag('period') ?? 1000);
const windows = (flag('windows') ?? '2000,5000').split(',').map(Number);
const trainerName = flag('trainer') ?? 'logistic';

const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { rows: number; features: number; task: string; featureNames: string[]; drift: number };
if (meta.task !== 'binary') throw new Error('bench:window needs binary data (make-data.mjs --task binary)');
const xb = readFileSync(join(dir, 'X.f32'));
const yb = readFileSync(join(dir, 'y.f32'));
const X = new Float32Array(xb.buffer, xb.byteOffset, meta.rows * meta.features);
const Y = new Float32Array(yb.buffer, yb.byteOffset, meta.rows);
const features: FeatureSpec[] = meta.featureNames.map((name) => ({ name, type: 'number' }));
const rows: LabelledRow[] = Array.from({ length: meta.rows }, (_, i) => {
  const f: Record<string, number | null> = {};
  for (let j = 0; j < meta.features; j++) {
    const v = X[i * meta.features + j];
    f[meta.featureNames[j]] = Number.isNaN(v) ? null : v;
  }
  return { id: i + 1, features: f as FeatureRow, label: Y[i] };
});

const trainer = getTrainer(trainerName);
if (!trainer) throw new Error(`unknown trainer ${trainerName}`);
const params = trainer.paramsSchema.parse({}) as Record<string, unknown>;
const fitOptions = { seed: 42 };

type Strategy = { name: string; fit: (history: readonly LabelledRow[]) => Promise<{ predictRows: (r: readonly FeatureRow[]) => Float64Array; note?: string }> };
const plain = (window: number | null): Strategy => ({
  name: window === null ? 'all' : `labels:${window}`,
  fit: async (history) => {
    const part = window === null ? history : history.slice(-window);
    const split = splitRecent(buildDataset('binary', features, part), null);
    return trainer.fit(split.train, params, { ...fitOptions, validation: split.validation });
  },
});
const auto: Strategy = {
  name: 'auto',
  fit: async (history) => {
    const split = splitRecent(buildDataset('binary', features, history), null);
    const byId = new Map(history.map((r) => [r.id, r.features]));
    const validationRows = Array.from(split.validation.rowIds, (id) => byId.get(id)!);
    const choice = await fitAutoWindow(trainer, split.train, split.validation, validationRows, params, fitOptions);
    return { predictRows: (r) => choice.predictor.predictRows(r), note: `${Math.round(choice.share * 100)}%` };
  },
};
const strategies: Strategy[] = [plain(null), ...windows.map((w) => plain(w)), auto];

const driftAt = Math.floor(meta.rows / 2);
const results = strategies.map(() => ({ hits: 0, n: 0, before: { hits: 0, n: 0 }, after: { hits: 0, n: 0 }, choices: [] as string[] }));
const start = performance.now();
// Two periods of history before the first scored one, so every strategy has something to learn from.
for (let from = 2 * period; from + period <= meta.rows; from += period) {
  const history = rows.slice(0, from);
  const next = rows.slice(from, from + period);
  const nextFeatures = next.map((r) => r.features);
  for (let s = 0; s < strategies.length; s++) {
    const model = await strategies[s].fit(history);
    const p = model.predictRows(nextFeatures);
    let hits = 0;
    for (let i = 0; i < next.length; i++) if ((p[i] >= 0.5 ? 1 : 0) === next[i].label) hits++;
    const r = results[s];
    r.hits += hits;
    r.n += next.length;
    const side = from >= driftAt ? r.after : r.before;
    side.hits += hits;
    side.n += next.length;
    if (model.note) r.choices.push(model.note);
  }
}
const seconds = (performance.now() - start) / 1000;
const acc = (h: { hits: number; n: number }) => (h.n > 0 ? Number((h.hits / h.n).toFixed(4)) : null);
for (let s = 0; s < strategies.length; s++) {
  const r = results[s];
  console.log(
    JSON.stringify({
      strategy: strategies[s].name,
      prequentialAccuracy: acc(r),
      beforeDrift: acc(r.before),
      afterDrift: acc(r.after),
      periods: r.n / period,
      ...(r.choices.length > 0 ? { chosenShares: r.choices.join(' ') } : {}),
    }),
  );
}
console.log(JSON.stringify({ rows: meta.rows, period, drift: meta.drift, trainer: trainerName, seconds: Number(seconds.toFixed(1)) }));
