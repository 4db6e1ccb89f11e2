/*
 * The dashboard's only way to the server: the public HTTP API under /api/v1, typed here by hand
 * from the responses the API documents (the dashboard ships apart from the server code).
 */

export type JobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled';
export type StatusValue = 'idle' | JobStatus;
export type Metrics = Record<string, number>;
export type ScheduleSpec = string | { every: 'day'; at: string } | { every: 'week'; day: string; at: string } | { every: 'month'; at: string };

export interface Model {
  id: string;
  task: 'binary' | 'multiclass' | 'regression';
  description: string;
  features: { name: string; type: string }[];
  trainer: { type: string; params: Record<string, unknown> };
  activeVersion: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RetrainResult {
  oldVersion: string | null;
  newVersion: string | null;
  promoted: boolean;
  oldMetrics: Metrics | null;
  newMetrics: Metrics | null;
  improvementPct: number | null;
  primaryMetric: string;
  trainingSamples: number;
  trainingMs: number;
  labelCount: number;
  decision: string;
}

export interface Job {
  id: string;
  modelId: string;
  status: JobStatus;
  trigger: string;
  force: boolean;
  stage: string | null;
  progress: number | null;
  stages: { name: string; startedAt: string; durationMs: number }[];
  attempts: number;
  result: RetrainResult | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface RetrainStatus {
  modelId: string;
  status: StatusValue;
  stage: string | null;
  progress: number | null;
  activeVersion: string | null;
  currentJob: Job | null;
  lastJob: Job | null;
  newLabels: number;
  minNewLabels: number;
  nextRunAt: string | null;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface RetrainConfig {
  schedule: ScheduleSpec;
  timezone: string | null;
  enabled: boolean;
  catchUp: 'skip' | 'once';
  minNewLabels: number;
  window: unknown;
  autoPromote: boolean;
  gates: { minimums: Record<string, number>; maxDegradation: number };
  seed: number;
  timeoutMinutes: number;
  retry: { retries: number; initialDelaySeconds: number; maxDelaySeconds: number };
  triggers: Triggers;
  trainer: { type: string; params: Record<string, unknown> };
  scheduleDescription: string;
  effectiveTimezone: string;
  nextRunAt: string | null;
}

/** When the monitor starts a retrain by itself; checked on `checkSchedule` (cron). */
export interface Triggers {
  checkSchedule: string;
  performance: { enabled: boolean; maxDropPct: number; maxErrorRisePct: number; minLabels: number; windowHours: number; cooldownHours: number };
  drift: { enabled: boolean; featureShare: number; windowScores: number; minScores: number; delayHours: number; cooldownHours: number };
  rate: { enabled: boolean; windowHours: number; lastWindows: number; below: number; minWindows: number; cooldownHours: number };
}

/** One feature (or the score) compared between the version's training data and recent scores. */
export interface FeatureDrift {
  name: string;
  kind: 'number' | 'category' | 'boolean';
  /** ks / chi2 decide by p-value < threshold; wasserstein / jensen-shannon by distance > threshold. */
  test: 'ks' | 'wasserstein' | 'chi2' | 'jensen-shannon' | 'none';
  statistic: number;
  pValue?: number;
  distance?: number;
  threshold: number;
  drifted: boolean;
  currentRows: number;
  /** Numbers: KS statistic, PSI (ten reference-decile bins) and the raw Wasserstein distance, reported beside the deciding test. */
  ksStatistic?: number;
  psi?: number;
  wasserstein?: number;
  /** Categories: the chi-square statistic and its degrees of freedom. */
  chiSquare?: number;
  dof?: number;
}

export interface Distribution {
  name: string;
  buckets: { label: string; reference: number; current: number }[];
}

export interface DriftResult {
  modelId: string;
  version: string | null;
  status: 'ok' | 'no-version' | 'no-reference' | 'insufficient';
  reason: string;
  computedAt: string;
  referenceRows: number;
  currentRows: number;
  drifted: boolean;
  driftedShare: number;
  driftedFeatures: string[];
  featureShare: number;
  features: FeatureDrift[];
  score: FeatureDrift | null;
  distributions: Distribution[];
}

export interface PerformanceWindow {
  version: string;
  start: string;
  end: string;
  count: number;
  metrics: Metrics;
  acceptRate: number | null;
}

export interface Performance {
  modelId: string;
  activeVersion: string | null;
  primaryMetric: string;
  windowHours: number;
  baselines: Record<string, Metrics>;
  windows: PerformanceWindow[];
}

export interface TriggerDecision {
  kind: 'performance' | 'drift' | 'rate' | string;
  decision: string;
  reason: string;
  numbers: Record<string, unknown>;
}

export interface RetrainNeeded {
  needed: boolean;
  reasons: string[];
  triggers: TriggerDecision[];
  checkedAt?: string;
}

/** A stored trigger check: one row per trigger each time the monitor (or "Check now") runs. */
export interface TriggerCheck {
  id: number;
  modelId: string;
  kind: string;
  checkedAt: string;
  decision: string;
  reason: string;
  numbers: Record<string, unknown>;
  jobId: string | null;
}

export interface Version {
  modelId: string;
  version: string;
  status: 'active' | 'candidate' | 'rejected' | 'retired' | 'canary' | 'shadow';
  trainer: { type: string; params: Record<string, unknown> };
  features: { name: string; type: string }[];
  /** sha256 of the training data (label rows in the window): the same data gives the same hash. */
  datasetHash: string;
  artifactSha256: string;
  artifactBytes: number;
  referenceSha256?: string | null;
  /** When retention deleted the artifact; null while it is kept. */
  artifactDeletedAt?: string | null;
  metrics: Metrics;
  championMetrics: Metrics | null;
  parentVersion: string | null;
  labelCount: number;
  trainingSamples: number;
  decision: string;
  jobId: string | null;
  createdAt: string;
}

export interface Schedule {
  id: string;
  modelId: string;
  /** `retrain` runs a retrain; `check` runs the trigger checks (which may start one). */
  kind?: 'retrain' | 'check';
  default: boolean;
  description: string;
  effectiveTimezone: string;
  lastRunAt: string | null;
  lastJobStatus: JobStatus | null;
  nextRunAt: string | null;
  config: { schedule: ScheduleSpec; timezone: string | null; enabled: boolean; catchUp: string };
}

/** A canary, shadow or post-promotion watch. */
export interface Rollout {
  id: number;
  modelId: string;
  kind: 'challenger' | 'watch';
  mode: 'canary' | 'shadow' | null;
  version: string;
  baseVersion: string | null;
  share: number | null;
  status: 'running' | 'promoted' | 'aborted' | 'passed' | 'rolled-back' | 'ended';
  startedAt: string;
  endsAt: string;
  finishedAt: string | null;
  reason: string | null;
}

/** What the rollout analysis concludes now about a running rollout. */
export interface RolloutDecision {
  decision: string;
  reason: string;
  numbers: Record<string, unknown>;
  rollout: Rollout;
}

/** GET /models/{id}/rollout. */
export interface RolloutState {
  policy: { policy: 'direct' | 'canary' | 'shadow'; canaryShare: number; durationHours: number; watchHours: number };
  activeVersion: string | null;
  challenger: RolloutDecision | null;
  watch: RolloutDecision | null;
  recent: Rollout[];
}

/** GET /models/{id}/versions/{version}/importance: per feature, from the stored artifact (tree models only). */
export interface Importance {
  modelId: string;
  version: string;
  trainer: string;
  available: boolean;
  reason: string;
  features: { feature: string; gain: number; splits: number }[];
}

/** One row of a model's timeline. */
export interface TimelineEntry {
  id: number;
  at: string;
  action: string;
  version: string | null;
  fromVersion: string | null;
  actor: string;
  reason: string;
}

/** One problem with one field of a request, as the API names it (`/schedule`, `/retry/retries`). */
export interface FieldProblem {
  path: string;
  message: string;
}

/** An application/problem+json document (RFC 9457). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: FieldProblem[];
  jobId?: string;
  [extra: string]: unknown;
}

/** A failed API call, with the server's problem document when it sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;

  constructor(status: number, message: string, problem: Problem | null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

const BASE = '/api/v1';

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, `The Refit server cannot be reached (${err instanceof Error ? err.message : String(err)}).`, null);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's error page): reported below by status.
  }
  if (!res.ok) {
    const problem = json && typeof json === 'object' ? (json as Problem) : null;
    throw new ApiError(res.status, problem?.detail ?? problem?.title ?? `The server answered ${res.status} ${res.statusText}.`, problem);
  }
  return json as T;
}

const m = (id: string) => `/models/${encodeURIComponent(id)}`;

/** The calls the dashboard makes. */
export const api = {
  models: () => request<{ items: Model[] }>('GET', '/models').then((r) => r.items),
  model: (id: string) => request<Model>('GET', m(id)),
  status: (id: string) => request<RetrainStatus>('GET', `${m(id)}/retrain/status`),
  history: (id: string, limit: number, offset: number) => request<Page<Job>>('GET', `${m(id)}/retrain/history?limit=${limit}&offset=${offset}`),
  retrain: (id: string, force: boolean) => request<{ jobId: string; status: JobStatus }>('POST', `${m(id)}/retrain`, force ? { force: true } : {}),
  config: (id: string) => request<RetrainConfig>('GET', `${m(id)}/retrain/config`),
  putConfig: (id: string, body: Record<string, unknown>) => request<RetrainConfig>('PUT', `${m(id)}/retrain/config`, body),
  job: (jobId: string) => request<Job>('GET', `/jobs/${encodeURIComponent(jobId)}`),
  importance: (id: string, version: string) => request<Importance>('GET', `${m(id)}/versions/${encodeURIComponent(version)}/importance`),
  versions: (id: string) => request<{ activeVersion: string | null; items: Version[] }>('GET', `${m(id)}/versions`),
  rollback: (id: string, version: string) => request<unknown>('POST', `${m(id)}/rollback`, { version }),
  drift: (id: string) => request<DriftResult>('GET', `${m(id)}/drift`),
  performance: (id: string, window = '24h', windows = 7) => request<Performance>('GET', `${m(id)}/performance?window=${window}&windows=${windows}`),
  checks: (id: string, limit: number) => request<{ items: TriggerCheck[] }>('GET', `${m(id)}/checks?limit=${limit}`).then((r) => r.items),
  runChecks: (id: string) => request<RetrainNeeded & { jobId: string | null }>('POST', `${m(id)}/checks`),
  retrainNeeded: (id: string) => request<RetrainNeeded>('GET', `${m(id)}/retrain-needed`),
  schedules: () => request<{ items: Schedule[] }>('GET', '/schedules').then((r) => r.items),
  rollout: (id: string) => request<RolloutState>('GET', `${m(id)}/rollout`),
  abortRollout: (id: string) => request<Rollout>('POST', `${m(id)}/rollout/abort`, { reason: 'stopped from the dashboard' }),
  timeline: (id: string, limit: number) => request<Page<TimelineEntry>>('GET', `${m(id)}/timeline?limit=${limit}`),
};

/** The metric a model is judged by, as the server picks it: AUC, accuracy or RMSE. */
export function primaryMetricOf(task: Model['task']): string {
  return task === 'binary' ? 'auc' : task === 'multiclass' ? 'accuracy' : 'rmse';
}

/** Error metrics: lower is better. */
export function lowerIsBetter(metric: string): boolean {
  return metric === 'rmse' || metric === 'mae' || metric === 'logLoss';
}
