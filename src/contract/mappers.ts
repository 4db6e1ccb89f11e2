import { type ApiKey, type AuditEntry, keyState } from '../domain/auth.js';
import type { ApiKeyWire, AuditEntryWire } from './access.js';
import type { Activation, Model, ModelVersion, RetrainJob, RetrainPolicy, Rollout, RolloutPolicy, TimelineEntry, TrainingWindow, TriggerCheck } from '../domain/entities.js';
import type { DriftResult } from '../monitor/drift.js';
import type { PerformanceReport, RetrainNeeded } from '../monitor/monitor.js';
import type { RetentionReport } from '../rollout/retention.js';
import type { RolloutEvaluation } from '../rollout/rollout-manager.js';
import type { JobWire, RetrainStatusWire } from './job.js';
import type { ModelWire, RetrainPolicyWire } from './model.js';
import type { DriftWire, FeatureDriftWire, PerformanceWire, RetrainNeededWire, TriggerCheckWire } from './monitor.js';
import type { ActivationWire, VersionWire } from './registry.js';
import type { RetentionReportWire, RolloutEvaluationWire, RolloutStateWire, RolloutWire, TimelineEntryWire } from './rollout.js';

/*
 * Entity → wire: dates become ISO-8601 text and readonly arrays fresh ones. Each mapper writes its
 * keys in the order of its schema, so the in-process CLI prints what the HTTP API sends.
 */

function iso(d: Date): string {
  return d.toISOString();
}

function isoOrNull(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}

/** A training window in the form a spec writes it: `all`, `{days}` or `{labels}`. */
export function toWindowWire(w: TrainingWindow): RetrainPolicyWire['window'] {
  if (w.kind === 'all') return 'all';
  if (w.kind === 'auto') return 'auto';
  if (w.kind === 'days') return { days: w.days };
  return { labels: w.count };
}

/** A retrain policy as the API shows it (the window in input form). */
export function toRetrainPolicyWire(p: RetrainPolicy): RetrainPolicyWire {
  return {
    schedule: p.schedule,
    timezone: p.timezone,
    enabled: p.enabled,
    catchUp: p.catchUp,
    minNewLabels: p.minNewLabels,
    window: toWindowWire(p.window),
    autoPromote: p.autoPromote,
    gates: { ...p.gates },
    labels: p.labels,
    minSamples: p.minSamples,
    smokeTest: p.smokeTest,
    seed: p.seed,
    timeoutMinutes: p.timeoutMinutes,
    retry: p.retry,
    triggers: p.triggers,
    rollout: toRolloutPolicyWire(p.rollout),
  };
}

/** A rollout policy as the API shows it. */
export function toRolloutPolicyWire(p: RolloutPolicy): RetrainPolicyWire['rollout'] {
  return { ...p, steps: p.steps ? [...p.steps] : null };
}

