/**
 * The only source of time for the scheduler, triggers, windows and timestamps; tests pass a
 * clock they move by hand instead of sleeping (graphile-worker's fake timers).
 */
export interface Clock {
  now(): Date;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved; for tests and replays. */
export class ManualClock implements Clock {
  private t: number;
  /** @param start the initial time. Default 2026-01-01T00:00:00Z. */
  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  /** Move forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.t += ms;
  }
  /** Jump to a time. */
  set(to: Date | string): void {
    this.t = new Date(to).getTime();
  }
}
