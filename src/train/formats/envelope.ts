import type { FeatureSpec, Task } from '../../domain/entities.js';
import { UnrecoverableError } from '../../errors.js';

/** The model file formats Refit loads from elsewhere. */
export const EXTERNAL_FORMATS = ['xgboost-json', 'onnx'] as const;

/** A model file format Refit loads from elsewhere. */
export type ExternalFormat = (typeof EXTERNAL_FORMATS)[number];

/** What a model file alone does not say: the model's task, features (in input order) and classes. */
export interface ExternalModelMeta {
  readonly format: ExternalFormat;
  readonly task: Task;
  readonly features: readonly FeatureSpec[];
  /** ['0','1'] for binary, class names in output order for multiclass, [] for regression. */
  readonly classes: readonly string[];
}

const MAGIC = [0x52, 0x46, 0x58, 0x54]; // 'RFXT'

/**
 * An external model as an artifact: 'RFXT', the header length (uint32 little-endian), the JSON
 * header, then the model file unchanged, so that the original file can always be handed back.
 */
export function encodeEnvelope(meta: ExternalModelMeta, model: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ format: meta.format, task: meta.task, features: meta.features, classes: meta.classes }));
  const out = new Uint8Array(8 + header.length + model.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  out.set(model, 8 + header.length);
  return out;
}

/** Split an artifact made by `encodeEnvelope` into its header and the model file; throws on anything else. */
export function decodeEnvelope(bytes: Uint8Array): { meta: ExternalModelMeta; model: Uint8Array } {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new UnrecoverableError('not an external model artifact');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + length > bytes.length) throw new UnrecoverableError('truncated external model artifact');
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as ExternalModelMeta;
  return { meta, model: bytes.subarray(8 + length) };
}

/**
 * Why a model of these features cannot take the form's single float input (null when it can):
 * xgboost-json and onnx models read numbers and booleans (1/0) in feature order, nothing else.
 */
export function externalFeatureProblem(features: readonly FeatureSpec[]): string | null {
  const bad = features.filter((f) => f.type !== 'number' && f.type !== 'boolean');
  if (bad.length === 0) return null;
  return `models in the xgboost-json and onnx formats take number and boolean features only; ${bad.map((f) => `'${f.name}' is ${f.type}`).join(', ')}`;
}
