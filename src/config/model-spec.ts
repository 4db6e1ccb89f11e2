import { z } from 'zod';
import type { ModelSpec, TrainingWindow } from '../domain/entities.js';
import { defaultGuards } from '../domain/quality.js';
import type { FieldProblem } from '../errors.js';
import { RefitError } from '../errors.js';
import { parseSchedule } from '../retrain/schedule.js';
import type { CommandTable } from '../train/command/command-spec.js';
import { externalFeatureProblem } from '../train/formats/envelope.js';
import { getTrainer, trainerNames } from '../train/registry.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A feature declaration. */
export const featureSpecSchema = z
  .object({
    name: z.string().min(1).max(128),
    type: z.enum(['number', 'category', 'boolean', 'text']),
  })
  .strict();

const windowSchema = z.union([
  z.literal('all'),
  z.literal('auto'),
  z.object({ days: z.number().positive().max(36_500) }).strict(),
  z.object({ labels: z.number().int().positive() }).strict(),
]);

/** Gates as written in a spec; every field optional. */
export const gatesSchema = z
  .object({
    /** Minimum (or, for error metrics, maximum) value per metric. Default: none. */
    minimums: z.record(z.string(), z.number().finite()).default({}),
    /** Largest allowed relative degradation of the primary metric. Default 0.05. */
    maxDegradation: z.number().min(0).max(1).default(0.05),
    /** Smallest relative improvement of the primary metric required. Default null (none). */
    minImprovement: z.number().min(0).max(10).nullable().default(null),
    /** Guard metrics and the largest relative fall each may show. Default: per task (see defaultGuards). */
    guards: z.record(z.string(), z.number().min(0).max(1)).optional(),
    /** The paired bootstrap of the primary metric. */
    significance: z
      .object({
        alpha: z.number().gt(0).max(0.5).default(0.05),
        resamples: z.number().int().min(100).max(100_000).default(1000),
        require: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const metaValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Which labels train, as written in a spec; every field optional. */
export const labelPolicySchema = z
  .object({
    /** Labels whose meta matches every key are not trained on. Default none. */
    exclude: z.record(z.string().min(1).max(128), metaValue).nullable().default(null),
    /** A second label for a score id: `replace` (default) or `refuse`. */
    duplicates: z.enum(['replace', 'refuse']).default('replace'),
  })
  .strict();

/** The smoke test before activation, as written in a spec; every field optional. */
export const smokeTestSchema = z
  .object({
    rows: z.number().int().min(1).max(10_000).default(100),
    maxLatencyMs: z.number().positive().max(600_000).default(5000),
  })
  .strict();

const hours = z.number().positive().max(24 * 366);

/** Trigger settings as written in a spec; every field optional (see the Triggers entity for defaults). */
export const triggersSchema = z
  .object({
    checkSchedule: z
      .string()
      .default('0 * * * *')
      .refine((p) => parseSchedule({ schedule: p }, 'UTC').ok, { error: (iss) => `invalid cron expression '${String(iss.input)}'` }),
    performance: z
      .object({
        enabled: z.boolean().default(true),
        maxDropPct: z.number().positive().max(100).default(10),
        maxErrorRisePct: z.number().positive().max(10_000).default(20),
        minLabels: z.number().int().min(1).default(30),
        windowHours: hours.default(24),
        cooldownHours: z.number().min(0).default(24),
      })
      .strict()
      .prefault({}),
    drift: z
      .object({
        enabled: z.boolean().default(true),
        featureShare: z.number().gt(0).max(1).default(0.5),
        windowScores: z.number().int().min(10).max(1_000_000).default(10_000),
        minScores: z.number().int().min(10).default(100),
        delayHours: z.number().min(0).default(24),
        cooldownHours: z.number().min(0).default(24),
        force: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    rate: z
      .object({
        enabled: z.boolean().default(true),
        windowHours: hours.default(24),
        lastWindows: z.number().int().min(1).max(1000).default(5),
        below: z.number().min(0).max(1).default(0.6),
        minWindows: z.number().int().min(1).default(3),
        cooldownHours: z.number().min(0).default(24),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Retry policy as written in a spec; every field optional. */
export const retrySchema = z
  .object({
    /** Default 3. */
    retries: z.number().int().min(0).max(10).default(3),
    /** Default 30. */
    initialDelaySeconds: z.number().min(0).max(86_400).default(30),
    /** Default 600. */
    maxDelaySeconds: z.number().min(0).max(86_400).default(600),
  })
  .strict();

const thresholdFields = (d: { minSuccessRate: number; maxErrorRate: number; maxLatencyP95Ms: number }) => ({
  minSuccessRate: z.number().min(0).max(1).default(d.minSuccessRate),
  maxErrorRate: z.number().min(0).max(1).default(d.maxErrorRate),
  maxLatencyP95Ms: z.number().positive().max(3_600_000).default(d.maxLatencyP95Ms),
});

/** The rollout policy as written in a spec; every field optional (see RolloutPolicy for defaults). */
export const rolloutPolicySchema = z
  .object({
    policy: z.enum(['direct', 'canary', 'shadow']).default('direct'),
    canaryShare: z.number().gt(0, 'must be above 0').lt(1, 'must be below 1 (use policy "direct" for 100%)').default(0.1),
    steps: z
      .array(z.number().gt(0, 'must be above 0').max(1, 'must be at most 1'))
      .min(1)
      .max(20)
      .refine((s) => s.every((x, i) => i === 0 || x > s[i - 1]), 'must rise step by step, e.g. [0.1, 0.25, 0.5, 1]')
      .nullable()
      .default(null),
    durationHours: z.number().positive().max(24 * 366).default(24),
    minLabels: z.number().int().min(1).max(1_000_000).default(200),
    minScores: z.number().int().min(1).max(10_000_000).default(100),
    significance: z.number().gt(0).max(0.5).default(0.05),
    thresholds: z.object(thresholdFields({ minSuccessRate: 0.8, maxErrorRate: 0.05, maxLatencyP95Ms: 100 })).strict().prefault({}),
    watchHours: z.number().min(0).max(24 * 366).default(24),
    rollback: z
      .object({ ...thresholdFields({ minSuccessRate: 0.75, maxErrorRate: 0.1, maxLatencyP95Ms: 200 }), minLabels: z.number().int().min(1).max(1_000_000).default(50) })
      .strict()
      .prefault({}),
    keepVersions: z.number().int().min(1).max(10_000).default(10),
  })
  .strict();

/** The retrain policy as written in a spec; every field optional. */
export const retrainPolicySchema = z
  .object({
    /** Cron expression or `{every, day?, at}`; checked by parseSchedule. Default daily at 06:00. */
    schedule: z.unknown().optional(),
    /** IANA zone; default: the server's zone. */
    timezone: z.unknown().optional(),
    /** Default true. */
    enabled: z.unknown().optional(),
    /** `skip` (default) or `once`. */
    catchUp: z.unknown().optional(),
    /** Default 5. */
    minNewLabels: z.number().int().min(0).default(5),
    /** `"all"` (default), `"auto"` (the best of a few recent windows on the out-of-time validation rows), `{ "days": N }` or `{ "labels": N }`. */
    window: windowSchema.default('all'),
    /** Default true. */
    autoPromote: z.boolean().default(true),
    gates: gatesSchema.prefault({}),
    /** Which labels train. */
    labels: labelPolicySchema.prefault({}),
    /** Usable labels below which a retrain is skipped. Default 10. */
    minSamples: z.number().int().min(3).max(100_000_000).default(10),
    /** The check of the stored artifact before activation. */
    smokeTest: smokeTestSchema.prefault({}),
    /** Default 42. */
    seed: z.number().int().default(42),
    /** Default 30. */
    timeoutMinutes: z.number().positive().max(24 * 60).default(30),
    retry: retrySchema.default({ retries: 3, initialDelaySeconds: 30, maxDelaySeconds: 600 }),
    triggers: triggersSchema.prefault({}),
    rollout: rolloutPolicySchema.prefault({}),
  })
  .strict();

/** A model spec as a user writes it (config file or `POST /api/v1/models`). */
export const modelSpecInputSchema = z
  .object({
    id: z.string().regex(ID, 'must be 1-64 letters, digits, "_", "-" or ".", starting with a letter or digit'),
    task: z.enum(['binary', 'multiclass', 'regression']),
    features: z.array(featureSpecSchema).min(1).max(1000),
    trainer: z.union([
      z.string().min(1),
      z.object({ type: z.string().min(1), params: z.record(z.string(), z.unknown()).default({}) }).strict(),
    ]),
    scoreRange: z.tuple([z.number().finite(), z.number().finite()]).optional(),
    defaultScore: z.number().finite().optional(),
    classes: z.array(z.string().min(1)).min(2).optional(),
    // prefault: an absent policy is parsed as {}, so every inner default applies.
    retrain: retrainPolicySchema.prefault({}),
    description: z.string().max(2000).default(''),
    serving: z.enum(['refit', 'external']).default('refit'),
  })
  .strict();

/** The input form of a model spec. */
export type ModelSpecInput = z.input<typeof modelSpecInputSchema>;

/** Turn zod issues into named field problems (`/features/1/type: …`). */
export function zodProblems(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.flatMap((i) => {
    const at = prefix + (i.path.length ? '/' + i.path.map(String).join('/') : '');
    // An unknown key is named by its own path, so a typo points at the field, not at its parent.
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: `${at}/${k}`, message: `unknown field '${k}'` }));
    return [{ path: at || '/', message: i.message }];
  });
}

function toWindow(w: z.output<typeof windowSchema>): TrainingWindow {
  if (w === 'all') return { kind: 'all' };
  if (w === 'auto') return { kind: 'auto' };
  if ('days' in w) return { kind: 'days', days: w.days };
  return { kind: 'labels', count: w.labels };
}

/** What a spec is checked against besides itself. */
export interface SpecContext {
  /** Commands declared in the server's config file; a command trainer must name one. Default none. */
  readonly commands?: CommandTable;
}

/**
 * Validate a model spec and fill in every default. Throws RefitError VALIDATION_FAILED naming
 * every problem: schema errors, duplicate feature names, an unknown trainer, a trainer that
 * does not support the task, invalid trainer params, an empty score range.
 */
export function parseModelSpec(input: unknown, prefix = '', context: SpecContext = {}): ModelSpec {
  const parsed = modelSpecInputSchema.safeParse(input);
  if (!parsed.success) {
    // Name every problem at once: the checks the schema cannot make still run on what can be read.
    throw new RefitError('VALIDATION_FAILED', 'The model spec is invalid.', { errors: [...zodProblems(parsed.error, prefix), ...looseProblems(input, prefix)] });
  }
  const s = parsed.data;
  const problems: FieldProblem[] = duplicateFeatureProblems(s.features, prefix);
  const trainerSpec = typeof s.trainer === 'string' ? { type: s.trainer, params: {} } : s.trainer;
  const trainer = getTrainer(trainerSpec.type);
  let params: Record<string, unknown> = {};
  if (!trainer) {
    problems.push({ path: `${prefix}/trainer/type`, message: `unknown trainer '${trainerSpec.type}' (known: ${trainerNames().join(', ')})` });
  } else {
    if (!trainer.tasks.includes(s.task)) {
      problems.push({ path: `${prefix}/trainer/type`, message: `trainer '${trainer.name}' does not support task '${s.task}' (it supports ${trainer.tasks.join(', ')})` });
    }
    const p = trainer.paramsSchema.safeParse(trainerSpec.params);
    if (p.success) params = p.data as Record<string, unknown>;
    else problems.push(...zodProblems(p.error, `${prefix}/trainer/params`));
    if (p.success && trainer.name === 'command') problems.push(...commandProblems(String(params.command), s.features, context.commands ?? {}, prefix, s.serving));
  }
  if (s.serving === 'external' && trainerSpec.type !== 'command') {
    problems.push({ path: `${prefix}/trainer/type`, message: "an externally served model retrains through a command of format 'reference' (trainer type 'command')" });
  }
  if (s.scoreRange && !(s.scoreRange[0] < s.scoreRange[1])) {
    problems.push({ path: `${prefix}/scoreRange`, message: 'the lower bound must be below the upper bound' });
  }
  if (s.scoreRange && s.task !== 'binary') {
    problems.push({ path: `${prefix}/scoreRange`, message: 'a score range applies to binary models only' });
  }
  if (s.classes && s.task !== 'multiclass') {
    problems.push({ path: `${prefix}/classes`, message: 'classes apply to multiclass models only' });
  }
  if (s.classes && new Set(s.classes).size !== s.classes.length) {
    problems.push({ path: `${prefix}/classes`, message: 'class names must be distinct' });
  }
  const r = s.retrain;
  const scheduleInput = {
    ...(r.schedule !== undefined ? { schedule: r.schedule } : {}),
    ...(r.timezone !== undefined && r.timezone !== null ? { timezone: r.timezone } : {}),
    ...(r.enabled !== undefined ? { enabled: r.enabled } : {}),
    ...(r.catchUp !== undefined ? { catchUp: r.catchUp } : {}),
  };
  // The zone is only checked here; an absent one stays null and means the server's zone at run time.
  const schedule = parseSchedule(scheduleInput, 'UTC');
  if (!schedule.ok) problems.push(...schedule.problems.map((p) => ({ ...p, path: `${prefix}/retrain${p.path === '/' ? '' : p.path}` })));
  if (problems.length > 0 || !schedule.ok) throw new RefitError('VALIDATION_FAILED', 'The model spec is invalid.', { errors: problems });

  const range = s.scoreRange ? ([s.scoreRange[0], s.scoreRange[1]] as const) : null;
  const defaultScore = s.defaultScore ?? (s.task === 'binary' ? (range ? (range[0] + range[1]) / 2 : 0.5) : 0);
  return {
    id: s.id,
    task: s.task,
    features: s.features,
    trainer: { type: trainerSpec.type, params },
    scoreRange: range,
    defaultScore,
    classes: s.classes ?? null,
    retrain: {
      schedule: schedule.schedule.source,
      timezone: r.timezone !== undefined && r.timezone !== null ? schedule.schedule.timezone : null,
      enabled: schedule.schedule.enabled,
      catchUp: schedule.schedule.catchUp,
      minNewLabels: s.retrain.minNewLabels,
      window: toWindow(s.retrain.window),
      autoPromote: s.retrain.autoPromote,
      gates: { ...s.retrain.gates, guards: s.retrain.gates.guards ?? defaultGuards(s.task) },
      labels: s.retrain.labels,
      minSamples: s.retrain.minSamples,
      smokeTest: s.retrain.smokeTest,
      seed: s.retrain.seed,
      timeoutMinutes: s.retrain.timeoutMinutes,
      retry: s.retrain.retry,
      triggers: s.retrain.triggers,
      rollout: s.retrain.rollout,
    },
    description: s.description,
    ...(s.serving === 'external' ? { serving: 'external' as const } : {}),
  };
}

/** A command trainer must name a command of the server's config file (a client can never send one). */
function commandProblems(
  name: string,
  features: readonly { name: string; type: 'number' | 'category' | 'boolean' | 'text' }[],
  commands: CommandTable,
  prefix: string,
  serving: 'refit' | 'external',
): FieldProblem[] {
  if (!Object.hasOwn(commands, name)) {
    const known = Object.keys(commands);
    return [{ path: `${prefix}/trainer/params/command`, message: `command '${name}' is not declared in the server's config file (${known.length ? `declared: ${known.join(', ')}` : 'it declares none'})` }];
  }
  const reference = commands[name].format === 'reference';
  if (reference !== (serving === 'external')) {
    return [
      {
        path: `${prefix}/trainer/params/command`,
        message: reference ? `command '${name}' prints a model reference; only an externally served model ("serving": "external") can use it` : `an externally served model needs a command of format 'reference'; '${name}' writes ${commands[name].format}`,
      },
    ];
  }
  if (reference) return [];
  const problem = externalFeatureProblem(features);
  return problem ? [{ path: `${prefix}/features`, message: problem }] : [];
}

function duplicateFeatureProblems(features: readonly unknown[], prefix: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  features.forEach((f, i) => {
    const name = (f as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    if (seen.has(name)) problems.push({ path: `${prefix}/features/${i}/name`, message: `duplicate feature name '${name}'` });
    seen.add(name);
  });
  return problems;
}

/** Duplicate features and an unknown trainer in a spec the schema refused (schema problems are named by zod). */
function looseProblems(input: unknown, prefix: string): FieldProblem[] {
  if (input === null || typeof input !== 'object') return [];
  const raw = input as { features?: unknown; trainer?: unknown; retrain?: unknown };
  const problems = Array.isArray(raw.features) ? duplicateFeatureProblems(raw.features, prefix) : [];
  // The schedule and its zone are checked here too, so they are named with the schema's problems, not after them.
  if (raw.retrain !== null && typeof raw.retrain === 'object' && !Array.isArray(raw.retrain)) {
    const r = raw.retrain as Record<string, unknown>;
    const fields = Object.fromEntries(['schedule', 'timezone', 'enabled', 'catchUp'].filter((k) => r[k] !== undefined && r[k] !== null).map((k) => [k, r[k]]));
    const schedule = parseSchedule(fields, 'UTC');
    if (!schedule.ok) problems.push(...schedule.problems.map((p) => ({ ...p, path: `${prefix}/retrain${p.path === '/' ? '' : p.path}` })));
  }
  const type = typeof raw.trainer === 'string' ? raw.trainer : (raw.trainer as { type?: unknown } | null | undefined)?.type;
  if (typeof type === 'string' && type.length > 0 && !getTrainer(type)) {
    problems.push({ path: `${prefix}/trainer/type`, message: `unknown trainer '${type}' (known: ${trainerNames().join(', ')})` });
  }
  return problems;
}

/** The spec back in its input form (for `GET …/retrain/config` round trips and config files). */
export function windowToInput(w: TrainingWindow): z.input<typeof windowSchema> {
  if (w.kind === 'all') return 'all';
  if (w.kind === 'auto') return 'auto';
  if (w.kind === 'days') return { days: w.days };
  return { labels: w.count };
}
