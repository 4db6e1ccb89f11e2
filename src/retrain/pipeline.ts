import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { FeatureSpec, JobStage, ModelSpec, RetrainJob, RetrainResult } from '../domain/entities.js';
import { nextVersion, versionChange } from '../domain/version.js';
import { UnrecoverableError } from '../errors.js';
import { decideGates } from '../evaluate/gates.js';
import { primaryMetric } from '../evaluate/metrics.js';
import type { EventHub } from '../events/hub.js';
import { appendEvent, commitWithEvents } from '../events/outbox.js';
import { cleanupRetention } from '../rollout/retention.js';
import { promote as promoteVersion, startChallenger } from '../rollout/transitions.js';
import type { RawLabelRow, Store } from '../store/store.js';
import type { ComputeExecutor } from './executor.js';
import { cleanLabels, type ChampionTraining, type CleanLabels } from '../data/holdout.js';
import { runSmokeTest, type SmokeOutput } from './smoke.js';

/** What a retrain run needs. */
export interface PipelineDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly hub: EventHub;
  /** Where training runs: a worker thread per job in the server, inline in some tests. */
  readonly executor: ComputeExecutor;
  readonly logger?: Logger;
}

/** The stages of a run, in order, as shown in status and progress. */
export const STAGES = ['loading labels', 'training', 'validating', 'promoting'] as const;

/**
 * Records stages on the job as they pass, with their durations, and reports progress through
 * the hub. Progress writes are throttled so a fast trainer does not flood the store.
 */
class StageRecorder {
  private readonly stages: JobStage[] = [];
  private current: { name: string; start: Date } | null = null;
  private lastProgressWrite = 0;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly job: RetrainJob,
  ) {}

  async enter(name: string): Promise<void> {
    this.close();
    this.current = { name, start: this.deps.clock.now() };
    await this.deps.store.updateJob(this.job.id, { stage: name, progress: name === 'training' ? 0 : null, stages: this.stages });
    this.deps.hub.emit('retrain:progress', { jobId: this.job.id, modelId: this.job.modelId, stage: name, progress: name === 'training' ? 0 : null, at: this.deps.clock.now() });
  }

  progress(fraction: number): void {
    if (!this.current) return;
    const stage = this.current.name;
    this.deps.hub.emit('retrain:progress', { jobId: this.job.id, modelId: this.job.modelId, stage, progress: fraction, at: this.deps.clock.now() });
    const now = Date.now();
    if (now - this.lastProgressWrite < 250 && fraction < 1) return;
    this.lastProgressWrite = now;
    this.deps.store.updateJob(this.job.id, { progress: fraction }).catch((err: unknown) => this.deps.logger?.warn({ err }, 'progress write failed'));
  }

  /** Close the running stage; returns every stage so far. */
  close(): JobStage[] {
    if (this.current) {
      const end = this.deps.clock.now();
      this.stages.push({ name: this.current.name, startedAt: this.current.start.toISOString(), durationMs: end.getTime() - this.current.start.getTime() });
      this.current = null;
    }
    return [...this.stages];
  }
}

/** Largest number of training rows kept with a version as its drift reference. */
export const REFERENCE_SAMPLE_ROWS = 5_000;

/**
 * An evenly strided sample of the training window's feature rows (JSON list), kept with the
 * version as the reference its live inputs are compared with. Built from the stored JSON text
 * without parsing it.
 */
function referenceSample(labels: readonly RawLabelRow[]): Uint8Array {
  const step = Math.max(1, labels.length / REFERENCE_SAMPLE_ROWS);
  const parts: string[] = [];
  for (let i = 0; i < labels.length && parts.length < REFERENCE_SAMPLE_ROWS; i = Math.floor(parts.length * step)) parts.push(labels[i].features);
  return new TextEncoder().encode(`[${parts.join(',')}]`);
}

/** Every feature the champion was trained on still exists with the same type. */
function schemaCompatible(champion: readonly FeatureSpec[] | null, challenger: readonly FeatureSpec[]): boolean {
  if (!champion) return true;
  return champion.every((f) => challenger.some((g) => g.name === f.name && g.type === f.type));
}

