/** Version numbering: semantic versions with a UTC timestamp suffix, e.g. `1.4.0-20261123060000`. */

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/;

/** `YYYYMMDDHHmmss` in UTC. */
export function timestampSuffix(at: Date): string {
  return at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** What changed since the previous version: `major` (trainer type, task or features), `patch` (same data and trainer, new params) or `minor` (a retrain). */
export type VersionChange = 'major' | 'minor' | 'patch';

/**
 * The next version after `previous`: the first version is `1.0.0-<ts>`; a retrain bumps the minor
 * number and resets the patch (`1.3.2-…` → `1.4.0-<ts>`), a major change bumps the major number
 * (`1.4.0-…` → `2.0.0-<ts>`), a patch the patch number (`1.4.0-…` → `1.4.1-<ts>`). Default minor.
 */
export function nextVersion(previous: string | null, at: Date, change: VersionChange = 'minor'): string {
  const ts = timestampSuffix(at);
  if (previous === null) return `1.0.0-${ts}`;
  const m = SEMVER.exec(previous);
  if (!m) return `1.0.0-${ts}`;
  if (change === 'major') return `${Number(m[1]) + 1}.0.0-${ts}`;
  if (change === 'patch') return `${m[1]}.${m[2]}.${Number(m[3]) + 1}-${ts}`;
  return `${m[1]}.${Number(m[2]) + 1}.0-${ts}`;
}

/** The parts of a version that decide what changed. */
export interface VersionBasis {
  readonly trainer: { readonly type: string; readonly params: Readonly<Record<string, unknown>> };
  readonly features: readonly { readonly name: string; readonly type: string }[];
  readonly datasetHash: string;
}

/** Stable JSON (keys sorted) for comparing params. */
function stable(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
    .join(',')}}`;
}

/** What changed from `previous` to `next`, with the reason in words; a first version is `major`. */
export function versionChange(previous: VersionBasis | null, next: VersionBasis): { change: VersionChange; reason: string } {
  if (!previous) return { change: 'major', reason: 'first version' };
  if (previous.trainer.type !== next.trainer.type) return { change: 'major', reason: `trainer changed from ${previous.trainer.type} to ${next.trainer.type}` };
  const features = (f: VersionBasis['features']) => f.map((x) => `${x.name}:${x.type}`).join(',');
  if (features(previous.features) !== features(next.features)) return { change: 'major', reason: 'the features changed' };
  const sameParams = stable(previous.trainer.params) === stable(next.trainer.params);
  if (previous.datasetHash === next.datasetHash && !sameParams) return { change: 'patch', reason: 'same data and trainer, new parameters' };
  return { change: 'minor', reason: sameParams ? 'retrained' : 'retrained with new parameters' };
}
