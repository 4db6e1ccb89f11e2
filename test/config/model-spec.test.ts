import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG, findConfigFile, loadConfigFile } from '../../src/config/config-file.js';
import { parseModelSpec, windowToInput } from '../../src/config/model-spec.js';
import { RefitError, type FieldProblem } from '../../src/errors.js';

/** The minimal spec from the issue. */
const MINIMAL = {
  id: 'churn',
  task: 'binary',
  features: [
    { name: 'age', type: 'number' },
    { name: 'plan', type: 'category' },
  ],
  trainer: { type: 'logistic' },
};

/** The problems a call refuses with (it must throw RefitError VALIDATION_FAILED). */
function problemsOf(fn: () => unknown): FieldProblem[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RefitError);
    expect((err as RefitError).code).toBe('VALIDATION_FAILED');
    return [...(err as RefitError).errors];
  }
  throw new Error('expected a validation error, but the call succeeded');
}

const specProblems = (input: unknown, prefix?: string) => problemsOf(() => parseModelSpec(input, prefix));

describe('parseModelSpec', () => {
  it('fills in every default for the minimal spec', () => {
    const spec = parseModelSpec(MINIMAL);
    expect(spec).toMatchObject({
      id: 'churn',
      task: 'binary',
      features: MINIMAL.features,
      trainer: { type: 'logistic', params: { l2: 1, maxIter: 200, tol: 1e-6, hashBits: 16 } },
      scoreRange: null,
      defaultScore: 0.5,
      classes: null,
      description: '',
    });
    expect(spec.retrain).toMatchObject({ minNewLabels: 5, autoPromote: true, seed: 42, timeoutMinutes: 30 });
    expect(spec.retrain.window).toEqual({ kind: 'all' });
    expect(spec.retrain.gates).toEqual({ minimums: {}, maxDegradation: 0.05, minImprovement: null, guards: { accuracy: 0.05 }, significance: { alpha: 0.05, resamples: 1000, require: false } });
    expect(spec.retrain.labels).toEqual({ exclude: null, duplicates: 'replace' });
    expect(spec.retrain.minSamples).toBe(10);
    expect(spec.retrain.smokeTest).toEqual({ rows: 100, maxLatencyMs: 5000 });
    expect(spec.retrain.retry).toEqual({ retries: 3, initialDelaySeconds: 30, maxDelaySeconds: 600 });
  });

  it('defaults the score to the middle of the score range, and to 0 for regression', () => {
    expect(parseModelSpec({ ...MINIMAL, scoreRange: [-1, 1] })).toMatchObject({ scoreRange: [-1, 1], defaultScore: 0 });
    expect(parseModelSpec({ ...MINIMAL, scoreRange: [0, 100] }).defaultScore).toBe(50);
    expect(parseModelSpec({ ...MINIMAL, scoreRange: [-1, 1], defaultScore: -1 }).defaultScore).toBe(-1);
    expect(parseModelSpec({ id: 'price', task: 'regression', features: [{ name: 'rooms', type: 'number' }], trainer: 'ridge' })).toMatchObject({
      defaultScore: 0,
      scoreRange: null,
      trainer: { type: 'ridge', params: { alpha: 1 } },
    });
  });

  it('accepts the trainer as a bare name and keeps explicit params', () => {
    expect(parseModelSpec({ ...MINIMAL, trainer: 'logistic' }).trainer).toEqual(parseModelSpec(MINIMAL).trainer);
    expect(parseModelSpec({ ...MINIMAL, trainer: { type: 'logistic', params: { l2: 0.1 } } }).trainer.params).toMatchObject({ l2: 0.1, maxIter: 200 });
  });

  it('keeps a partial retrain policy and fills the rest', () => {
    const spec = parseModelSpec({ ...MINIMAL, retrain: { minNewLabels: 100, window: { days: 30 }, gates: { minimums: { auc: 0.7 } } } });
    expect(spec.retrain).toMatchObject({ minNewLabels: 100, autoPromote: true, seed: 42 });
    expect(spec.retrain.window).toEqual({ kind: 'days', days: 30 });
    expect(spec.retrain.gates).toEqual({ minimums: { auc: 0.7 }, maxDegradation: 0.05, minImprovement: null, guards: { accuracy: 0.05 }, significance: { alpha: 0.05, resamples: 1000, require: false } });
    expect(parseModelSpec({ ...MINIMAL, retrain: { window: { labels: 1000 } } }).retrain.window).toEqual({ kind: 'labels', count: 1000 });
  });

  it('turns windows back into their input form', () => {
    for (const w of ['all', { days: 7 }, { labels: 500 }] as const) {
      expect(windowToInput(parseModelSpec({ ...MINIMAL, retrain: { window: w } }).retrain.window)).toEqual(w);
    }
  });

  it('keeps declared classes of a multiclass model', () => {
    const spec = parseModelSpec({ ...MINIMAL, task: 'multiclass', classes: ['a', 'b', 'c'] });
    expect(spec.classes).toEqual(['a', 'b', 'c']);
  });

  it('names the field and the reason of a bad spec', () => {
    expect(specProblems({ ...MINIMAL, features: [{ name: 'age', type: 'numeric' }] })).toEqual([{ path: '/features/0/type', message: expect.stringMatching(/number.*category.*boolean.*text/) }]);
    expect(specProblems({ ...MINIMAL, id: 'has space' })).toEqual([{ path: '/id', message: expect.stringMatching(/letters, digits/) }]);
    expect(specProblems({ ...MINIMAL, id: undefined })).toEqual([{ path: '/id', message: expect.any(String) }]);
    expect(specProblems({ ...MINIMAL, features: [] })).toEqual([{ path: '/features', message: expect.any(String) }]);
    expect(specProblems({ ...MINIMAL, trainer: 'ridge' })).toEqual([{ path: '/trainer/type', message: "trainer 'ridge' does not support task 'binary' (it supports regression)" }]);
    expect(specProblems({ ...MINIMAL, trainer: { type: 'logistic', params: { l2: -1 } } })).toEqual([{ path: '/trainer/params/l2', message: expect.any(String) }]);
    expect(specProblems({ ...MINIMAL, scoreRange: [1, 0] })).toEqual([{ path: '/scoreRange', message: expect.stringMatching(/lower bound/) }]);
    expect(specProblems({ ...MINIMAL, task: 'regression', trainer: 'ridge', scoreRange: [0, 1] })).toEqual([{ path: '/scoreRange', message: expect.stringMatching(/binary models only/) }]);
    expect(specProblems({ ...MINIMAL, classes: ['a', 'b'] })).toEqual([{ path: '/classes', message: expect.stringMatching(/multiclass models only/) }]);
    expect(specProblems({ ...MINIMAL, task: 'multiclass', classes: ['a', 'a'] })).toEqual([{ path: '/classes', message: expect.stringMatching(/distinct/) }]);
    expect(specProblems({ ...MINIMAL, defaultScore: Infinity })).toEqual([{ path: '/defaultScore', message: expect.any(String) }]);
    expect(specProblems({ ...MINIMAL, retrain: { window: { weeks: 2 } } }).map((p) => p.path)).toEqual(['/retrain/window']);
    expect(specProblems('churn')).toEqual([{ path: '/', message: expect.any(String) }]);
  });

  it('names unknown fields by their own path (a typo is not silently ignored)', () => {
    expect(specProblems({ ...MINIMAL, retrian: { minNewLabels: 1 } })).toEqual([{ path: '/retrian', message: "unknown field 'retrian'" }]);
    expect(specProblems({ ...MINIMAL, retrain: { minNewLabel: 1, autopromote: false } })).toEqual([
      { path: '/retrain/minNewLabel', message: "unknown field 'minNewLabel'" },
      { path: '/retrain/autopromote', message: "unknown field 'autopromote'" },
    ]);
    expect(specProblems({ ...MINIMAL, features: [{ name: 'age', type: 'number', nullable: true }] })).toEqual([{ path: '/features/0/nullable', message: "unknown field 'nullable'" }]);
  });

  it('names every problem at once, schema and semantic alike', () => {
    const problems = specProblems({
      id: 'bad',
      task: 'ranking',
      features: [
        { name: 'age', type: 'number' },
        { name: 'age', type: 'category' },
      ],
      trainer: { type: 'xgboost' },
    });
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: '/task', message: expect.stringMatching(/binary/) },
        { path: '/features/1/name', message: "duplicate feature name 'age'" },
        { path: '/trainer/type', message: expect.stringMatching(/^unknown trainer 'xgboost' \(known: .*logistic/) },
      ]),
    );
    // When the schema passes, the semantic problems are all named together too.
    expect(
      specProblems({
        ...MINIMAL,
        features: [
          { name: 'x', type: 'number' },
          { name: 'x', type: 'number' },
        ],
        trainer: 'nope',
        scoreRange: [2, 1],
      }).map((p) => p.path),
    ).toEqual(['/features/1/name', '/trainer/type', '/scoreRange']);
  });

  it('prefixes every path when asked (config files use /models/<i>)', () => {
    const problems = specProblems({ ...MINIMAL, task: 'sorting', features: [{ name: 'a', type: 'number' }, { name: 'a', type: 'number' }], extra: 1 }, '/models/3');
    expect(problems.map((p) => p.path).sort()).toEqual(['/models/3/extra', '/models/3/features/1/name', '/models/3/task']);
  });
});

