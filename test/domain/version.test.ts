import { describe, expect, it } from 'vitest';
import { nextVersion, versionChange, type VersionBasis } from '../../src/domain/version.js';

const at = new Date('2026-11-23T07:00:00Z');
const basis = (over: Partial<VersionBasis> = {}): VersionBasis => ({
  trainer: { type: 'gbdt', params: { numTrees: 100, maxDepth: 6 } },
  features: [{ name: 'x', type: 'number' }],
  datasetHash: 'a',
  ...over,
});

describe('version numbers say what changed', () => {
  it('numbers the first version 1.0.0 and keeps the timestamp suffix', () => {
    expect(nextVersion(null, at)).toBe('1.0.0-20261123070000');
  });

  it('bumps major for another trainer or other features, minor for a retrain, patch for new params on the same data', () => {
    expect(nextVersion('1.3.2-20261101000000', at, 'major')).toBe('2.0.0-20261123070000');
    expect(nextVersion('1.3.2-20261101000000', at, 'minor')).toBe('1.4.0-20261123070000');
    expect(nextVersion('1.3.2-20261101000000', at, 'patch')).toBe('1.3.3-20261123070000');
    expect(nextVersion('1.3.2-20261101000000', at)).toBe('1.4.0-20261123070000');
  });

  it('tells the change from the previous version', () => {
    expect(versionChange(null, basis())).toEqual({ change: 'major', reason: 'first version' });
    expect(versionChange(basis(), basis({ trainer: { type: 'logistic', params: {} } }))).toEqual({ change: 'major', reason: 'trainer changed from gbdt to logistic' });
    expect(versionChange(basis(), basis({ features: [{ name: 'x', type: 'category' }] })).change).toBe('major');
    expect(versionChange(basis(), basis({ datasetHash: 'b' }))).toEqual({ change: 'minor', reason: 'retrained' });
    expect(versionChange(basis(), basis({ datasetHash: 'b', trainer: { type: 'gbdt', params: { numTrees: 200, maxDepth: 6 } } })).change).toBe('minor');
    // Same rows, same trainer, other params (key order does not matter): a patch.
    expect(versionChange(basis(), basis({ trainer: { type: 'gbdt', params: { maxDepth: 4, numTrees: 100 } } }))).toEqual({ change: 'patch', reason: 'same data and trainer, new parameters' });
    expect(versionChange(basis(), basis({ trainer: { type: 'gbdt', params: { maxDepth: 6, numTrees: 100 } } })).change).toBe('minor');
  });
});
