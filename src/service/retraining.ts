import { parseModelSpec, zodProblems } from '../config/model-spec.js';
import type { RetrainConfigWire } from '../contract/index.js';
import { toRetrainPolicyWire } from '../contract/mappers.js';
import type { ModelSpec, RetrainJob } from '../domain/entities.js';
import type { FieldProblem } from '../errors.js';
import { RefitError } from '../errors.js';
import type { EnqueueOptions } from '../retrain/runner.js';
import { nextRunAfter } from '../retrain/schedule.js';
import { defaultScheduleId, specScheduleConfig } from '../retrain/scheduler.js';
import { requireModel } from '../store/require-model.js';
import type { Page } from '../store/store.js';
import type { RefitParts } from './parts.js';
import { retrainConfigInputSchema } from '../contract/requests.js';

/** The retrain status of a model. */
export interface RetrainStatus {
  readonly modelId: string;
  readonly status: 'idle' | RetrainJob['status'];
  readonly stage: string | null;
  readonly progress: number | null;
  readonly activeVersion: string | null;
  /** The pending or running job, if any. */
  readonly currentJob: RetrainJob | null;
  /** The most recent job that ended. */
  readonly lastJob: RetrainJob | null;
  readonly newLabels: number;
  readonly minNewLabels: number;
  /** The next run of the model's own schedule (ISO-8601), null when disabled. */
  readonly nextRunAt: string | null;
}

/** Ask for a retrain; 409 RETRAIN_IN_PROGRESS (with the job id) unless `join`. */
export async function retrain(p: RefitParts, modelId: string, options: EnqueueOptions = {}): Promise<{ job: RetrainJob; joined: boolean }> {
  await requireModel(p.store, modelId);
  return p.queue.enqueue(modelId, options);
}

/** Where a model's retraining stands: the current and last job, new labels, the next scheduled run. */
export async function status(p: RefitParts, modelId: string): Promise<RetrainStatus> {
  const model = await requireModel(p.store, modelId);
  const current = await p.store.findActiveJob(modelId);
  const recent = await p.store.listJobs(modelId, { limit: 5, offset: 0 });
  const last = recent.items.find((j) => j.status !== 'pending' && j.status !== 'running') ?? null;
  const newLabels = await p.store.countLabelsAfter(modelId, await p.store.getTrainedThrough(modelId));
  return {
    modelId,
    status: current ? current.status : (last?.status ?? 'idle'),
    stage: current?.stage ?? null,
    progress: current?.progress ?? null,
    activeVersion: model.activeVersion,
    currentJob: current,
    lastJob: last,
    newLabels,
    minNewLabels: model.spec.retrain.minNewLabels,
    nextRunAt: nextRunAfter(p.scheduler.resolve(specScheduleConfig(model)), p.clock.now())?.toISOString() ?? null,
  };
}

/** A model's retrain jobs, newest first, paged. */
export async function history(p: RefitParts, modelId: string, page: { limit: number; offset: number }): Promise<Page<RetrainJob>> {
  await requireModel(p.store, modelId);
  return p.store.listJobs(modelId, page);
}

/** The retrain configuration of a model, in the form `PUT …/retrain/config` accepts. */
export async function getRetrainConfig(p: RefitParts, modelId: string): Promise<RetrainConfigWire> {
  const model = await requireModel(p.store, modelId);
  const schedule = p.scheduler.resolve(specScheduleConfig(model));
  const next = nextRunAfter(schedule, p.clock.now());
  return {
    ...retrainConfigOf(model.spec),
    scheduleDescription: schedule.description,
    effectiveTimezone: schedule.timezone,
    nextRunAt: next ? next.toISOString() : null,
  };
}

/**
 * Change the retrain configuration; the whole new spec is validated before anything is saved, and
 * every problem (unknown fields, bad values, schedule and zone) is named in one answer.
 */
