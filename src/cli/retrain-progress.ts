import type { JobWire } from '../contract/index.js';
import type { JobUpdate } from './client.js';
import type { CliIo } from './io.js';

/** Width of the training progress bar, in characters. */
const BAR_WIDTH = 30;
/** Without a terminal, a progress line is printed each time training passes another step of this many percent. */
const LINE_STEP_PCT = 25;

/**
 * Prints a retrain's stages as they pass and a progress bar while it trains: redrawn in place
 * with `\r` on a terminal, an occasional line otherwise (logs, pipes). Stages seen late (polling
 * can miss a fast one) are still printed, in order.
 */
export class RetrainProgress {
  private readonly printed: string[] = [];
  private barOpen = false;
  private lastPct = -1;

  constructor(private readonly io: CliIo) {}

  /** Take what the job reports now. */
  update(u: JobUpdate): void {
    for (const s of u.stagesDone) this.stage(s);
    if (u.stage === null) return;
    this.stage(u.stage);
    if (u.stage === 'training' && u.progress !== null) this.progress(u.progress);
  }

  /** The job ended: print stages not seen yet and end the bar's line. */
  finish(job: JobWire): void {
    for (const s of job.stages) this.stage(s.name);
    this.endBar(job.stages.some((s) => s.name === 'training'));
  }

  private stage(name: string): void {
    if (this.printed.includes(name)) return;
    // A later stage means training is over.
    this.endBar(true);
    this.printed.push(name);
    if (name === 'training' && this.io.isTTY) {
      this.barOpen = true;
      this.lastPct = -1;
      this.progress(0);
    } else {
      this.io.stdout(`  ${name}\n`);
    }
  }

  private progress(fraction: number): void {
    const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    if (this.io.isTTY) {
      if (!this.barOpen || pct === this.lastPct) return;
      this.lastPct = pct;
      this.io.stdout(`\r${barLine(pct)}`);
      return;
    }
    const step = Math.floor(pct / LINE_STEP_PCT) * LINE_STEP_PCT;
    if (step > 0 && step > this.lastPct) {
      this.lastPct = step;
      this.io.stdout(`  training ${step}%\n`);
    }
  }

  private endBar(complete: boolean): void {
    if (!this.barOpen) return;
    if (complete && this.lastPct < 100) this.io.stdout(`\r${barLine(100)}`);
    this.io.stdout('\n');
    this.barOpen = false;
  }
}

/** `  training [#########---------------------]  30%` */
function barLine(pct: number): string {
  const filled = Math.round((pct / 100) * BAR_WIDTH);
  return `  training [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(pct).padStart(3)}%`;
}
