/**
 * The delay before retry number `attempt` (1-based): exponential from `initialMs`, capped at
 * `maxMs`, with "equal jitter" (half fixed, half from `random` in [0, 1)) so that the retries of
 * many jobs or events spread out. Shared by the job runner and the event delivery.
 */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (base / 2) * random);
}
