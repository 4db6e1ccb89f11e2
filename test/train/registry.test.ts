import { describe, expect, it } from 'vitest';
import { buildDataset, type LabelledRow } from '../../src/data/build-dataset.js';
import type { Dataset } from '../../src/data/dataset.js';
import type { FeatureRow, FeatureSpec } from '../../src/domain/entities.js';
import { RefitError } from '../../src/errors.js';
import { getTrainer, loadPredictor, requireTrainer, trainerNames } from '../../src/train/registry.js';

const features: FeatureSpec[] = [
  { name: 'n', type: 'number' },
  { name: 'flag', type: 'boolean' },
  { name: 'colour', type: 'category' },
  { name: 'note', type: 'text' },
];

function mixedRows(label: (i: number) => number | string): LabelledRow[] {
  const colours = ['red', 'green', 'blue', null];
  const notes = ['quick brown fox', 'lazy dog', 'über naïve café', null, ''];
  return Array.from({ length: 60 }, (_, i) => ({
    id: i,
    features: {
      n: i % 7 === 0 ? null : Math.sin(i) * 10,
      flag: i % 5 === 0 ? null : i % 2 === 0,
      colour: colours[i % 4],
      note: notes[i % 5],
    },
    label: label(i),
  }));
}

const cases: [string, Dataset][] = [
  ['logistic', buildDataset('binary', features, mixedRows((i) => (Math.sin(i) > 0 ? 1 : 0)))],
  ['logistic', buildDataset('multiclass', features, mixedRows((i) => ['a', 'b', 'c'][i % 3]))],
  ['ridge', buildDataset('regression', features, mixedRows((i) => Math.sin(i) * 3 + (i % 4)))],
];

const newRows: FeatureRow[] = [
  { n: 1.5, flag: true, colour: 'green', note: 'Quick fox' },
  { n: null, flag: null, colour: 'violet', note: 'never seen words' },
  {},
];

describe('trainer registry', () => {
  it('lists and finds the linear trainers', () => {
    expect(trainerNames()).toEqual(expect.arrayContaining(['logistic', 'ridge']));
    expect(getTrainer('logistic')?.tasks).toEqual(['binary', 'multiclass']);
    expect(getTrainer('ridge')?.tasks).toEqual(['regression']);
    expect(getTrainer('nope')).toBeUndefined();
    expect(() => requireTrainer('nope')).toThrow(RefitError);
  });

  it('refuses to load an unknown kind or a foreign artifact', async () => {
    expect(() => loadPredictor('nope', new Uint8Array())).toThrow(/unknown trainer/);
    expect(() => loadPredictor('ridge', new TextEncoder().encode('{"format":1}'))).toThrow(/ridge/);
    const trainer = getTrainer('logistic')!;
    const model = await trainer.fit(cases[0][1], trainer.paramsSchema.parse({}), { seed: 1 });
    expect(() => loadPredictor('ridge', model.serialize())).toThrow(/logistic model, not ridge/);
  });

  it.each(cases)('%s: serialise → load gives bit-identical predictions', async (name, ds) => {
    const trainer = getTrainer(name)!;
    const model = await trainer.fit(ds, trainer.paramsSchema.parse({ hashBits: 10 }), { seed: 1 });
    const bytes = model.serialize();
    const loaded = loadPredictor(name, bytes);
    expect(loaded.kind).toBe(name);
    expect(loaded.outputsPerRow).toBe(model.outputsPerRow);
    expect(loaded.classes).toEqual(model.classes);
    expect(Array.from(loaded.predictRows(newRows))).toEqual(Array.from(model.predictRows(newRows)));
    expect(Array.from(loaded.predictMatrix(ds.x))).toEqual(Array.from(model.predictMatrix(ds.x)));
    expect(Array.from(loaded.serialize())).toEqual(Array.from(bytes));
    for (const v of model.predictRows(newRows)) expect(Number.isFinite(v)).toBe(true);
  });
});
