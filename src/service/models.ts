import { appendEvent, commitWithEvents } from '../events/outbox.js';
import { parseModelSpec } from '../config/model-spec.js';
import type { Activation, Model, ModelSpec, ModelVersion } from '../domain/entities.js';
import { RefitError } from '../errors.js';
import { requireModel } from '../store/require-model.js';
import type { RefitParts } from './parts.js';

/** The answer to a model id that is taken (the store reports it as a value). */
function modelExists(id: string): RefitError {
  return new RefitError('MODEL_EXISTS', `A model with id '${id}' already exists.`);
}

/** Create a model from a spec in input form; refused whole with every problem named. */
export async function createModel(p: RefitParts, input: unknown): Promise<Model> {
  const spec = parseModelSpec(input, '', { commands: p.commands });
  const model = await commitWithEvents(p.store, p.hub, async (tx) => {
    const created = await tx.createModel(spec, p.clock.now());
    if (!created.ok) throw modelExists(spec.id);
    await appendEvent(tx, { type: 'model.created', modelId: spec.id, at: p.clock.now(), body: { previousVersion: null, newVersion: null, metrics: null } });
    return created.model;
  });
  // Its schedules exist from now: wake the scheduler for them instead of at its next routine look.
  await p.scheduler.refresh();
  return model;
}

/** Create the model, or update its spec when it exists (config files at start-up). */
export async function upsertModel(p: RefitParts, spec: ModelSpec): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await p.store.getModel(spec.id);
  if (!existing) {
    if (!(await p.store.createModel(spec, p.clock.now())).ok) throw modelExists(spec.id);
    p.serving.invalidate(spec.id);
    await p.scheduler.refresh();
    return 'created';
  }
  if (JSON.stringify(existing.spec) === JSON.stringify(spec)) return 'unchanged';
  if (existing.spec.task !== spec.task) {
    throw new RefitError('VALIDATION_FAILED', `Model '${spec.id}' exists with task '${existing.spec.task}'; a spec cannot change it to '${spec.task}'.`, {
      errors: [{ path: '/task', message: `cannot change from '${existing.spec.task}'` }],
    });
  }
  await p.store.updateModelSpec(spec.id, spec, p.clock.now());
  p.serving.invalidate(spec.id);
  await p.scheduler.refresh();
  return 'updated';
}

/** Every model. */
export async function listModels(p: RefitParts): Promise<Model[]> {
  return p.store.listModels();
}

/** A model, or MODEL_NOT_FOUND. */
export async function getModel(p: RefitParts, id: string): Promise<Model> {
  return requireModel(p.store, id);
}

/** A model's versions, newest first; MODEL_NOT_FOUND when it does not exist. */
export async function listVersions(p: RefitParts, modelId: string): Promise<ModelVersion[]> {
  await requireModel(p.store, modelId);
  return p.store.listVersions(modelId);
}

/** A model's activations (promotions and rollbacks), newest first; MODEL_NOT_FOUND when it does not exist. */
export async function listActivations(p: RefitParts, modelId: string): Promise<Activation[]> {
  await requireModel(p.store, modelId);
  return p.store.listActivations(modelId);
}
