/**
 * The smoke test before activation: the stored artifact bytes are loaded afresh (in the server's
 * smoke-test thread, where no training ever runs) and score a sample of recent rows; every output must be finite and
 * in range, and the scoring must finish within a bound. A version that fails is never activated.
 */
import type { FeatureRow, ModelSpec, Task } from '../domain/entities.js';
import { loadPredictor } from '../train/registry.js';

/** What a smoke test needs; plain data, so it can cross to a worker thread. */
export interface SmokeInput {
  /** The trainer kind that loads the artifact. */
  readonly kind: string;
  /** The artifact as read back from the artifact store. */
  readonly bytes: Uint8Array;
  readonly task: Task;
  /** Recent feature rows as stored (JSON text). */
  readonly rows: readonly string[];
  /** Largest time scoring the rows may take, in ms. */
  readonly maxLatencyMs: number;
  /** Plug-in trainer modules the smoke-test thread loads first, so their artifacts load. Default none. */
  readonly plugins?: readonly string[];
}

/** The verdict of a smoke test. */
export interface SmokeOutput {
  readonly ok: boolean;
  /** Why it failed, or what passed (with the numbers). */
  readonly reason: string;
  readonly rows: number;
  /** Time to score the rows, in ms (0 when the artifact did not load). */
  readonly latencyMs: number;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Load the artifact from its bytes, score the rows and check the outputs and the latency. */
export function runSmokeTest(input: SmokeInput): SmokeOutput {
  const rows: FeatureRow[] = input.rows.map((r) => JSON.parse(r) as FeatureRow);
  let predictor;
  try {
    predictor = loadPredictor(input.kind, input.bytes);
  } catch (err) {
    return { ok: false, reason: `the stored artifact does not load: ${message(err)}`, rows: rows.length, latencyMs: 0 };
  }
  const start = performance.now();
  let out: Float64Array;
  try {
    out = predictor.predictRows(rows);
  } catch (err) {
    return { ok: false, reason: `the loaded artifact fails to score: ${message(err)}`, rows: rows.length, latencyMs: 0 };
  }
  const latencyMs = Math.round((performance.now() - start) * 1000) / 1000;
  const per = Math.max(1, predictor.outputsPerRow);
  if (out.length !== rows.length * per) {
    return { ok: false, reason: `the loaded artifact returned ${out.length} values for ${rows.length} rows`, rows: rows.length, latencyMs };
  }
  const probability = input.task !== 'regression';
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (!Number.isFinite(v)) return { ok: false, reason: `output ${v} for row ${Math.floor(i / per)} is not finite`, rows: rows.length, latencyMs };
    if (probability && (v < 0 || v > 1)) return { ok: false, reason: `output ${v} for row ${Math.floor(i / per)} is outside [0, 1]`, rows: rows.length, latencyMs };
  }
  if (latencyMs > input.maxLatencyMs) {
    return { ok: false, reason: `scoring ${rows.length} rows took ${latencyMs} ms, above the bound ${input.maxLatencyMs} ms`, rows: rows.length, latencyMs };
  }
  return { ok: true, reason: `smoke test passed: the stored artifact loaded and scored ${rows.length} recent rows in ${latencyMs} ms (bound ${input.maxLatencyMs} ms), every output finite and in range`, rows: rows.length, latencyMs };
}

/** Where the smoke test reads the stored artifact from. */
interface ArtifactReader {
  getArtifact(sha256: string): Promise<Uint8Array | null>;
}

/** The smoke test of the stored artifact on the most recent rows, in the executor (the smoke-test thread in the server, where no training runs). */
export async function smokeTestStored(
  deps: { readonly store: ArtifactReader; readonly executor: { smoke?(input: SmokeInput): Promise<SmokeOutput> }; readonly plugins?: readonly string[] }, spec: ModelSpec, kind: string, sha: string, labels: readonly { readonly features: string }[]): Promise<SmokeOutput> {
  let bytes: Uint8Array | null;
  try {
    bytes = await deps.store.getArtifact(sha);
  } catch (err) {
    return { ok: false, reason: `the stored artifact cannot be read: ${(err as Error).message}`, rows: 0, latencyMs: 0 };
  }
  if (!bytes) return { ok: false, reason: 'the stored artifact cannot be read back', rows: 0, latencyMs: 0 };
  const rows = labels.slice(-spec.retrain.smokeTest.rows).map((l) => l.features);
  const input = { kind, bytes, task: spec.task, rows, maxLatencyMs: spec.retrain.smokeTest.maxLatencyMs, plugins: deps.plugins ?? [] };
  try {
    return deps.executor.smoke ? await deps.executor.smoke(input) : runSmokeTest(input);
  } catch (err) {
    return { ok: false, reason: (err as Error).message, rows: rows.length, latencyMs: 0 };
  }
}
