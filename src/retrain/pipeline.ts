import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import type { CommandTable } from '../train/command/command-spec.js';
import { runReferenceCommand } from '../train/command/reference-command.js';
import { ReferencePredictor } from '../train/formats/reference.js';
import type { ComputeExecutor } from './executor.js';
import { cleanLabels, describeLabels, type ChampionTraining } from '../data/holdout.js';
import type { LabelWindowCache } from './label-window.js';
import { smokeTestStored, type SmokeOutput } from './smoke.js';
import { recordSkip } from './skip.js';
import { threadCapNow } from './training-threads.js';

/** What a retrain run needs. */
export interface PipelineDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly hub: EventHub;
  /** Where training runs: long-lived worker threads in the server, inline in some tests. */
  readonly executor: ComputeExecutor;
  readonly logger?: Logger;
  /** Commands declared in the server's config file, for command trainers. Default none. */
  readonly commands?: CommandTable;
  /** Directory under which each command-trainer job gets its own directory. Default: `<tmpdir>/refit-jobs`. */
  readonly workRoot?: string;
  /** Plug-in trainer modules (absolute paths), loaded inside the training worker too. Default none. */
  readonly plugins?: readonly string[];
  /** Training windows kept between retrains, so one whose window only grew reads only its new labels. Default none: each retrain reads its window whole. */
  readonly windows?: LabelWindowCache;
  /**
   * Most threads one fit may use (caps a trainer's `threads` param; see resolveTrainingThreads):
   * a number, or a function asked at each fit's start (serveTrainingThreads). Default: no cap.
   */
  readonly trainingThreads?: number | (() => number) | null;
}

/**
 * Appends a job's log to the store in order, batching whatever arrives while a write is in
 * flight, so a chatty command costs a few writes, not one per line.
 */
class JobLogWriter {
  private buffer = '';
  private pending: Promise<void> | null = null;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly jobId: string,
  ) {}

  write(text: string): void {
    this.buffer += text;
    this.pending ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.buffer !== '') {
        const text = this.buffer;
        this.buffer = '';
        await this.deps.store.appendJobLog(this.jobId, text, this.deps.clock.now());
      }
    } catch (err) {
      this.deps.logger?.warn({ err, jobId: this.jobId }, 'job log write failed');
    } finally {
      this.pending = null;
    }
  }

  /** Resolves once everything written so far is stored. */
  async flush(): Promise<void> {
    while (this.pending) await this.pending;
  }
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

/** The challenger's artifact and reference sample stored, and the artifact smoke-tested, while the challenger was evaluated. */
interface StoredEarly {
  readonly sha: string;
  readonly referenceSha: string;
  /** The trainer kind the smoke test loaded it as. */
  readonly kind: string;
  readonly smoke: SmokeOutput;
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
  const source = job.importSource ?? null;

  // 1. New labels since the last retrain.
  await rec.enter('loading labels');
  const watermark = await store.getTrainedThrough(spec.id);
  // Labels that arrive while this run trains count towards the next retrain.
  const maxLabelId = await store.maxLabelId(spec.id);
  const newLabels = await store.countLabelsAfter(spec.id, watermark);
  // An import needs test rows, not new labels.
  if (newLabels < spec.retrain.minNewLabels && !job.force && !source) {
    return recordSkip(deps, job, rec.close(), championVersion, primary, newLabels, `skipped: ${newLabels} new label${newLabels === 1 ? '' : 's'} since the last retrain, ${spec.retrain.minNewLabels} needed`);
  }

  if (spec.serving === 'external') return runExternal(job, deps, signal, rec, maxLabelId, newLabels);

