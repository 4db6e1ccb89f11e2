import { describe, expect, it } from 'vitest';
import { validateFeatureRow, validateLabel } from '../../src/data/validate-row.js';
import type { FeatureSpec } from '../../src/domain/entities.js';

const features: FeatureSpec[] = [
  { name: 'age', type: 'number' },
  { name: 'plan', type: 'category' },
  { name: 'remote', type: 'boolean' },
  { name: 'title', type: 'text' },
];

describe('validateFeatureRow', () => {
  it('accepts a good row and fills absent features with null', () => {
    expect(validateFeatureRow(features, { age: 3, plan: 'pro' }, '/f')).toEqual({
      row: { age: 3, plan: 'pro', remote: null, title: null },
      problems: [],
    });
  });

  it('names every bad value and unknown key by path', () => {
    const { problems } = validateFeatureRow(features, { age: 'x', plan: {}, remote: 'yes', title: 5, agee: 1 }, '/items/0/features');
    expect(problems.map((p) => p.path).sort()).toEqual([
      '/items/0/features/age',
      '/items/0/features/agee',
      '/items/0/features/plan',
      '/items/0/features/remote',
      '/items/0/features/title',
    ]);
    expect(problems.find((p) => p.path.endsWith('/age'))?.message).toMatch(/finite number.*"x"/);
  });

  it('refuses a row that is not an object', () => {
    expect(validateFeatureRow(features, [1], '/f').problems).toEqual([{ path: '/f', message: expect.stringMatching(/must be an object/) }]);
  });
});

describe('validateLabel', () => {
  it('maps binary labels to 0/1 and refuses anything else', () => {
    expect(validateLabel('binary', null, true, '/l').label).toBe(1);
    expect(validateLabel('binary', null, 0, '/l').label).toBe(0);
    expect(validateLabel('binary', null, 'yes', '/l').problem?.message).toMatch(/binary label must be 0, 1, true or false/);
  });

  it('checks multiclass labels against listed classes and regression labels for finiteness', () => {
    expect(validateLabel('multiclass', ['a', 'b'], 'c', '/l').problem?.message).toMatch(/unknown class 'c'/);
    expect(validateLabel('multiclass', null, 'c', '/l').label).toBe('c');
    expect(validateLabel('regression', null, '3', '/l').problem?.message).toMatch(/finite number/);
    expect(validateLabel('regression', null, 2.5, '/l').label).toBe(2.5);
  });
});
