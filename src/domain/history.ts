/** What a model's history and its monitor checks record (re-exported by entities.ts). */

/** One row of a model's history: what happened, to which version, who or what did it and why. */
export interface TimelineEntry {
  readonly id: number;
  readonly modelId: string;
  readonly at: Date;
  /** e.g. `promote`, `rollback`, `force-promote`, `canary.started`, `canary.step`, `canary.promoted`, `canary.aborted`, `shadow.started`, `shadow.stopped`, `watch.passed`, `retention.cleanup`, `interrupted`. */
  readonly action: string;
  readonly version: string | null;
  readonly fromVersion: string | null;
  readonly actor: string;
  readonly reason: string;
  readonly numbers: Readonly<Record<string, unknown>> | null;
}

/** One stored monitor check: what was looked at, the numbers, the decision and why. */
export interface TriggerCheck {
  readonly id: number;
  readonly modelId: string;
  readonly kind: 'performance' | 'drift' | 'rate';
  readonly checkedAt: Date;
  /** `fire` started (or asked for) a retrain; `ok` nothing wrong; `cooldown`/`waiting`/`insufficient` held back. */
  readonly decision: 'fire' | 'ok' | 'cooldown' | 'waiting' | 'insufficient' | 'disabled';
  readonly reason: string;
  readonly numbers: Readonly<Record<string, unknown>>;
  readonly jobId: string | null;
}
