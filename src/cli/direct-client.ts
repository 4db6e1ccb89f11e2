import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { retentionPolicy } from '../config/retention-settings.js';
import type { Settings } from '../config/settings.js';
import type {
  JobLogWire,
  ActivationWire,
  DriftWire,
  JobPageWire,
  JobWire,
  LabelsAcceptedWire,
  ModelWire,
  PerformanceWire,
  RetrainStartedWire,
  RetrainStatusWire,
  ScheduleWire,
  ScoreItemWire,
  TimelinePageWire,
  VersionListWire,
  WorkerListWire,
  DeliveryWire,
  WebhookCreatedWire,
  WebhookTestWire,
  WebhookWire,
  PruneResultWire,
  StorageReportWire,
} from '../contract/index.js';
import { toDeliveryWire, toWebhookWire } from '../contract/webhook-mappers.js';
import { toPruneResultWire, toStorageReportWire } from '../contract/storage-mappers.js';
import { toActivationWire, toDriftWire, toJobWire, toModelWire, toPerformanceWire, toRetrainStatusWire, toTimelineEntryWire, toVersionWire } from '../contract/mappers.js';
import { createRefit, type Refit } from '../service/index.js';
import { artifactLocation } from '../store/artifact-store.js';
import { createStore, isPostgresUrl } from '../store/create-store.js';
import type { Client, JobUpdate } from './client.js';
import { TERMINAL_STATUSES } from './client.js';
import { ClientError, asClientErrors } from './client-error.js';

/** Who the audit trail names for changes made on the database directly. */
export const DIRECT_ACTOR = 'cli-direct';

/** Options of the direct client. */
export interface DirectClientOptions {
  /** How often a job run by another process is polled, in milliseconds. Default 250. */
  readonly pollIntervalMs?: number;
}

/**
 * The client that opens the store itself and calls the library API in this process; a retrain
 * it starts runs here too, so the process must stay up until the job ends.
 */
export class DirectClient implements Client {
  readonly mode = 'direct' as const;
  private readonly pollIntervalMs: number;

  /** @param target what the store is, for messages (the database URL). */
  constructor(
    readonly refit: Refit,
    readonly target: string,
    options: DirectClientOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
  }

