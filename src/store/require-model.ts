import type { Model } from '../domain/entities.js';
import { RefitError } from '../errors.js';

/** The MODEL_NOT_FOUND error for `id`: one wording wherever a model must exist. */
export function modelNotFound(id: string): RefitError {
  return new RefitError('MODEL_NOT_FOUND', `Model '${id}' does not exist.`);
}

/**
 * The model `id`, or MODEL_NOT_FOUND. Takes any reader with `getModel` (the whole store or the
 * registry role alone), so the facade, rollout and the store's own checks share it.
 */
export async function requireModel(store: { getModel(id: string): Promise<Model | null> }, id: string): Promise<Model> {
  const m = await store.getModel(id);
  if (!m) throw modelNotFound(id);
  return m;
}