  // 2–4. The window, then hash, split, train and score both models on the same test rows: in
  // the executor (a worker thread in the server), so the event loop stays free.
  const { clean, key: windowKey } = deps.windows
    ? await deps.windows.load(store, spec.id, spec.retrain.window, spec.retrain.labels, clock.now(), maxLabelId)
    : { clean: cleanLabels((await store.loadLabelsRaw(spec.id, spec.retrain.window, clock.now())).filter((l) => l.id <= maxLabelId), spec.retrain.labels), key: null };
  const labels = clean.rows;
  const labelSummary = describeLabels(clean);
  const minSamples = job.minSamples ?? spec.retrain.minSamples;
  if (labels.length < minSamples) {
    return recordSkip(deps, job, rec.close(), championVersion, primary, labels.length, `skipped: too few labels to train (${labelSummary}; ${minSamples} needed, minSamples)`);
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
  let imported: { format: 'xgboost-json' | 'onnx'; bytes: Uint8Array } | null = null;
  if (source) {
    const bytes = await store.getArtifact(source.sha256);
    if (!bytes) throw new UnrecoverableError(`The imported model file ${source.sha256} is missing from the artifact store.`);
    imported = { format: source.format, bytes };
  }
  const commandJob = spec.trainer.type === 'command' ? { id: job.id, workRoot: deps.workRoot ?? join(tmpdir(), 'refit-jobs'), commands: deps.commands ?? {} } : null;
  await rec.enter('training');
  const log = new JobLogWriter(deps, job.id);
  // While the challenger is evaluated in its thread, its artifact and the reference sample are
  // stored here and the artifact is smoke-tested in the smoke-test thread; the smoke test's
  // verdict counts only if the gates pass (a rejected version is stored all the same).
  const trained: { stored: Promise<StoredEarly> | null } = { stored: null };
  const onTrained = (bytes: Uint8Array, kind: string) => {
    if (trained.stored) return;
    trained.stored = (async () => {
      const sha = await store.artifacts.put(bytes);
      const referenceSha = await store.artifacts.put(referenceSample(labels));
      return { sha, referenceSha, kind, smoke: await smokeTestStored(deps, spec, kind, sha, labels) };
    })();
    // Awaited once the evaluation is done; a run that fails first leaves it unread.
    trained.stored.catch(() => {});
  };
  let out;
  try {
    out = await deps.executor.run(
      { spec, labels, windowKey, champion, championTraining, job: commandJob, imported, plugins: deps.plugins ?? [], threads: threadCapNow(deps.trainingThreads) },
      { signal, onProgress: (f) => rec.progress(f), onLog: (text) => log.write(text), onTrained },
    );
  } finally {
    await log.flush();
  }
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
  const gate =
    out.noFairRows && championVersion !== null
      ? { ...decided, pass: false, reasons: [`no test row that the champion ${championVersion} did not train on (every recent label was in its training rows); retrain when new labels arrive`] }
      : decided;

  // 5–7. Register, and promote when the gates pass and autoPromote is on.
  await rec.enter('promoting');
  const bytes = out.challengerBytes;
  const at = clock.now();
  // An executor that did not report the trained artifact early: store it now.
  const early = trained.stored ? await trained.stored : null;
  const sha = early?.sha ?? (await store.artifacts.put(bytes));
  const referenceSha = early?.referenceSha ?? (await store.artifacts.put(referenceSample(labels)));
  const latest = await store.latestVersion(spec.id);
  // The number says what changed since the latest version (trainer or features: major; same data, new params: patch).
  const change = versionChange(latest, { trainer: out.trainer, features: spec.features, datasetHash: out.datasetHash });
  const version = nextVersion(latest?.version ?? null, at, change.change);
  // Nothing is activated (or offered for activation) before its stored bytes load and score.
  const smoke = gate.pass ? (early && early.kind === out.trainer.type ? early.smoke : await smokeTestStored(deps, spec, out.trainer.type, sha, labels)) : null;
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

/**
 * The retrain of an externally served model: run its reference command, record the reference it
 * printed as a new version and promote it (there are no test rows to compare: the application
 * serves the model, and its live accept rate judges it). Version, job, events commit together.
 */
async function runExternal(job: RetrainJob, deps: PipelineDeps, signal: AbortSignal, rec: StageRecorder, maxLabelId: number, newLabels: number): Promise<RunOutcome> {
  const { store, clock } = deps;
  const model = await store.getModel(job.modelId);
  if (!model) throw new UnrecoverableError(`Model '${job.modelId}' no longer exists.`);
  const spec = model.spec;
  const name = String(spec.trainer.params.command);
  const declared = deps.commands && Object.hasOwn(deps.commands, name) ? deps.commands[name] : undefined;
  if (!declared) throw new UnrecoverableError(`command '${name}' is not declared in the server's config file`);
  const championVersion = model.activeVersion;
  const champion = championVersion ? await store.getVersion(spec.id, championVersion) : null;
  const previous = champion?.trainer.type === 'external' ? String(champion.trainer.params.reference ?? '') : null;
  await rec.enter('training');
  const log = new JobLogWriter(deps, job.id);
  const started = performance.now();
  let reference: string;
  try {
    reference = await runReferenceCommand({
      name,
      declared,
      modelId: spec.id,
      jobId: job.id,
      workRoot: deps.workRoot ?? join(tmpdir(), 'refit-jobs'),
      previous,
      seed: spec.retrain.seed,
      signal,
      onLog: (text) => log.write(text),
    });
  } finally {
    await log.flush();
  }
  const trainingMs = Math.round(performance.now() - started);
  await rec.enter('promoting');
  const bytes = new ReferencePredictor(reference).serialize();
  const sha = await store.artifacts.put(bytes);
  const at = clock.now();
  const version = nextVersion((await store.latestVersion(spec.id))?.version ?? null, at);
  const decision = `promoted: externally served; command '${name}' printed the new model reference '${reference}'`;
  const result: RetrainResult = {
    oldVersion: championVersion,
    newVersion: version,
    promoted: true,
    oldMetrics: null,
    newMetrics: null,
    improvementPct: null,
    primaryMetric: primaryMetric(spec.task),
    trainingSamples: 0,
    trainingMs,
    labelCount: newLabels,
    decision,
  };
  const stages = rec.close();
  await commitWithEvents(store, deps.hub, async (tx) => {
    await tx.insertVersion({
      modelId: spec.id,
      version,
      status: 'candidate',
      trainer: { type: 'external', params: { command: name, reference } },
      features: spec.features,
      artifactSha256: sha,
      referenceSha256: null,
      artifactBytes: bytes.byteLength,
      metrics: {},
      championMetrics: null,
      parentVersion: championVersion,
      labelCount: newLabels,
      trainingSamples: 0,
      datasetHash: '',
      decision,
      jobId: job.id,
      createdAt: at,
    });
    await tx.setTrainedThrough(spec.id, maxLabelId);
    await tx.updateJob(job.id, { status: 'completed', stage: null, progress: null, stages, result, finishedAt: at });
    await appendEvent(tx, {
      type: 'model.retrain.completed',
      modelId: spec.id,
      runId: job.id,
      at,
      body: { previousVersion: championVersion, newVersion: version, metrics: null, previousMetrics: null, promoted: true, decision, reference },
    });
    await appendEvent(tx, {
      type: 'model.retrained',
      modelId: spec.id,
      runId: job.id,
      at,
      body: { previousVersion: championVersion, newVersion: version, metrics: null, previousMetrics: null, primaryMetric: primaryMetric(spec.task), improvementPct: null, promoted: true, passedGates: true, decision, reference },
    });
    await promoteVersion(tx, { modelId: spec.id, version, policy: spec.retrain.rollout, action: 'promote', reason: decision, numbers: { reference }, metrics: null }, { actor: `retrain:${job.trigger}`, at, runId: job.id });
  });
  deps.hub.emit('model:activated', { modelId: spec.id, version });
  deps.logger?.info({ modelId: spec.id, jobId: job.id, trigger: job.trigger, previousVersion: championVersion, version, reference }, `externally served model '${spec.id}' retrained by its command: version ${version} is the reference '${reference}'`);
  return { status: 'completed', result };
}
