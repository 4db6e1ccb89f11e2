/**
 * Scoring speed of an XGBoost JSON model on Refit's tree predictor against the same trees as a
 * Refit gbdt model: a gbdt model (100 trees, depth 6, 10 number features, 20,000 rows) is
 * exported to XGBoost JSON and loaded back, and both predict the same 10,000 raw rows.
 *
 *   npm run bench:imported-trees [-- --repeat 5]
 *
 * Prints one line per predictor and round (the first rounds include JIT warm-up).
 */
import { buildDataset } from '../src/data/build-dataset.js';
import { exportXgboostJson } from '../src/train/formats/xgboost-export.js';
import { loadXgboostJson } from '../src/train/formats/xgboost-json.js';
import { gbdtTrainer } from '../src/train/gbdt/gbdt.js';
import type { GbdtPredictor } from '../src/train/gbdt/gbdt-predictor.js';
import type { Predictor } from '../src/train/trainer.js';

const repeat = Number(process.argv[process.argv.indexOf('--repeat') + 1]) || 5;
const F = 10;
const N = 20_000;
const features = Array.from({ length: F }, (_, i) => ({ name: `f${i}`, type: 'number' as const }));
let seed = 1;
const rnd = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
const rows = Array.from({ length: N }, (_, id) => {
  const f: Record<string, number> = {};
  for (let i = 0; i < F; i++) f[`f${i}`] = rnd() * 2 - 1;
  return { id: id + 1, features: f, label: f.f0 + f.f1 * f.f2 > 0 ? 1 : 0, scoreId: null, occurredAt: new Date(0) };
});
const data = buildDataset('binary', features, rows);
const gbdt = (await gbdtTrainer.fit(data, gbdtTrainer.paramsSchema.parse({ numTrees: 100, maxDepth: 6, earlyStoppingRounds: 0 }), { seed: 1 })) as GbdtPredictor;
const imported = loadXgboostJson(exportXgboostJson(gbdt), { format: 'xgboost-json', task: 'binary', features, classes: ['0', '1'] });
const probe = rows.slice(0, 10_000).map((r) => r.features);
for (let round = 1; round <= 2; round++) {
  for (const [name, p] of [
    ['xgboost-json on Refit trees', imported],
    ['Refit gbdt', gbdt],
  ] as [string, Predictor][]) {
    p.predictRows(probe);
    const start = performance.now();
    for (let k = 0; k < repeat; k++) p.predictRows(probe);
    console.log(`round ${round}, ${name}: ${((performance.now() - start) / repeat).toFixed(1)} ms per 10,000 rows`);
  }
}
process.exit(0);
