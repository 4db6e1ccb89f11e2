/*
 * The dashboard's only way to the server: the public HTTP API under /api/v1. Its response types
 * are the server's wire contract (src/contract), imported as types only: they vanish at build,
 * so the dashboard still ships apart from the server code.
 */
import type {
  ActivationWire,
  ChallengerEvaluationWire,
  DistributionWire,
  DriftWire,
  FeatureDriftWire,
  FieldProblemWire,
  ImportanceWire,
  JobLogWire,
  JobPageWire,
  JobStatusWire,
  JobWire,
  ModelWire,
  PerformanceWindowWire,
  PerformanceWire,
  ProblemWire,
  RetrainConfigWire,
  RetrainNeededWire,
  RetrainResultWire,
  RetrainStartedWire,
  RetrainStatusWire,
  RolloutStateWire,
  RolloutWire,
  ScheduleSpecWire,
  ScheduleWire,
  TimelinePageWire,
  TimelineEntryWire,
  TriggerCheckWire,
  TriggerOutcomeWire,
  TriggersWire,
  VersionListWire,
  VersionWire,
  WatchEvaluationWire,
  WorkerListWire,
  DeliveryWire,
  SinkWire,
} from '../../src/contract/index.js';

export type JobStatus = JobStatusWire;
export type StatusValue = RetrainStatusWire['status'];
export type Metrics = Record<string, number>;
export type ScheduleSpec = ScheduleSpecWire;
export type Model = ModelWire;
export type RetrainResult = RetrainResultWire;
export type Job = JobWire;
export type RetrainStatus = RetrainStatusWire;
export type RetrainConfig = RetrainConfigWire;
/** When the monitor starts a retrain by itself; checked on `checkSchedule` (cron). */
export type Triggers = TriggersWire;
/** One feature (or the score) compared between the version's training data and recent scores. */
export type FeatureDrift = FeatureDriftWire;
export type Distribution = DistributionWire;
export type DriftResult = DriftWire;
export type PerformanceWindow = PerformanceWindowWire;
export type Performance = PerformanceWire;
export type TriggerDecision = TriggerOutcomeWire;
export type RetrainNeeded = RetrainNeededWire;
/** A stored trigger check: one row per trigger each time the monitor (or "Check now") runs. */
export type TriggerCheck = TriggerCheckWire;
export type Version = VersionWire;
export type Schedule = ScheduleWire;
export type WorkerList = WorkerListWire;
/** Where events go: a webhook, the Redis stream or Slack, with its cursor and deliveries per state. */
export type Sink = SinkWire;
/** An event's delivery to a sink, with its attempts. */
export type Delivery = DeliveryWire;
/** A canary, shadow or post-promotion watch. */
export type Rollout = RolloutWire;
/** What the rollout analysis concludes now about a running rollout. */
export type RolloutDecision = ChallengerEvaluationWire | WatchEvaluationWire;
/** GET /models/{id}/rollout. */
export type RolloutState = RolloutStateWire;
/** GET /models/{id}/versions/{version}/importance: per feature, from the stored artifact (tree models only). */
export type Importance = ImportanceWire;
/** One row of a model's timeline. */
export type TimelineEntry = TimelineEntryWire;
/** One problem with one field of a request, as the API names it (`/schedule`, `/retry/retries`). */
export type FieldProblem = FieldProblemWire;
/** An application/problem+json document (RFC 9457); partial, as a proxy's error may be any JSON. */
export type Problem = Partial<ProblemWire>;

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
  history: (id: string, limit: number, offset: number) => request<JobPageWire>('GET', `${m(id)}/retrain/history?limit=${limit}&offset=${offset}`),
  retrain: (id: string, force: boolean) => request<RetrainStartedWire>('POST', `${m(id)}/retrain`, force ? { force: true } : {}),
  config: (id: string) => request<RetrainConfig>('GET', `${m(id)}/retrain/config`),
  putConfig: (id: string, body: Record<string, unknown>) => request<RetrainConfig>('PUT', `${m(id)}/retrain/config`, body),
  job: (jobId: string) => request<Job>('GET', `/jobs/${encodeURIComponent(jobId)}`),
  jobLog: (jobId: string) => request<JobLogWire>('GET', `/jobs/${encodeURIComponent(jobId)}/log`),
  importance: (id: string, version: string) => request<Importance>('GET', `${m(id)}/versions/${encodeURIComponent(version)}/importance`),
  versions: (id: string) => request<VersionListWire>('GET', `${m(id)}/versions`),
  rollback: (id: string, version: string) => request<ActivationWire>('POST', `${m(id)}/rollback`, { version }),
  drift: (id: string) => request<DriftResult>('GET', `${m(id)}/drift`),
  performance: (id: string, window = '24h', windows = 7) => request<Performance>('GET', `${m(id)}/performance?window=${window}&windows=${windows}`),
  checks: (id: string, limit: number) => request<{ items: TriggerCheck[] }>('GET', `${m(id)}/checks?limit=${limit}`).then((r) => r.items),
  runChecks: (id: string) => request<RetrainNeeded>('POST', `${m(id)}/checks`),
  retrainNeeded: (id: string) => request<RetrainNeeded>('GET', `${m(id)}/retrain-needed`),
  schedules: () => request<{ items: Schedule[] }>('GET', '/schedules').then((r) => r.items),
  workers: () => request<WorkerListWire>('GET', '/workers'),
  rollout: (id: string) => request<RolloutState>('GET', `${m(id)}/rollout`),
  abortRollout: (id: string) => request<Rollout>('POST', `${m(id)}/rollout/abort`, { reason: 'stopped from the dashboard' }),
  timeline: (id: string, limit: number) => request<TimelinePageWire>('GET', `${m(id)}/timeline?limit=${limit}`),
  sinks: () => request<{ items: Sink[] }>('GET', '/sinks').then((r) => r.items),
  deliveries: (sink: string, limit: number) => request<{ items: Delivery[] }>('GET', `/sinks/${encodeURIComponent(sink)}/deliveries?limit=${limit}`).then((r) => r.items),
  redeliver: (sink: string, deliveryId?: number) =>
    request<{ queued: number }>('POST', deliveryId === undefined ? `/sinks/${encodeURIComponent(sink)}/redeliver` : `/sinks/${encodeURIComponent(sink)}/deliveries/${deliveryId}/redeliver`),
};

/** The metric a model is judged by, as the server picks it: AUC, accuracy or RMSE. */
export function primaryMetricOf(task: Model['task']): string {
  return task === 'binary' ? 'auc' : task === 'multiclass' ? 'accuracy' : 'rmse';
}

/** Error metrics: lower is better. */
export function lowerIsBetter(metric: string): boolean {
  return metric === 'rmse' || metric === 'mae' || metric === 'logLoss';
}
