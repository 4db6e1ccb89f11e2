import { mulberry32 } from './data/random.js';
import type { Logger } from 'pino';
import type { Refit } from './service/index.js';

/** Id of the demo model. */
export const DEMO_MODEL_ID = 'job-relevance';

/** The demo model: is a job posting relevant to a data-engineering candidate? Scores in [-1, 1]. */
export const DEMO_SPEC = {
  id: DEMO_MODEL_ID,
  task: 'binary',
  description: 'Demo: is a job posting relevant to a data-engineering candidate? Score in [-1, 1], 0 until a version exists.',
  features: [
    { name: 'title', type: 'text' },
    { name: 'seniority', type: 'category' },
    { name: 'remote', type: 'boolean' },
    { name: 'salaryK', type: 'number' },
  ],
  trainer: { type: 'logistic', params: { l2: 1, hashBits: 12 } },
  scoreRange: [-1, 1],
  defaultScore: 0,
  retrain: { minNewLabels: 20 },
} as const;

const RELEVANT = ['data engineer', 'senior data engineer', 'analytics engineer', 'machine learning engineer', 'etl developer', 'data platform engineer', 'big data engineer'];
const IRRELEVANT = ['sales assistant', 'store manager', 'nurse', 'truck driver', 'marketing coordinator', 'receptionist', 'account executive'];
const SENIORITY = ['junior', 'mid', 'senior', 'lead'];

/** `n` labelled demo rows from a seeded generator (the same seed gives the same rows). */
export function demoRows(n: number, seed: number): { features: Record<string, string | number | boolean>; label: number }[] {
  const rnd = mulberry32(seed);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const relevantTitle = rnd() < 0.5;
    const pool = relevantTitle ? RELEVANT : IRRELEVANT;
    const title = pool[Math.floor(rnd() * pool.length)] + (rnd() < 0.3 ? ' (remote)' : '');
    const remote = rnd() < 0.4;
    const seniority = SENIORITY[Math.floor(rnd() * SENIORITY.length)];
    const salaryK = Math.round(40 + rnd() * 80 + (relevantTitle ? 15 : 0));
    // Mostly the title decides; remote work and pay tip borderline cases; 8% label noise.
    const logit = (relevantTitle ? 2.2 : -2.2) + (remote ? 0.6 : 0) + (salaryK - 80) / 40;
    let label = rnd() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    if (rnd() < 0.08) label = 1 - label;
    rows.push({ features: { title, seniority, remote, salaryK }, label });
  }
  return rows;
}

/** Options of the demo feeder. */
export interface DemoOptions {
  /** Labels sent at the start. Default 200. */
  readonly initialLabels?: number;
  /** Labels sent per later round. Default 60. */
  readonly batchLabels?: number;
  /** Later rounds of labels plus a retrain. Default 3. */
  readonly rounds?: number;
  /** Pause between rounds in ms. Default 15,000. */
  readonly intervalMs?: number;
  /** Where a failed round is reported. Default: none. */
  readonly logger?: Logger;
}

/** Score rows with the version in service, then send each outcome by its scoreId. */
async function serveRound(refit: Refit, rows: { features: Record<string, string | number | boolean>; label: number }[]): Promise<void> {
  const scored = await refit.score(
    DEMO_MODEL_ID,
    rows.map((r) => ({ features: r.features })),
  );
  await refit.addLabels(
    DEMO_MODEL_ID,
    scored.map((s, i) => ({ scoreId: s.scoreId, label: rows[i].label })),
  );
}

/**
 * On a store without models: create the demo model, send labels and retrain at once, then score
 * more postings, send their outcomes by score id and retrain a few more times, so that the
 * history, live performance and drift have something to show. Returns a stop function; does
 * nothing (and returns a no-op) when the store already has models.
 */
export async function startDemo(refit: Refit, options: DemoOptions = {}): Promise<{ created: boolean; stop: () => void }> {
  if ((await refit.listModels()).length > 0) return { created: false, stop: () => {} };
  await refit.createModel(DEMO_SPEC);
  await refit.addLabels(DEMO_MODEL_ID, demoRows(options.initialLabels ?? 200, 1));
  await refit.retrain(DEMO_MODEL_ID, { trigger: 'demo' });
  let round = 0;
  const rounds = options.rounds ?? 3;
  const timer = setInterval(() => {
    round++;
    if (round > rounds) {
      clearInterval(timer);
      // Last, a day of serving without a retrain in which salaries went up: the drift card then
      // shows salaryK moving away from the training sample.
      void serveRound(refit, demoRows(150, 99).map((r) => ({ ...r, features: { ...r.features, salaryK: (r.features.salaryK as number) + 30 } }))).catch((err: unknown) =>
        options.logger?.warn({ err }, 'demo round failed'),
      );
      return;
    }
    void (async () => {
      // Score the round's postings with the version in service, then send each outcome by its
      // scoreId, as an application would: this feeds live performance and drift.
      await serveRound(refit, demoRows(options.batchLabels ?? 60, 1 + round));
      await refit.retrain(DEMO_MODEL_ID, { trigger: 'demo', join: true });
    })().catch((err: unknown) => options.logger?.warn({ err }, 'demo round failed'));
  }, options.intervalMs ?? 15_000);
  timer.unref();
  return { created: true, stop: () => clearInterval(timer) };
}
