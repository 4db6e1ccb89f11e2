/**
 * How training and scoring share the CPU. A process that serves scores (`refit serve`, training
 * in process) leaves one core to its event loop, which answers score requests, and lets training
 * use the others: at most max(1, cores − 1) threads per fit. A process that only trains (`refit
 * worker`) lets a fit use every core. The `trainingThreads` setting (REFIT_TRAINING_THREADS)
 * overrides both. The cap lowers a trainer's `threads` param for the fit only (the gbdt trainer's
 * default is 2, and it uses one thread anyway below 200,000 feature cells); the params recorded
 * with the version stay the spec's, and the model does not depend on the thread count.
 *
 * On a two-core machine that serves, training therefore runs on one thread: a retrain takes
 * longer on big data, and scoring keeps a core whatever a retrain does.
 */
import { availableParallelism } from 'node:os';

/** The training-thread setting: a number of threads, or `auto` (derived from the cores and the process's role). */
export type TrainingThreadsSetting = number | 'auto';

/** Most threads one fit may use in a process of this role (`serve`: it also scores; `worker`: it only trains). */
export function resolveTrainingThreads(setting: TrainingThreadsSetting, role: 'serve' | 'worker', cores: number = availableParallelism()): number {
  if (setting !== 'auto') return Math.max(1, Math.floor(setting));
  return role === 'serve' ? Math.max(1, cores - 1) : Math.max(1, cores);
}
