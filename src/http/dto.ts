import { windowToInput } from '../config/model-spec.js';
import type { Activation, Model, ModelVersion, RetrainJob, Rollout, TimelineEntry } from '../domain/entities.js';
import type { RolloutEvaluation } from '../rollout/rollout-manager.js';

/** A model as the API shows it: its spec in input form plus its state. */
export function modelDto(m: Model): Record<string, unknown> {
  const s = m.spec;
  return {
    id: s.id,
    task: s.task,
    description: s.description,
    features: s.features,
    trainer: s.trainer,
    scoreRange: s.scoreRange,
    defaultScore: s.defaultScore,
    classes: s.classes,
    retrain: { ...s.retrain, window: windowToInput(s.retrain.window) },
    activeVersion: m.activeVersion,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}

/** A job as the API shows it (dates as ISO-8601, duration derived). */
export function jobDto(j: RetrainJob): Record<string, unknown> {
  return {
    ...j,
    createdAt: j.createdAt.toISOString(),
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
    durationMs: j.startedAt && j.finishedAt ? j.finishedAt.getTime() - j.startedAt.getTime() : null,
  };
}

/** A version as the API shows it. */
export function versionDto(v: ModelVersion): Record<string, unknown> {
  return { ...v, createdAt: v.createdAt.toISOString(), artifactDeletedAt: v.artifactDeletedAt?.toISOString() ?? null };
}

/** A canary, shadow or watch as the API shows it. */
export function rolloutDto(r: Rollout): Record<string, unknown> {
  return { ...r, startedAt: r.startedAt.toISOString(), endsAt: r.endsAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null };
}

/** A rollout evaluation as the API shows it. */
export function evaluationDto(e: RolloutEvaluation): Record<string, unknown> {
  return {
    ...e,
    challenger: e.challenger ? { ...e.challenger, rollout: rolloutDto(e.challenger.rollout) } : null,
    watch: e.watch ? { ...e.watch, rollout: rolloutDto(e.watch.rollout) } : null,
  };
}

/** A timeline row as the API shows it. */
export function timelineDto(t: TimelineEntry): Record<string, unknown> {
  return { ...t, at: t.at.toISOString() };
}

/** An activation history row as the API shows it. */
export function activationDto(a: Activation): Record<string, unknown> {
  return { ...a, createdAt: a.createdAt.toISOString() };
}
