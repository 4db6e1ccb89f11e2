/**
 * The live numbers behind a rollout decision, as the rollout card shows them. The API gives a
 * decision's numbers as an open record (src/rollout/analysis.ts: `champion` and `challenger` for a
 * canary or shadow, `watched` for a watch, each an ArmNumbers); anything not shaped so is left out.
 */

/** One arm's line in the card. */
export interface ArmLine {
  /** `challenger`, `champion` or `watched`. */
  readonly arm: string;
  readonly version: string;
  readonly labels: number;
  readonly successRate: number | null;
  readonly attempts: number;
  readonly errorRate: number | null;
  readonly latencyP95Ms: number | null;
  /** True when the arm's numbers are those of its most recent outcomes or attempts only. */
  readonly sampled: boolean;
}

const ARMS = ['challenger', 'champion', 'watched'] as const;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The arms of a decision's numbers, challenger (or watched) first. */
export function armLines(numbers: Readonly<Record<string, unknown>> | null | undefined): ArmLine[] {
  const out: ArmLine[] = [];
  for (const arm of ARMS) {
    const a = numbers?.[arm];
    if (a === null || typeof a !== 'object') continue;
    const n = a as Record<string, unknown>;
    if (typeof n.version !== 'string') continue;
    out.push({
      arm,
      version: n.version,
      labels: num(n.labels) ?? 0,
      successRate: num(n.successRate),
      attempts: num(n.attempts) ?? 0,
      errorRate: num(n.errorRate),
      latencyP95Ms: num(n.latencyP95Ms),
      sampled: n.sampled === true,
    });
  }
  return out;
}

/** What the card says under the arms when any of them was read from its most recent rows only, else null. */
export function sampledNote(lines: readonly ArmLine[]): string | null {
  const sampled = lines.filter((l) => l.sampled).map((l) => l.arm);
  if (sampled.length === 0) return null;
  const fair = lines.some((l) => l.arm === 'champion') ? ' (both arms from the same recent traffic)' : '';
  return `The ${sampled.join(' and ')} numbers are those of the most recent outcomes and scores only${fair}: the rollout has more than one check reads.`;
}