  /**
   * Open the store the settings name. With `mustExist` (the CLI's default), a SQLite database
   * that does not exist yet is an error rather than silently created in the wrong directory.
   */
  static async open(settings: Settings, options: DirectClientOptions & { mustExist?: boolean } = {}): Promise<DirectClient> {
    const url = settings.databaseUrl;
    if ((options.mustExist ?? true) && !isPostgresUrl(url)) {
      const path = url.replace(/^sqlite:(\/\/)?/i, '');
      if (path !== ':memory:' && !existsSync(path)) {
        throw new ClientError({
          code: 'NO_DATA',
          title: 'No Refit data here',
          detail: `There is no database at ${path}. Pass --data-dir with the directory \`refit serve\` uses, or --server with its URL.`,
        });
      }
    }
    // The same store the server opens: its schema and its artifact place too.
    const store = await createStore({ url, artifacts: artifactLocation(settings.artifactDir), sqliteSynchronous: settings.sqliteSynchronous, ...(settings.databaseSchema ? { schema: settings.databaseSchema } : {}) });
    return new DirectClient(createRefit({ store, retention: retentionPolicy(settings) }).refit, url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@'), options);
  }

  listModels(): Promise<ModelWire[]> {
    return asClientErrors(async () => (await this.refit.listModels()).map(toModelWire));
  }

  getModel(modelId: string): Promise<ModelWire> {
    return asClientErrors(async () => toModelWire(await this.refit.getModel(modelId)));
  }

  createModel(spec: unknown): Promise<ModelWire> {
    return asClientErrors(async () => toModelWire(await this.refit.createModel(spec)));
  }

  addLabels(modelId: string, items: readonly unknown[]): Promise<Pick<LabelsAcceptedWire, 'accepted'>> {
    return asClientErrors(async () => {
      const { accepted } = await this.refit.addLabels(modelId, items);
      return { accepted };
    });
  }

  score(modelId: string, items: readonly unknown[]): Promise<ScoreItemWire[]> {
    return asClientErrors(() => this.refit.score(modelId, items));
  }

  /** Opened directly, this process is the one that trains: no workers. */
  async workers(): Promise<WorkerListWire> {
    return { mode: 'in-process', items: [] };
  }

  status(modelId: string): Promise<RetrainStatusWire> {
    return asClientErrors(async () => {
      return toRetrainStatusWire(await this.refit.status(modelId));
    });
  }

  history(modelId: string, page: { limit: number; offset: number }): Promise<Pick<JobPageWire, 'items' | 'total'>> {
    return asClientErrors(async () => {
      const p = await this.refit.history(modelId, page);
      return { items: p.items.map(toJobWire), total: p.total };
    });
  }

  versions(modelId: string): Promise<VersionListWire> {
    return asClientErrors(async () => {
      const model = await this.refit.getModel(modelId);
      const items = (await this.refit.listVersions(modelId)).map(toVersionWire);
      return { activeVersion: model.activeVersion, items };
    });
  }

  listWebhooks(): Promise<WebhookWire[]> {
    return asClientErrors(async () => (await this.refit.listWebhooks()).map(toWebhookWire));
  }

  createWebhook(input: unknown): Promise<WebhookCreatedWire> {
    return asClientErrors(async () => {
      const { webhook, secret } = await this.refit.createWebhook(input);
      return { ...toWebhookWire(webhook), secret };
    });
  }

  updateWebhook(id: string, input: unknown): Promise<WebhookWire> {
    return asClientErrors(async () => toWebhookWire(await this.refit.updateWebhook(id, input)));
  }

  deleteWebhook(id: string): Promise<void> {
    return asClientErrors(() => this.refit.deleteWebhook(id));
  }

  testWebhook(id: string): Promise<WebhookTestWire> {
    return asClientErrors(async () => {
      const out = await this.refit.testWebhook(id);
      return { eventId: out.eventId, ok: out.ok, statusCode: out.statusCode, durationMs: out.durationMs, excerpt: out.excerpt };
    });
  }

  webhookDeliveries(id: string, options: { status?: 'pending' | 'delivered' | 'dead'; limit: number }): Promise<DeliveryWire[]> {
    return asClientErrors(async () => (await this.refit.listDeliveries(await this.refit.webhookSinkId(id), options)).map(toDeliveryWire));
  }

  redeliverWebhook(id: string, deliveryId?: number): Promise<number> {
    return asClientErrors(async () => this.refit.redeliver(await this.refit.webhookSinkId(id), deliveryId));
  }

  listSchedules(modelId?: string): Promise<ScheduleWire[]> {
    return asClientErrors(() => this.refit.listSchedules(modelId));
  }

  rollback(modelId: string, version?: string): Promise<ActivationWire> {
    return asClientErrors(() =>
      this.audited('model.rollback', modelId, async () => {
        const a = await this.refit.rollback(modelId, version, 'cli');
        return { result: toActivationWire(a), version: a.toVersion };
      }),
    );
  }

  timeline(modelId: string, page: { limit: number; offset: number }): Promise<Pick<TimelinePageWire, 'items' | 'total'>> {
    return asClientErrors(async () => {
      const p = await this.refit.timeline(modelId, page);
      return { items: p.items.map(toTimelineEntryWire), total: p.total };
    });
  }

  promote(modelId: string, version: string, reason: string): Promise<ActivationWire> {
    return asClientErrors(() =>
      this.audited('model.promote', modelId, async () => {
        const a = await this.refit.promote(modelId, { version, reason }, 'cli');
        return { result: toActivationWire(a), version: a.toVersion, detail: { reason } };
      }),
    );
  }

  drift(modelId: string): Promise<DriftWire> {
    return asClientErrors(async () => toDriftWire(await this.refit.drift(modelId)));
  }

  performance(modelId: string, windowHours: number, windows: number): Promise<PerformanceWire> {
    return asClientErrors(async () => toPerformanceWire(await this.refit.performance(modelId, windowHours, windows)));
  }

  retrain(modelId: string, options: { force: boolean }): Promise<RetrainStartedWire> {
    return asClientErrors(() =>
      this.audited('retrain.start', modelId, async () => {
        const { job, joined } = await this.refit.retrain(modelId, { trigger: 'manual', force: options.force, join: true });
        return { result: { jobId: job.id, status: job.status, joined }, detail: { jobId: job.id, joined } };
      }),
    );
  }

  getJob(jobId: string): Promise<JobWire> {
    return asClientErrors(async () => toJobWire(await this.refit.getJob(jobId)));
  }

  jobLog(jobId: string): Promise<JobLogWire> {
    return asClientErrors(async () => {
      const { job, log } = await this.refit.jobLog(jobId);
      return { jobId: job.id, status: job.status, log };
    });
  }

  cancelJob(jobId: string): Promise<JobWire> {
    return asClientErrors(async () => toJobWire(await this.refit.cancelJob(jobId)));
  }

  async followJob(jobId: string, onUpdate: (update: JobUpdate) => void, signal?: AbortSignal): Promise<JobWire> {
    // Live stages and progress from this process's runner; a job another process runs is polled.
    const off = this.refit.onEvent('retrain:progress', (p) => {
      if (p.jobId === jobId) onUpdate({ stage: p.stage, progress: p.progress, stagesDone: [] });
    });
    try {
      await this.refit.whenIdle();
      for (;;) {
        const job = await this.getJob(jobId);
        if (TERMINAL_STATUSES.has(job.status)) return job;
        onUpdate({ stage: job.stage, progress: job.progress, stagesDone: job.stages.map((s) => s.name) });
        await delay(this.pollIntervalMs, undefined, signal ? { signal } : undefined);
      }
    } finally {
      off();
    }
  }

  storage(): Promise<StorageReportWire> {
    return asClientErrors(async () => toStorageReportWire(await this.refit.storage()));
  }

  /** Prunes in this process, on the database directly (the pruner records it in the audit trail, as asked by `cli-direct`). */
  prune(options: { dryRun: boolean; tables?: readonly ('scores' | 'labels')[] }): Promise<PruneResultWire> {
    return asClientErrors(async () => toPruneResultWire(await this.refit.prune({ dryRun: options.dryRun, ...(options.tables ? { tables: options.tables } : {}) }, DIRECT_ACTOR)));
  }

  async close(): Promise<void> {
    await this.refit.close();
  }

  /** Run a change and record it in the audit trail as `cli-direct` (no key: whoever can open the database). */
  private async audited<T>(action: string, modelId: string, run: () => Promise<{ result: T; version?: string | null; detail?: Record<string, unknown> }>): Promise<T> {
    try {
      const { result, version, detail } = await run();
      await this.refit.audit({ actor: DIRECT_ACTOR, action, modelId, version: version ?? null, outcome: 'ok', detail: detail ?? null });
      return result;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      await this.refit.audit({ actor: DIRECT_ACTOR, action, modelId, outcome: typeof code === 'string' ? code : 'INTERNAL' }).catch(() => {});
      throw err;
    }
  }
}
