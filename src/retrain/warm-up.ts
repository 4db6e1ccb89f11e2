/**
 * The warm-up of a training thread: a small retrain on made-up rows, run by the executor when the
 * process starts (src/retrain/executor.ts, `warm`), once on its own and once against its own
 * model as the champion. The first retrain of a process otherwise waits for its threads to start
 * and runs every step (parsing, encoding, splitting, the fit, scoring, the paired bootstrap) as
 * code V8 has not compiled yet; after the warm-up it runs them compiled, as later retrains do.
 */
import { mulberry32 } from '../data/random.js';
import type { RawLabelRow } from '../store/store.js';
import type { ComputeInput } from './compute.js';

/**
 * Made-up rows of the warm-up: enough for its fit's loops to be compiled, few enough to take a
 * fraction of one retrain; and enough for its training part (70%: 4,200 rows x 6) to be fitted on
 * two threads where the fit may use them (gbdt's THREADS_MIN_CELLS), so that the histogram
 * workers are started and the two-thread code compiled too (with 3,000 rows it fitted on one). A
 * new server's first retrain on 45,000 labels still takes about 1 s (it reads, sends and parses
 * its whole window, and just after its labels were posted the loop is busy, so the fit gets one
 * thread); its second 0.44-0.52 s, later ones 0.27-0.37 s (bench:retrain).
 */
export const WARM_UP_ROWS = 6_000;

const FEATURES = 6;

/**
 * The warm-up model as a spec to validate (the config layer turns it into a ModelSpec, which this
 * layer may not import): binary, numeric features, the default trainer with fewer trees.
 */
export const WARM_UP_SPEC = {
  id: 'warm-up',
  task: 'binary',
  features: Array.from({ length: FEATURES }, (_, j) => ({ name: `x${j}`, type: 'number' })),
  trainer: { type: 'gbdt', params: { numTrees: 20 } },
} as const;

/** The warm-up's rows (`rows` of them, default WARM_UP_ROWS): a noisy linear rule of the features, seeded, so every start warms up on the same rows. */
export function warmUpLabels(rows: number = WARM_UP_ROWS): RawLabelRow[] {
  const random = mulberry32(1);
  const out: RawLabelRow[] = [];
  for (let i = 0; i < rows; i++) {
    const features: Record<string, number> = {};
    let sum = 0;
    for (let j = 0; j < FEATURES; j++) {
      const v = random() * 2 - 1;
      features[`x${j}`] = v;
      sum += v * (j + 1);
    }
    out.push({ id: i + 1, features: JSON.stringify(features), label: sum + random() * 4 > 2 ? '1' : '0' });
  }
  return out;
}

/** The warm-up's first retrain (no champion) for `spec` (WARM_UP_SPEC validated), with the fit's threads capped as real fits are. */
export function warmUpInput(spec: ComputeInput['spec'], threads: number | null): ComputeInput {
  return { spec, labels: warmUpLabels(), champion: null, threads };
}