/** The outcome of one run, as the runner records it. */
export type RunOutcome =
  | { readonly status: 'completed'; readonly result: RetrainResult }
  | { readonly status: 'skipped'; readonly result: RetrainResult };

/**
 * One retrain run: count new labels → assemble the window → train → score champion and
 * challenger on the same test rows → gates → register → promote. Each stage is recorded on the
 * job. The final state (version, activation, job, events) commits in one transaction, so a
 * failure anywhere leaves the previous version active. Throws on failure; the runner records it.
 */
export async function runRetrain(job: RetrainJob, deps: PipelineDeps, signal: AbortSignal): Promise<RunOutcome> {
  const { store, clock } = deps;
  const rec = new StageRecorder(deps, job);
  const model = await store.getModel(job.modelId);
  if (!model) throw new UnrecoverableError(`Model '${job.modelId}' no longer exists.`);
  const spec: ModelSpec = model.spec;
  const primary = primaryMetric(spec.task);
  const championVersion = model.activeVersion;

  // 1. New labels since the last retrain.
  await rec.enter('loading labels');
  const watermark = await store.getTrainedThrough(spec.id);
  // Labels that arrive while this run trains count towards the next retrain.
  const maxLabelId = await store.maxLabelId(spec.id);
  const newLabels = await store.countLabelsAfter(spec.id, watermark);
  if (newLabels < spec.retrain.minNewLabels && !job.force) {
    return skip(deps, job, rec, championVersion, primary, newLabels, `skipped: ${newLabels} new label${newLabels === 1 ? '' : 's'} since the last retrain, ${spec.retrain.minNewLabels} needed`);
  }

  // 2–4. The window, then hash, split, train and score both models on the same test rows: in
  // the executor (a worker thread in the server), so the event loop stays free.
  const clean = cleanLabels(
    (await store.loadLabelsRaw(spec.id, spec.retrain.window, clock.now())).filter((l) => l.id <= maxLabelId),
    spec.retrain.labels,
  );
  const labels = clean.rows;
  const labelSummary = describeLabels(clean);
  const minSamples = job.minSamples ?? spec.retrain.minSamples;
  if (labels.length < minSamples) {
    return skip(deps, job, rec, championVersion, primary, labels.length, `skipped: too few labels to train (${labelSummary}; ${minSamples} needed, minSamples)`);
  }
  let champion: { kind: string; bytes: Uint8Array } | null = null;
  let championFeatures: readonly FeatureSpec[] | null = null;
  let championTraining: ChampionTraining | null = null;
  if (championVersion !== null) {
    const v = await store.getVersion(spec.id, championVersion);
    championFeatures = v?.features ?? null;
    // The rows it trained on stay out of the test; a version from before the record trained on
    // labels up to the watermark at most (the watermark only grows).
    championTraining = v?.dataRows ? { from: v.dataRows.train.from, to: v.dataRows.train.to } : { from: 0, to: watermark };
    try {
      const bytes = v ? await store.getArtifact(v.artifactSha256) : null;
      if (v && bytes) champion = { kind: v.trainer.type, bytes };
    } catch (err) {
      deps.logger?.warn({ err, modelId: spec.id, championVersion }, 'champion artifact unreadable; comparing without it');
    }
  }
  await rec.enter('training');
  const out = await deps.executor.run({ spec, labels, champion, championTraining }, { signal, onProgress: (f) => rec.progress(f) });
  rec.progress(1);
  await rec.enter('validating');
  if (out.championError) deps.logger?.warn({ modelId: spec.id, championVersion, error: out.championError }, 'champion could not be scored; comparing without it');
  const newMetrics = out.newMetrics;
  const oldMetrics = out.oldMetrics;
  const decided = decideGates({
    task: spec.task,
    challenger: newMetrics,
    champion: oldMetrics,
    gates: spec.retrain.gates,
    schemaCompatible: schemaCompatible(championFeatures, spec.features),
    bootstrap: out.bootstrap,
  });
  // No recent row the champion has not trained on: the comparison cannot be fair, so nothing is promoted.
  const gate = out.noFairRows && championVersion !== null
    ? { ...decided, pass: false, reasons: [`no test row that the champion ${championVersion} did not train on (every recent label was in its training rows); retrain when new labels arrive`] }
    : decided;

  // 5–7. Register, and promote when the gates pass and autoPromote is on.
  await rec.enter('promoting');
  const bytes = out.challengerBytes;
  const at = clock.now();
  const sha = await store.artifacts.put(bytes);
  const referenceSha = await store.artifacts.put(referenceSample(labels));
  const latest = await store.latestVersion(spec.id);
  // The number says what changed since the latest version (trainer or features: major; same data, new params: patch).
  const change = versionChange(latest, { trainer: out.trainer, features: spec.features, datasetHash: out.datasetHash });
  const version = nextVersion(latest?.version ?? null, at, change.change);
  // Nothing is activated (or offered for activation) before its stored bytes load and score.
  const smoke = gate.pass ? await smokeTest(deps, spec, out.trainer.type, sha, labels) : null;
  if (smoke && !smoke.ok) Object.assign(gate, { pass: false, reasons: [`smoke test failed: ${smoke.reason}`] });
  const passed = gate.pass && spec.retrain.autoPromote;
  // A first version has no champion to compare live with: it always goes straight to 100%.
  const mode = passed && championVersion !== null ? spec.retrain.rollout.policy : 'direct';
  const promote = passed && mode === 'direct';
  const verdict = gate.pass
    ? passed
      ? mode === 'direct'
        ? `promoted: ${gate.reasons.join('; ')}`
        : mode === 'canary'
          ? `canary started (${Math.round(spec.retrain.rollout.canaryShare * 1000) / 10}% of traffic): ${gate.reasons.join('; ')}`
          : `shadow started: ${gate.reasons.join('; ')}`
      : `candidate (autoPromote is off): ${gate.reasons.join('; ')}`
    : `rejected: ${gate.reasons.join('; ')}`;
  const others = gate.details.filter((d) => !gate.reasons.includes(d));
  const evidence = [`${labelSummary}; tested on the ${out.dataRows.test.count} most recent labels (ids ${out.dataRows.test.from}–${out.dataRows.test.to}) that neither model trained on`, ...others];
  if (out.dataRows.excludedAsChampionTraining > 0) evidence.push(`${out.dataRows.excludedAsChampionTraining} recent labels left out of the test as the champion's training rows`);
  if (smoke?.ok) evidence.push(smoke.reason);
  if (out.window) evidence.push(out.window);
  if (out.warmStart) evidence.push(`warm start: ${out.warmStart.reason}`);
  evidence.push(`version ${version}: ${change.change} (${change.reason})`);
  const decision = `${verdict}; ${evidence.join('; ')}`;
  const result: RetrainResult = {
    oldVersion: championVersion,
    newVersion: version,
    promoted: promote,
    oldMetrics,
    newMetrics,
    improvementPct: gate.improvementPct,
    primaryMetric: primary,
    trainingSamples: out.trainingSamples,
    trainingMs: out.trainingMs,
    labelCount: out.labelCount,
    decision,
  };
  const stages = rec.close();
  const finishedAt = clock.now();
  await commitWithEvents(store, deps.hub, async (tx) => {
    await tx.insertVersion({
      modelId: spec.id,
      version,
      status: gate.pass ? 'candidate' : 'rejected',
      trainer: out.trainer,
      features: spec.features,
      artifactSha256: sha,
      referenceSha256: referenceSha,
      artifactBytes: bytes.byteLength,
      metrics: newMetrics,
      championMetrics: oldMetrics,
      parentVersion: championVersion,
      labelCount: out.labelCount,
      trainingSamples: out.trainingSamples,
      datasetHash: out.datasetHash,
      dataRows: out.dataRows,
      decision,
      jobId: job.id,
      createdAt: at,
    });
    await tx.setTrainedThrough(spec.id, maxLabelId);
    await tx.updateJob(job.id, { status: 'completed', stage: null, progress: null, stages, result, finishedAt });
    await appendEvent(tx, {
      type: 'model.retrain.completed',
      modelId: job.modelId,
      runId: job.id,
      at: finishedAt,
      body: { previousVersion: championVersion, newVersion: version, metrics: newMetrics, previousMetrics: oldMetrics, promoted: promote, decision },
    });
    // The integrations' name for "a retrain produced a new version", with how it compares.
    await appendEvent(tx, {
      type: 'model.retrained',
      modelId: job.modelId,
      runId: job.id,
      at: finishedAt,
      body: { previousVersion: championVersion, newVersion: version, metrics: newMetrics, previousMetrics: oldMetrics, primaryMetric: primary, improvementPct: gate.improvementPct, promoted: promote, passedGates: gate.pass, decision },
    });
    const who = { actor: `retrain:${job.trigger}`, at: finishedAt, runId: job.id };
    if (promote) {
      await promoteVersion(tx, { modelId: spec.id, version, policy: spec.retrain.rollout, action: 'promote', reason: decision, numbers: null, metrics: newMetrics }, who);
    } else if (passed && championVersion !== null && mode !== 'direct') {
      await startChallenger(tx, { modelId: spec.id, version, champion: championVersion, mode, policy: spec.retrain.rollout, reason: decision, metrics: newMetrics }, who);
    }
  });
  if (promote) {
    deps.hub.emit('model:activated', { modelId: spec.id, version });
  } else if (passed && championVersion !== null && mode !== 'direct') {
    deps.hub.emit('model:challenger', { modelId: spec.id, version });
  }
  // Retention after every retrain; a failure here must not fail the run that already committed.
  try {
    await cleanupRetention(deps, spec.id, `retrain:${job.trigger}`);
  } catch (err) {
    deps.logger?.warn({ err, modelId: spec.id }, 'retention cleanup failed');
  }
  return { status: 'completed', result };
}

