import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Settings } from '../config/settings.js';
import { activationDto, jobDto, modelDto, timelineDto, versionDto } from '../http/dto.js';
import type { DriftResult } from '../monitor/drift.js';
import type { PerformanceReport } from '../monitor/monitor.js';
import { createRefit, type Refit } from '../service/index.js';
import type { ScoreItem } from '../serve/scorer.js';
import { artifactLocation } from '../store/artifact-store.js';
import { createStore, isPostgresUrl } from '../store/create-store.js';
import type { ActivationView, Client, JobUpdate, JobView, ModelView, ScheduleView, StatusView, TimelineView, VersionView } from './client.js';
import { TERMINAL_STATUSES } from './client.js';
import { ClientError, asClientErrors } from './client-error.js';

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
    const store = await createStore({ url, artifacts: artifactLocation(settings.artifactDir) });
    return new DirectClient(createRefit({ store }).refit, url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@'), options);
  }

  listModels(): Promise<ModelView[]> {
    return asClientErrors(async () => (await this.refit.listModels()).map(modelView));
  }

  getModel(modelId: string): Promise<ModelView> {
    return asClientErrors(async () => modelView(await this.refit.getModel(modelId)));
  }

  createModel(spec: unknown): Promise<ModelView> {
    return asClientErrors(async () => modelView(await this.refit.createModel(spec)));
  }

  addLabels(modelId: string, items: readonly unknown[]): Promise<{ accepted: number }> {
    return asClientErrors(async () => {
      const { accepted } = await this.refit.addLabels(modelId, items);
      return { accepted };
    });
  }

  score(modelId: string, items: readonly unknown[]): Promise<ScoreItem[]> {
    return asClientErrors(() => this.refit.score(modelId, items));
  }

  status(modelId: string): Promise<StatusView> {
    return asClientErrors(async () => {
      const s = await this.refit.status(modelId);
      return { ...s, currentJob: s.currentJob ? jobView(s.currentJob) : null, lastJob: s.lastJob ? jobView(s.lastJob) : null };
    });
  }

  history(modelId: string, page: { limit: number; offset: number }): Promise<{ items: JobView[]; total: number }> {
    return asClientErrors(async () => {
      const p = await this.refit.history(modelId, page);
      return { items: p.items.map(jobView), total: p.total };
    });
  }

  versions(modelId: string): Promise<{ activeVersion: string | null; items: VersionView[] }> {
    return asClientErrors(async () => {
      const model = await this.refit.getModel(modelId);
      const items = (await this.refit.listVersions(modelId)).map((v) => versionDto(v) as unknown as VersionView);
      return { activeVersion: model.activeVersion, items };
    });
  }

  listSchedules(modelId?: string): Promise<ScheduleView[]> {
    return asClientErrors(() => this.refit.listSchedules(modelId));
  }

  rollback(modelId: string, version?: string): Promise<ActivationView> {
    return asClientErrors(async () => activationDto(await this.refit.rollback(modelId, version, 'cli')) as unknown as ActivationView);
  }

  timeline(modelId: string, page: { limit: number; offset: number }): Promise<{ items: TimelineView[]; total: number }> {
    return asClientErrors(async () => {
      const p = await this.refit.timeline(modelId, page);
      return { items: p.items.map(timelineDto) as unknown as TimelineView[], total: p.total };
    });
  }

  promote(modelId: string, version: string, reason: string): Promise<ActivationView> {
    return asClientErrors(async () => activationDto(await this.refit.promote(modelId, { version, reason }, 'cli')) as unknown as ActivationView);
  }

  drift(modelId: string): Promise<DriftResult> {
    return asClientErrors(() => this.refit.drift(modelId));
  }

  performance(modelId: string, windowHours: number, windows: number): Promise<PerformanceReport> {
    return asClientErrors(() => this.refit.performance(modelId, windowHours, windows));
  }

  retrain(modelId: string, options: { force: boolean }): Promise<{ jobId: string; status: string; joined: boolean }> {
    return asClientErrors(async () => {
      const { job, joined } = await this.refit.retrain(modelId, { trigger: 'manual', force: options.force, join: true });
      return { jobId: job.id, status: job.status, joined };
    });
  }

  getJob(jobId: string): Promise<JobView> {
    return asClientErrors(async () => jobView(await this.refit.getJob(jobId)));
  }

  cancelJob(jobId: string): Promise<JobView> {
    return asClientErrors(async () => jobView(await this.refit.cancelJob(jobId)));
  }

  async followJob(jobId: string, onUpdate: (update: JobUpdate) => void, signal?: AbortSignal): Promise<JobView> {
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

  async close(): Promise<void> {
    await this.refit.close();
  }
}

function modelView(m: Parameters<typeof modelDto>[0]): ModelView {
  return modelDto(m) as unknown as ModelView;
}

function jobView(j: Parameters<typeof jobDto>[0]): JobView {
  return jobDto(j) as unknown as JobView;
}