describe('config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'refit-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const fileProblems = (path: string) => problemsOf(() => loadConfigFile(path));

  it('loads every model of a JSON file with defaults filled in', () => {
    const path = write('ok.json', JSON.stringify({ models: [MINIMAL, { id: 'price', task: 'regression', features: [{ name: 'rooms', type: 'number' }], trainer: 'ridge', retrain: { minNewLabels: 20 } }] }));
    const specs = loadConfigFile(path);
    expect(specs.map((s) => s.id)).toEqual(['churn', 'price']);
    expect(specs[0]).toEqual(parseModelSpec(MINIMAL));
    expect(specs[1].retrain).toMatchObject({ minNewLabels: 20, window: { kind: 'all' }, autoPromote: true });
  });

  it('loads the commented YAML example refit init writes', () => {
    const specs = loadConfigFile(write('refit.config.yaml', EXAMPLE_CONFIG));
    expect(specs).toHaveLength(1);
    expect(specs[0]).toMatchObject({
      id: 'churn',
      task: 'binary',
      scoreRange: [-1, 1],
      defaultScore: 0,
      trainer: { type: 'logistic', params: { l2: 1 } },
      retrain: { minNewLabels: 5, window: { kind: 'all' }, autoPromote: true, gates: { minimums: { auc: 0.6 }, maxDegradation: 0.05 }, seed: 42 },
    });
    expect(specs[0].features.map((f) => f.type)).toEqual(['number', 'category', 'boolean', 'text']);
  });

  it('names problems in a JSON file as /models/<i>/...', () => {
    const path = write(
      'bad.json',
      JSON.stringify({ models: [MINIMAL, { ...MINIMAL, id: 'second', task: 'ranking', retrain: { minNewLabels: -1 } }, { ...MINIMAL }] }, null, 2),
    );
    const problems = fileProblems(path);
    expect(problems.map((p) => p.path).sort()).toEqual(['/models/1/retrain/minNewLabels', '/models/1/task', '/models/2/id'].sort());
    expect(problems.find((p) => p.path === '/models/2/id')?.message).toBe("duplicate model id 'churn'");
  });

  it('names problems in a YAML file as /models/<i>/...', () => {
    const path = write(
      'bad.yml',
      `models:
  - id: churn
    task: binary
    features: [{ name: age, type: number }]
    trainer: logistic
  - id: broken
    task: binary
    features:
      - { name: age, type: integer }
    trainer: { type: logistic, params: { hashBits: 40 } }
`,
    );
    expect(fileProblems(path).map((p) => p.path)).toEqual(['/models/1/features/0/type']);
    const params = write('params.yaml', 'models:\n  - { id: a, task: binary, features: [{ name: x, type: number }], trainer: { type: logistic, params: { hashBits: 40 } } }\n');
    expect(fileProblems(params)).toEqual([{ path: '/models/0/trainer/params/hashBits', message: expect.any(String) }]);
  });

  it('refuses a file that does not parse, has no models list, or does not exist', () => {
    for (const [name, text, reason] of [
      ['broken.json', '{"models": [', /not valid JSON/],
      ['broken.yaml', 'models: [unclosed', /not valid YAML/],
    ] as const) {
      const path = write(name, text);
      expect(() => loadConfigFile(path)).toThrow(reason);
      expect(fileProblems(path)).toEqual([]);
    }
    expect(fileProblems(write('nomodels.json', '{"model": []}'))).toEqual([{ path: '/models', message: 'must be a list of model specs' }]);
    expect(fileProblems(write('empty.yaml', ''))).toEqual([{ path: '/models', message: 'must be a list of model specs' }]);
    expect(() => loadConfigFile(join(dir, 'missing.json'))).toThrow(/Cannot read the config file/);
  });

  it('finds the named file, else the first default present in the working directory', () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    expect(findConfigFile(null, cwd)).toBeNull();
    expect(findConfigFile('conf/models.yaml', cwd)).toBe(join(cwd, 'conf', 'models.yaml'));
    writeFileSync(join(cwd, 'refit.config.yml'), EXAMPLE_CONFIG);
    expect(findConfigFile(null, cwd)).toBe(join(cwd, 'refit.config.yml'));
    writeFileSync(join(cwd, 'refit.config.json'), '{"models": []}');
    expect(findConfigFile(null, cwd)).toBe(join(cwd, 'refit.config.json'));
  });
});
