/** Version numbering: semantic versions with a UTC timestamp suffix, e.g. `1.4.0-20261123060000`. */

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/;

/** `YYYYMMDDHHmmss` in UTC. */
export function timestampSuffix(at: Date): string {
  return at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * The next version after `previous`: the first version is `1.0.0-<ts>`; a retrain bumps the minor
 * number and resets the patch (`1.3.2-…` → `1.4.0-<ts>`).
 */
export function nextVersion(previous: string | null, at: Date): string {
  const ts = timestampSuffix(at);
  if (previous === null) return `1.0.0-${ts}`;
  const m = SEMVER.exec(previous);
  if (!m) return `1.0.0-${ts}`;
  return `${m[1]}.${Number(m[2]) + 1}.0-${ts}`;
}
