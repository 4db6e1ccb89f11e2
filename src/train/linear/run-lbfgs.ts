import { Lbfgs, type Objective } from './lbfgs.js';

/** Options of `runLbfgs`. */
export interface RunLbfgsOptions {
  /** Iteration budget. */
  readonly maxIter: number;
  /** Gradient tolerance (max absolute component). */
  readonly tol: number;
  /** Checked before every iteration; training throws its reason. Default: none. */
  readonly signal?: AbortSignal;
  /** Called with increasing fractions in (0, 1], at most about 100 times, last with 1. Default: none. */
  readonly onProgress?: (fraction: number) => void;
}

/** The outcome of `runLbfgs`. */
export interface RunLbfgsResult {
  /** The minimiser found. */
  readonly x: Float64Array;
  readonly iterations: number;
  /** True when the gradient or objective tolerance was met before the budget ran out. */
  readonly converged: boolean;
}

// Longest stretch of optimisation between two turns of the event loop.
const YIELD_EVERY_MS = 20;

/** Throw the signal's reason (or Error('aborted')) when it has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}

/** Let timers and I/O run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function report(onProgress: ((fraction: number) => void) | undefined, fraction: number): void {
  if (onProgress === undefined) return;
  try {
    onProgress(fraction);
  } catch {
    // A failing progress listener must not fail the training run.
  }
}

/**
 * Minimise `objective` from `x0` with L-BFGS, asynchronously: the event loop gets a turn at least
 * every ~20 ms, the abort signal is checked every iteration, progress is iterations / maxIter.
 */
export async function runLbfgs(objective: Objective, x0: Float64Array, options: RunLbfgsOptions): Promise<RunLbfgsResult> {
  const { signal, onProgress, maxIter } = options;
  throwIfAborted(signal);
  const optimiser = new Lbfgs(objective, x0, { tol: options.tol });
  let lastYield = performance.now();
  let reported = 0;
  let converged = optimiser.gradientNorm() <= options.tol;
  while (!converged && optimiser.iterations < maxIter) {
    throwIfAborted(signal);
    const status = optimiser.step();
    if (status === 'converged') converged = true;
    if (status !== 'running') break;
    const fraction = optimiser.iterations / maxIter;
    if (fraction - reported >= 0.01 && fraction < 1) {
      reported = fraction;
      report(onProgress, fraction);
    }
    if (performance.now() - lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  throwIfAborted(signal);
  report(onProgress, 1);
  return { x: Float64Array.from(optimiser.point), iterations: optimiser.iterations, converged };
}