export async function putRetrainConfig(p: RefitParts, modelId: string, input: unknown): Promise<RetrainConfigWire> {
  const { spec } = await requireModel(p.store, modelId);
  const r = retrainConfigInputSchema.safeParse(input);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new RefitError('VALIDATION_FAILED', 'The retrain configuration is invalid.', { errors: r.success ? [{ path: '/', message: 'must be an object' }] : zodProblems(r.error) });
  }
  // Every field goes on to the spec check, valid here or not, so that one answer names every problem.
  const requestProblems = r.success ? [] : zodProblems(r.error);
  const c = input as Record<string, unknown>;
  const has = (k: string) => c[k] !== undefined;
  const current = retrainConfigOf(spec);
  const g = isObject(c.gates) ? c.gates : {};
  let next: ModelSpec | null = null;
  let specProblems: FieldProblem[] = [];
  try {
    next = parseModelSpec({
      id: spec.id,
      task: spec.task,
      features: spec.features,
      trainer: has('trainer') ? c.trainer : { type: spec.trainer.type, params: spec.trainer.params },
      ...(spec.scoreRange ? { scoreRange: spec.scoreRange } : {}),
      defaultScore: spec.defaultScore,
      ...(spec.classes ? { classes: spec.classes } : {}),
      description: spec.description,
      retrain: {
        schedule: has('schedule') ? c.schedule : spec.retrain.schedule,
        ...('timezone' in c ? (c.timezone === null ? {} : { timezone: c.timezone }) : spec.retrain.timezone ? { timezone: spec.retrain.timezone } : {}),
        enabled: has('enabled') ? c.enabled : spec.retrain.enabled,
        catchUp: has('catchUp') ? c.catchUp : spec.retrain.catchUp,
        minNewLabels: has('minNewLabels') ? c.minNewLabels : spec.retrain.minNewLabels,
        minSamples: has('minSamples') ? c.minSamples : spec.retrain.minSamples,
        window: has('window') ? c.window : current.window,
        autoPromote: has('autoPromote') ? c.autoPromote : spec.retrain.autoPromote,
        // Guards are replaced whole (so `{}` turns them off); the significance settings merge.
        gates: has('gates') && !isObject(c.gates) ? c.gates : { ...spec.retrain.gates, ...g, significance: mergeOneLevel(spec.retrain.gates.significance, isObject(g.significance) ? g.significance : undefined) },
        labels: has('labels') && !isObject(c.labels) ? c.labels : { ...spec.retrain.labels, ...(isObject(c.labels) ? c.labels : {}) },
        smokeTest: has('smokeTest') && !isObject(c.smokeTest) ? c.smokeTest : { ...spec.retrain.smokeTest, ...(isObject(c.smokeTest) ? c.smokeTest : {}) },
        seed: has('seed') ? c.seed : spec.retrain.seed,
        timeoutMinutes: has('timeoutMinutes') ? c.timeoutMinutes : spec.retrain.timeoutMinutes,
        retry: has('retry') && !isObject(c.retry) ? c.retry : { ...spec.retrain.retry, ...(isObject(c.retry) ? c.retry : {}) },
        triggers: has('triggers') && !isObject(c.triggers) ? c.triggers : mergeOneLevel(spec.retrain.triggers, isObject(c.triggers) ? c.triggers : undefined),
        rollout: has('rollout') && !isObject(c.rollout) ? c.rollout : mergeOneLevel(spec.retrain.rollout, isObject(c.rollout) ? c.rollout : undefined),
      },
    }, '', { commands: p.commands });
  } catch (err) {
    if (!(err instanceof RefitError)) throw err;
    // Name fields as this request wrote them (`/schedule/at`), not as the spec nests them.
    specProblems = err.errors.map((e) => ({ ...e, path: e.path.replace(/^\/retrain(?=\/)/, '') }));
  }
  const problems = uniqueByPath([...requestProblems, ...specProblems]);
  if (problems.length > 0 || !next) throw new RefitError('VALIDATION_FAILED', 'The retrain configuration is invalid.', { errors: problems });
  const saved = next;
  await p.store.transaction(async (tx) => {
    await tx.updateModelSpec(modelId, saved, p.clock.now());
    // A schedule switched back on, or changed, starts afresh: occurrences from before the change
    // (or from while it was off) never run. The claim is a floor, not a run (lastRunAt stays).
    if (saved.retrain.enabled && scheduleChanged(spec, saved)) await tx.claimOccurrence(defaultScheduleId(modelId), p.clock.now());
  });
  p.serving.invalidate(modelId);
  await p.scheduler.refresh();
  return getRetrainConfig(p, modelId);
}

/** Whether the model's own schedule changed: switched on, or another pattern, zone or catch-up policy. */
function scheduleChanged(before: ModelSpec, after: ModelSpec): boolean {
  const a = before.retrain;
  const b = after.retrain;
  return !a.enabled || JSON.stringify(a.schedule) !== JSON.stringify(b.schedule) || a.timezone !== b.timezone || a.catchUp !== b.catchUp;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One problem per path (the request's own wording first): a field refused by both checks is named once. */
function uniqueByPath(problems: readonly FieldProblem[]): FieldProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => (seen.has(p.path) ? false : (seen.add(p.path), true)));
}

/** A retrain job, or JOB_NOT_FOUND. */
export async function getJob(p: RefitParts, jobId: string): Promise<RetrainJob> {
  const j = await p.store.getJob(jobId);
  if (!j) throw new RefitError('JOB_NOT_FOUND', `Retrain job '${jobId}' does not exist.`);
  return j;
}

/** Cancel a pending or running job; JOB_NOT_FOUND when there is none with this id. */
export async function cancelJob(p: RefitParts, jobId: string): Promise<RetrainJob> {
  await getJob(p, jobId);
  return p.queue.cancel(jobId);
}

/** Settings with a partial update applied one level deep (per trigger, or per rollout threshold group). */
function mergeOneLevel(current: object, update: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!update) return { ...current };
  const out: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(update)) {
    const base = (current as unknown as Record<string, unknown>)[k];
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && base !== null && typeof base === 'object' ? { ...base, ...v } : v;
  }
  return out;
}

function retrainConfigOf(spec: ModelSpec): Omit<RetrainConfigWire, 'scheduleDescription' | 'effectiveTimezone' | 'nextRunAt'> {
  return { ...toRetrainPolicyWire(spec.retrain), trainer: spec.trainer };
}