/** "1,234 labels, 17 excluded by rule, 2 replaced by a later label": what the window held and what was left out. */
export function describeLabels(c: CleanLabels): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const parts = [`${n(c.total)} label${c.total === 1 ? '' : 's'}`];
  if (c.excludedByRule > 0) parts.push(`${n(c.excludedByRule)} excluded by rule`);
  if (c.replaced > 0) parts.push(`${n(c.replaced)} replaced by a later label`);
  if (c.excludedByRule > 0 || c.replaced > 0) parts.push(`${n(c.rows.length)} used`);
  return parts.join(', ');
}

/** The smoke test of the stored artifact on the most recent rows, in the executor (a fresh worker thread in the server). */
async function smokeTest(deps: PipelineDeps, spec: ModelSpec, kind: string, sha: string, labels: readonly RawLabelRow[]): Promise<SmokeOutput> {
  let bytes: Uint8Array | null;
  try {
    bytes = await deps.store.getArtifact(sha);
  } catch (err) {
    return { ok: false, reason: `the stored artifact cannot be read: ${(err as Error).message}`, rows: 0, latencyMs: 0 };
  }
  if (!bytes) return { ok: false, reason: 'the stored artifact cannot be read back', rows: 0, latencyMs: 0 };
  const rows = labels.slice(-spec.retrain.smokeTest.rows).map((l) => l.features);
  const input = { kind, bytes, task: spec.task, rows, maxLatencyMs: spec.retrain.smokeTest.maxLatencyMs };
  try {
    return deps.executor.smoke ? await deps.executor.smoke(input) : runSmokeTest(input);
  } catch (err) {
    return { ok: false, reason: (err as Error).message, rows: rows.length, latencyMs: 0 };
  }
}

/** Record a run that trained nothing (too few new or usable labels), with the reason. */
async function skip(deps: PipelineDeps, job: RetrainJob, rec: StageRecorder, championVersion: string | null, primary: string, labelCount: number, decision: string): Promise<RunOutcome> {
  const result: RetrainResult = {
    oldVersion: championVersion,
    newVersion: null,
    promoted: false,
    oldMetrics: null,
    newMetrics: null,
    improvementPct: null,
    primaryMetric: primary,
    trainingSamples: 0,
    trainingMs: 0,
    labelCount,
    decision,
  };
  const stages = rec.close();
  const at = deps.clock.now();
  await commitWithEvents(deps.store, deps.hub, async (tx) => {
    await tx.updateJob(job.id, { status: 'skipped', stage: null, progress: null, stages, result, finishedAt: at });
    await appendEvent(tx, { type: 'model.retrain.skipped', modelId: job.modelId, runId: job.id, at, body: { previousVersion: championVersion, newVersion: null, metrics: null, reason: decision } });
  });
  return { status: 'skipped', result };
}
