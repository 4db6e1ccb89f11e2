import type { RetrainJob } from '../domain/entities.js';
import { RefitError } from '../errors.js';
import { requireModel } from '../store/require-model.js';
import { decodeEnvelope, EXTERNAL_FORMATS, externalFeatureProblem, type ExternalFormat } from '../train/formats/envelope.js';
import { exportXgboostJson, xgboostExportProblem } from '../train/formats/xgboost-export.js';
import { GbdtPredictor } from '../train/gbdt/gbdt-predictor.js';
import type { RefitParts } from './parts.js';

/** The format named by `?format=`, or VALIDATION_FAILED naming the field. */
export function requireFormat(format: unknown): ExternalFormat {
  if (typeof format === 'string' && (EXTERNAL_FORMATS as readonly string[]).includes(format)) return format as ExternalFormat;
  throw new RefitError('VALIDATION_FAILED', 'Unknown model file format.', {
    errors: [{ path: '/query/format', message: `must be one of ${EXTERNAL_FORMATS.join(', ')}` }],
  });
}

/**
 * Import a model file trained anywhere: it is stored, then a job evaluates it on the test rows
 * against the champion and rolls it out by the model's policy, exactly like a retrain. The file
 * itself is checked there (it may be large); here only what needs no parsing.
 */
export async function importVersion(p: RefitParts, modelId: string, format: unknown, bytes: Uint8Array): Promise<RetrainJob> {
  const model = await requireModel(p.store, modelId);
  const fmt = requireFormat(format);
  const problems = [];
  if (bytes.byteLength === 0) problems.push({ path: '/body', message: 'the model file is empty' });
  const featureProblem = externalFeatureProblem(model.spec.features);
  if (featureProblem) problems.push({ path: '/features', message: featureProblem });
  if (problems.length > 0) throw new RefitError('VALIDATION_FAILED', 'The model file cannot be imported.', { errors: problems });
  const sha256 = await p.store.artifacts.put(bytes);
  return (await p.queue.enqueue(modelId, { trigger: 'import', force: true, importSource: { format: fmt, sha256 } })).job;
}

/** A job's log (the output of its command trainer); JOB_NOT_FOUND for an unknown job. */
export async function jobLog(p: RefitParts, jobId: string): Promise<{ job: RetrainJob; log: string }> {
  const job = await p.store.getJob(jobId);
  if (!job) throw new RefitError('JOB_NOT_FOUND', `Retrain job '${jobId}' does not exist.`);
  return { job, log: await p.store.getJobLog(jobId) };
}

/**
 * A version's model as an XGBoost JSON file: Refit's own gbdt models converted, imported or
 * command-trained XGBoost models handed back as they came. EXPORT_UNSUPPORTED otherwise.
 */
export async function exportVersion(p: RefitParts, modelId: string, version: string, format: unknown): Promise<Uint8Array> {
  await requireModel(p.store, modelId);
  if (format !== 'xgboost-json') {
    throw new RefitError('VALIDATION_FAILED', 'Unknown export format.', { errors: [{ path: '/query/format', message: 'must be xgboost-json' }] });
  }
  const v = await p.store.getVersion(modelId, version);
  if (!v) throw new RefitError('VERSION_NOT_FOUND', `Model '${modelId}' has no version '${version}'.`);
  const predictor = await p.predictors.load(modelId, version);
  if (predictor instanceof GbdtPredictor) {
    const problem = xgboostExportProblem(predictor);
    if (problem) throw new RefitError('EXPORT_UNSUPPORTED', `${modelId}@${version} cannot be exported as XGBoost JSON: ${problem}.`);
    return exportXgboostJson(predictor);
  }
  if (predictor.kind === 'xgboost-json') {
    const bytes = await p.store.getArtifact(v.artifactSha256);
    if (bytes) return decodeEnvelope(bytes).model;
  }
  throw new RefitError('EXPORT_UNSUPPORTED', `${modelId}@${version} was made by '${v.trainer.type}'; only gbdt and XGBoost models export as XGBoost JSON.`);
}