/** A model as the API shows it: its spec in input form plus its state. */
export function toModelWire(m: Model): ModelWire {
  const s = m.spec;
  return {
    id: s.id,
    task: s.task,
    description: s.description,
    features: s.features.map((f) => ({ name: f.name, type: f.type })),
    trainer: s.trainer,
    scoreRange: s.scoreRange ? [s.scoreRange[0], s.scoreRange[1]] : null,
    defaultScore: s.defaultScore,
    classes: s.classes ? [...s.classes] : null,
    retrain: toRetrainPolicyWire(s.retrain),
    serving: s.serving ?? 'refit',
    activeVersion: m.activeVersion,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}

/** A retrain job as the API shows it (dates as ISO-8601, duration derived). */
export function toJobWire(j: RetrainJob): JobWire {
  return {
    id: j.id,
    modelId: j.modelId,
    status: j.status,
    trigger: j.trigger,
    force: j.force,
    stage: j.stage,
    progress: j.progress,
    stages: j.stages.map((s) => ({ name: s.name, startedAt: s.startedAt, durationMs: s.durationMs })),
    attempts: j.attempts,
    result: j.result,
    error: j.error,
    createdAt: iso(j.createdAt),
    startedAt: isoOrNull(j.startedAt),
    finishedAt: isoOrNull(j.finishedAt),
    durationMs: j.startedAt && j.finishedAt ? j.finishedAt.getTime() - j.startedAt.getTime() : null,
  };
}

/** What `toRetrainStatusWire` reads: a model's retrain status with its jobs as entities. */
export type RetrainStatusInput = Omit<RetrainStatusWire, 'currentJob' | 'lastJob'> & { readonly currentJob: RetrainJob | null; readonly lastJob: RetrainJob | null };

/** A model's retrain status as the API shows it. */
export function toRetrainStatusWire(s: RetrainStatusInput): RetrainStatusWire {
  return {
    modelId: s.modelId,
    status: s.status,
    stage: s.stage,
    progress: s.progress,
    activeVersion: s.activeVersion,
    currentJob: s.currentJob ? toJobWire(s.currentJob) : null,
    lastJob: s.lastJob ? toJobWire(s.lastJob) : null,
    newLabels: s.newLabels,
    minNewLabels: s.minNewLabels,
    nextRunAt: s.nextRunAt,
  };
}

/** A model version as the API shows it. */
export function toVersionWire(v: ModelVersion): VersionWire {
  return {
    modelId: v.modelId,
    version: v.version,
    status: v.status,
    trainer: v.trainer,
    features: v.features.map((f) => ({ name: f.name, type: f.type })),
    referenceSha256: v.referenceSha256 ?? null,
    artifactSha256: v.artifactSha256,
    artifactBytes: v.artifactBytes,
    metrics: v.metrics,
    championMetrics: v.championMetrics,
    parentVersion: v.parentVersion,
    labelCount: v.labelCount,
    trainingSamples: v.trainingSamples,
    datasetHash: v.datasetHash,
    dataRows: v.dataRows ?? null,
    decision: v.decision,
    jobId: v.jobId,
    createdAt: iso(v.createdAt),
    artifactDeletedAt: isoOrNull(v.artifactDeletedAt),
  };
}

/** An activation (promotion or rollback) as the API shows it. */
export function toActivationWire(a: Activation): ActivationWire {
  return {
    id: a.id,
    modelId: a.modelId,
    fromVersion: a.fromVersion,
    toVersion: a.toVersion,
    action: a.action,
    reason: a.reason,
    actor: a.actor,
    createdAt: iso(a.createdAt),
  };
}

/** A canary, shadow or watch as the API shows it. */
export function toRolloutWire(r: Rollout): RolloutWire {
  return {
    id: r.id,
    modelId: r.modelId,
    kind: r.kind,
    mode: r.mode,
    version: r.version,
    baseVersion: r.baseVersion,
    share: r.share,
    status: r.status,
    startedAt: iso(r.startedAt),
    endsAt: iso(r.endsAt),
    finishedAt: isoOrNull(r.finishedAt),
    reason: r.reason,
    numbers: r.numbers,
  };
}

/** A rollout evaluation as the API shows it. */
export function toRolloutEvaluationWire(e: RolloutEvaluation): RolloutEvaluationWire {
  const c = e.challenger;
  const w = e.watch;
  return {
    modelId: e.modelId,
    evaluatedAt: e.evaluatedAt,
    activeVersion: e.activeVersion,
    challenger: c ? { rollout: toRolloutWire(c.rollout), decision: c.decision, reason: c.reason, numbers: c.numbers } : null,
    watch: w ? { rollout: toRolloutWire(w.rollout), decision: w.decision, reason: w.reason, numbers: w.numbers } : null,
    applied: e.applied,
  };
}

/** `GET …/rollout`: the policy, the evaluation as it stands and the recent rollouts. */
export function toRolloutStateWire(s: { readonly policy: RolloutPolicy; readonly evaluation: RolloutEvaluation; readonly recent: readonly Rollout[] }): RolloutStateWire {
  return { policy: toRolloutPolicyWire(s.policy), ...toRolloutEvaluationWire(s.evaluation), recent: s.recent.map(toRolloutWire) };
}

/** A timeline row as the API shows it. */
export function toTimelineEntryWire(t: TimelineEntry): TimelineEntryWire {
  return { id: t.id, modelId: t.modelId, at: iso(t.at), action: t.action, version: t.version, fromVersion: t.fromVersion, actor: t.actor, reason: t.reason, numbers: t.numbers };
}

/** A stored trigger check as the API shows it. */
export function toTriggerCheckWire(c: TriggerCheck): TriggerCheckWire {
  return { id: c.id, modelId: c.modelId, kind: c.kind, checkedAt: iso(c.checkedAt), decision: c.decision, reason: c.reason, numbers: c.numbers, jobId: c.jobId };
}

/** A drift report as the API shows it (already JSON-shaped: only its arrays are copied). */
export function toDriftWire(d: DriftResult): DriftWire {
  const feature = (f: DriftResult['features'][number]): FeatureDriftWire => ({ ...f });
  return {
    ...d,
    driftedFeatures: [...d.driftedFeatures],
    features: d.features.map(feature),
    score: d.score ? feature(d.score) : null,
    distributions: d.distributions.map((x) => ({ name: x.name, buckets: x.buckets.map((b) => ({ ...b })) })),
  };
}

/** Live performance as the API shows it (already JSON-shaped). */
export function toPerformanceWire(p: PerformanceReport): PerformanceWire {
  return { ...p, windows: p.windows.map((w) => ({ ...w })) };
}

/** A trigger evaluation as the API shows it (already JSON-shaped). */
export function toRetrainNeededWire(r: RetrainNeeded): RetrainNeededWire {
  return { ...r, reasons: [...r.reasons], triggers: r.triggers.map((t) => ({ ...t })) };
}

/** A retention cleanup report as the API shows it. */
export function toRetentionReportWire(r: RetentionReport): RetentionReportWire {
  return {
    modelId: r.modelId,
    keepVersions: r.keepVersions,
    kept: r.kept.map((k) => ({ version: k.version, reasons: [...k.reasons] })),
    deleted: r.deleted.map((d) => ({ version: d.version, freedBytes: d.freedBytes })),
    freedBytes: r.freedBytes,
  };
}

/** An API key as the API lists it (never its hash or secret). */
export function toApiKeyWire(k: ApiKey, now: Date): ApiKeyWire {
  return { id: k.id, name: k.name, scopes: [...k.scopes], createdAt: iso(k.createdAt), expiresAt: k.expiresAt ? iso(k.expiresAt) : null, revokedAt: k.revokedAt ? iso(k.revokedAt) : null, state: keyState(k, now) };
}

/** An audit entry as the API shows it. */
export function toAuditEntryWire(e: AuditEntry): AuditEntryWire {
  return { id: e.id, at: iso(e.at), actor: e.actor, action: e.action, modelId: e.modelId, version: e.version, address: e.address, outcome: e.outcome, detail: e.detail ? { ...e.detail } : null };
}
