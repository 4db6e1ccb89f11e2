/**
 * The only source of time for the scheduler, timeouts, retries, triggers, windows and timestamps;
 * tests pass a clock they move by hand instead of sleeping (graphile-worker's fake timers).
 */
export interface Clock {
  now(): Date;
  /** Call `fn` once `ms` milliseconds from now; returns a function that cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
}

/** The wall clock. Its timers do not keep the process alive. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    // Node caps timers at 2^31-1 ms (~24.8 days); longer waits re-arm themselves.
    const MAX = 2_147_483_647;
    let handle: NodeJS.Timeout;
    const arm = (left: number) => {
      handle = setTimeout(() => (left > MAX ? arm(left - MAX) : fn()), Math.min(Math.max(0, left), MAX));
      handle.unref();
    };
    arm(ms);
    return () => clearTimeout(handle);
  },
};

interface ManualTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** A clock that stands still until moved; timers fire, in order, as it is advanced. For tests and replays. */
export class ManualClock implements Clock {
  private t: number;
  private timers: ManualTimer[] = [];
  private seq = 0;

  /** @param start the initial time. Default 2026-01-01T00:00:00Z. */
  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.t = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Move forward by `ms` milliseconds, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    this.set(new Date(this.t + ms));
  }

  /** Jump to a time (never backwards for timers), firing the timers that fall due on the way. */
  set(to: Date | string): void {
    const target = new Date(to).getTime();
    for (;;) {
      const due = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = target;
  }
}
