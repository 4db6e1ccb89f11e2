import type { Predictor } from '../trainer.js';
import { decodeEnvelope, type ExternalModelMeta } from './envelope.js';
import { loadOnnx } from './onnx.js';
import { loadXgboostJson } from './xgboost-json.js';

/** Load a model file of `meta.format` (xgboost-json or onnx) for a model of `meta`'s task and features. */
export function loadModelFile(model: Uint8Array, meta: ExternalModelMeta): Predictor {
  return meta.format === 'onnx' ? loadOnnx(model, meta) : loadXgboostJson(model, meta);
}

/** Load an external model artifact (see envelope.ts). */
export function loadExternal(bytes: Uint8Array): Predictor {
  const { meta, model } = decodeEnvelope(bytes);
  return loadModelFile(model, meta);
}
