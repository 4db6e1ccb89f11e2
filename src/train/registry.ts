import { RefitError } from '../errors.js';
import { logisticTrainer } from './linear/logistic.js';
import { ridgeTrainer } from './linear/ridge.js';
import { gbdtTrainer } from './gbdt/gbdt.js';
import { commandTrainer } from './command/command-trainer.js';
import { loadExternal } from './formats/index.js';
import { loadReference } from './formats/reference.js';
import type { Predictor, Trainer } from './trainer.js';

/** A trainer whatever its parameter type (callers validate params with its `paramsSchema` first). */
// Trainer is invariant in P (fit takes P, the schema yields P), so only `any` admits them all.
export type AnyTrainer = Trainer<any>;

// One line per trainer; each trainer's `name` is its key here and the `kind` of its artifacts.
const TRAINERS: readonly AnyTrainer[] = [logisticTrainer, ridgeTrainer, gbdtTrainer, commandTrainer];

// Artifact kinds that no spec can name as a trainer: models imported in a file format.
const LOADERS = new Map<string, (bytes: Uint8Array) => Predictor>([
  ['xgboost-json', loadExternal],
  ['onnx', loadExternal],
  ['external', loadReference],
]);

const byName = new Map<string, AnyTrainer>(TRAINERS.map((t) => [t.name, t]));

/**
 * Add a trainer (a plug-in, or a test double); refuses a name that is taken, since artifacts
 * record the trainer name and must always load with the same code.
 */
export function registerTrainer(trainer: AnyTrainer): void {
  if (byName.has(trainer.name)) throw new Error(`A trainer named '${trainer.name}' is already registered.`);
  byName.set(trainer.name, trainer);
}

/** The trainer registered under `name`, or undefined. */
export function getTrainer(name: string): AnyTrainer | undefined {
  return byName.get(name);
}

/** The trainer registered under `name`; throws RefitError UNKNOWN_TRAINER otherwise. */
export function requireTrainer(name: string): AnyTrainer {
  const trainer = byName.get(name);
  if (trainer === undefined) {
    throw new RefitError('UNKNOWN_TRAINER', `unknown trainer ${JSON.stringify(name)}; known: ${trainerNames().join(', ')}`);
  }
  return trainer;
}

/** Names of all registered trainers, in registration order. */
export function trainerNames(): string[] {
  return [...byName.keys()];
}

/** Rebuild a predictor from its artifact bytes with the loader of trainer `kind`; throws on an unknown kind. */
export function loadPredictor(kind: string, bytes: Uint8Array): Predictor {
  const loader = LOADERS.get(kind);
  return loader ? loader(bytes) : requireTrainer(kind).load(bytes);
}
