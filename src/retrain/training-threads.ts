/**
 * How training and scoring share the CPU. A process that serves scores (`refit serve`, training
 * in process) leaves one core to its event loop, which answers score requests, and lets training
 * use the others: at most max(1, cores − 1) threads per fit. A process that only trains (`refit
 * worker`) lets a fit use every core. The `trainingThreads` setting (REFIT_TRAINING_THREADS)
 * overrides both. The cap lowers a trainer's `threads` param for the fit only (the gbdt trainer's
 * default is 2, and it uses one thread anyway below 20,000 feature cells); the params recorded
 * with the version stay the spec's, and the model does not depend on the thread count.
 *
 * On a two-core machine that serves, training therefore runs on one thread while the server is
 * busy: a retrain takes longer on big data, and scoring keeps a core whatever a retrain does.
 *
 * A core that scoring does not need is not kept from training, though: with `auto`, a fit in
 * `serve` that starts while the event loop has been busy less than IDLE_LOOP_SHARE of the last
 * ~3 s (LoopLoad) may use every core, as in a worker. A quiet server retrains at full speed; a
 * busy one keeps a core for its requests. Requests that arrive during such a fit share the cores
 * with it until it ends (a fit on tens of thousands of labels takes a few hundred milliseconds).
 */
import { availableParallelism } from 'node:os';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';

/** The training-thread setting: a number of threads, or `auto` (derived from the cores and the process's role). */
export type TrainingThreadsSetting = number | 'auto';

/** Most threads one fit may use in a process of this role (`serve`: it also scores; `worker`: it only trains). */
export function resolveTrainingThreads(setting: TrainingThreadsSetting, role: 'serve' | 'worker', cores: number = availableParallelism()): number {
  if (setting !== 'auto') return Math.max(1, Math.floor(setting));
  return role === 'serve' ? Math.max(1, cores - 1) : Math.max(1, cores);
}

/**
 * Share of the recent past the event loop may have been busy for a `serve` fit to take every core.
 * A loop busy under half the time needs under half a core for its requests; a fit on every core
 * of two leaves it two thirds of one (three threads sharing two cores). A quarter, as before,
 * also counted a retrain's own work on the loop (reading a window of 45,000 labels and handing it
 * over) against the next retrain.
 */
export const IDLE_LOOP_SHARE = 0.5;

/**
 * The cap on a fit's threads in `serve` with `auto`, given how busy the event loop has been of
 * late (0 to 1): every core when it has been mostly idle, else all but one.
 */
export function serveThreads(loopBusy: number, cores: number = availableParallelism()): number {
  return loopBusy < IDLE_LOOP_SHARE ? Math.max(1, cores) : Math.max(1, cores - 1);
}

/**
 * How busy this thread's event loop has been over roughly the last 3 s: a mark of Node's
 * event-loop utilisation every second, three kept; `busy()` is the utilisation since the oldest.
 * (Ten seconds kept a server that had just started, or had just taken a batch of labels, on one
 * training thread for several retrains after it went quiet.)
 */
export class LoopLoad {
  private readonly marks: EventLoopUtilization[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly elu: (a?: EventLoopUtilization, b?: EventLoopUtilization) => EventLoopUtilization = (a, b) => performance.eventLoopUtilization(a, b), everyMs = 1_000, keep = 3) {
    this.marks.push(this.elu());
    this.timer = setInterval(() => {
      this.marks.push(this.elu());
      if (this.marks.length > keep) this.marks.shift();
    }, everyMs);
    this.timer.unref();
  }

  /** Share of the time since the oldest mark the loop was busy (0 to 1). */
  busy(): number {
    return this.elu(this.elu(), this.marks[0]).utilization;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * The threads the warm-up of a `serve` process fits on (src/retrain/warm-up.ts): the most a fit
 * may get there (every core with `auto`, as a quiet server gives), not the cap of the moment,
 * which is one while the process starts: a warm-up on one thread left the two-thread code cold
 * and the histogram workers unstarted for the first retrains.
 */
export function serveWarmUpThreads(setting: TrainingThreadsSetting, cores: number = availableParallelism()): number {
  return setting === 'auto' ? serveThreads(0, cores) : resolveTrainingThreads(setting, 'serve', cores);
}

/** The cap for a fit starting now: a number as it is, a function (serveTrainingThreads) asked. */
export function threadCapNow(cap: number | (() => number) | null | undefined): number | null {
  return typeof cap === 'function' ? cap() : (cap ?? null);
}

/**
 * The training-thread cap of a `serve` process: the setting when it is a number, else (auto) one
 * decided at each fit's start from the loop's recent load (see serveThreads).
 */
export function serveTrainingThreads(setting: TrainingThreadsSetting, load: Pick<LoopLoad, 'busy'>, cores: number = availableParallelism()): number | (() => number) {
  if (setting !== 'auto') return resolveTrainingThreads(setting, 'serve', cores);
  return () => serveThreads(load.busy(), cores);
}
