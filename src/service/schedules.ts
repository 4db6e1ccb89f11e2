import { zodProblems } from '../config/model-spec.js';
import type { RetrainJob, ScheduleConfig } from '../domain/entities.js';
import { timeOrderedId } from '../domain/ids.js';
import { RefitError } from '../errors.js';
import { parseSchedule } from '../retrain/schedule.js';
import { requireModel } from '../store/require-model.js';
import type { RefitParts } from './parts.js';
import { z } from 'zod';

/** A schedule's own minimum of usable labels: absent or null means the spec's. */
const minSamplesSchema = z.number().int().min(3).max(100_000_000).nullish();
import { scheduleInputSchema } from '../contract/requests.js';

/** A schedule as the API lists it. */
export interface ScheduleView {
  readonly id: string;
  readonly modelId: string;
  /** `retrain` starts retrains; `check` runs the monitor's trigger checks. */
  readonly kind: 'retrain' | 'check';
  /** True for the schedules in the model's spec (changed through its retrain config). */
  readonly default: boolean;
  readonly config: ScheduleConfig;
  readonly description: string;
  readonly effectiveTimezone: string;
  readonly lastRunAt: string | null;
  readonly lastJobId: string | null;
  readonly lastJobStatus: RetrainJob['status'] | null;
  readonly nextRunAt: string | null;
}

/** Every schedule (each model's own and the extra ones) with its last and next run. */
export async function listSchedules(p: RefitParts, modelId?: string): Promise<ScheduleView[]> {
  if (modelId !== undefined) await requireModel(p.store, modelId);
  const entries = await p.scheduler.entries(modelId);
  const states = await p.store.getScheduleStates(entries.map((e) => e.id));
  const views: ScheduleView[] = [];
  for (const e of entries) {
    const state = states.get(e.id);
    const lastJob = state?.lastJobId ? await p.store.getJob(state.lastJobId) : null;
    views.push({
      id: e.id,
      modelId: e.modelId,
      kind: e.kind,
      default: e.isDefault,
      config: e.config,
      description: e.schedule.description,
      effectiveTimezone: e.schedule.timezone,
      lastRunAt: state?.lastRunAt?.toISOString() ?? null,
      lastJobId: state?.lastJobId ?? null,
      lastJobStatus: lastJob?.status ?? null,
      nextRunAt: p.scheduler.nextRun(e)?.toISOString() ?? null,
    });
  }
  return views;
}

/** Add a schedule to a model: `{modelId, schedule, timezone?, enabled?, catchUp?}`; refused whole with every problem named. */
export async function createSchedule(p: RefitParts, input: unknown): Promise<ScheduleView> {
  const raw = input ?? {};
  const r = scheduleInputSchema.safeParse(raw);
  const problems = r.success ? [] : zodProblems(r.error);
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new RefitError('VALIDATION_FAILED', 'The schedule is invalid.', { errors: problems });
  // The schedule fields are checked by parseSchedule, after the model id and kind.
  const { modelId, kind: _kind, minSamples, ...rest } = raw as Record<string, unknown>;
  const parsed = parseSchedule(rest, 'UTC');
  if (!parsed.ok) problems.push(...parsed.problems);
  const ownMinimum = minSamplesSchema.safeParse(minSamples);
  if (!ownMinimum.success) problems.push({ path: '/minSamples', message: 'must be a whole number from 3 to 100,000,000, or null (the spec\'s minSamples)' });
  if (problems.length > 0 || !parsed.ok) throw new RefitError('VALIDATION_FAILED', 'The schedule is invalid.', { errors: problems });
  const id = modelId as string;
  await requireModel(p.store, id);
  const config: ScheduleConfig = {
    schedule: parsed.schedule.source,
    timezone: typeof rest.timezone === 'string' ? parsed.schedule.timezone : null,
    enabled: parsed.schedule.enabled,
    catchUp: parsed.schedule.catchUp,
    ...(ownMinimum.success && typeof ownMinimum.data === 'number' ? { minSamples: ownMinimum.data } : {}),
  };
  const scheduleId = timeOrderedId();
  await p.store.createSchedule({ id: scheduleId, modelId: id, config, createdAt: p.clock.now() });
  await p.scheduler.refresh();
  const view = (await listSchedules(p, id)).find((v) => v.id === scheduleId);
  if (!view) throw new Error('the new schedule vanished');
  return view;
}

/** Remove an extra schedule; a model's own schedule is switched off through its retrain config instead. */
export async function deleteSchedule(p: RefitParts, id: string): Promise<void> {
  if (id.endsWith('/default') || id.endsWith('/checks')) {
    throw new RefitError('SCHEDULE_IS_DEFAULT', `'${id}' is the model's own schedule; switch it off in the model's retrain configuration ("enabled": false).`);
  }
  if (!(await p.store.deleteSchedule(id))) throw new RefitError('SCHEDULE_NOT_FOUND', `Schedule '${id}' does not exist.`);
  await p.scheduler.refresh();
}
