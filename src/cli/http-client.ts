import { setTimeout as delay } from 'node:timers/promises';
import { ERROR_CATALOGUE } from '../errors.js';
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
import type { Client, JobUpdate } from './client.js';
import { TERMINAL_STATUSES } from './client.js';
import { ClientError } from './client-error.js';

/** Options of the HTTP client. */
export interface HttpClientOptions {
  /** How often a followed job is polled, in milliseconds. Default 250. */
  readonly pollIntervalMs?: number;
  /** API key sent as `authorization: Bearer <key>`. Default: none. */
  readonly apiKey?: string;
}

/** The client for a running Refit server, through its HTTP API (global fetch). */
export class HttpClient implements Client {
  readonly mode = 'http' as const;
  readonly target: string;
  private readonly base: string;
  private readonly pollIntervalMs: number;
  private readonly apiKey: string | undefined;

  /** @param baseUrl the server's address, e.g. http://127.0.0.1:8080 */
  constructor(baseUrl: string, options: HttpClientOptions = {}) {
    this.base = baseUrl.replace(/\/+$/, '');
    this.target = this.base;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.apiKey = options.apiKey;
  }

  async listModels(): Promise<ModelWire[]> {
    return (await this.request<{ items: ModelWire[] }>('GET', '/api/v1/models')).items;
  }

  getModel(modelId: string): Promise<ModelWire> {
    return this.request('GET', `/api/v1/models/${enc(modelId)}`);
  }

  createModel(spec: unknown): Promise<ModelWire> {
    return this.request('POST', '/api/v1/models', spec);
  }

  addLabels(modelId: string, items: readonly unknown[]): Promise<LabelsAcceptedWire> {
    return this.request('POST', `/api/v1/models/${enc(modelId)}/labels`, { items });
  }

  async score(modelId: string, items: readonly unknown[]): Promise<ScoreItemWire[]> {
    return (await this.request<{ items: ScoreItemWire[] }>('POST', `/api/v1/models/${enc(modelId)}/score`, { items })).items;
  }

  status(modelId: string): Promise<RetrainStatusWire> {
    return this.request('GET', `/api/v1/models/${enc(modelId)}/retrain/status`);
  }

  workers(): Promise<WorkerListWire> {
    return this.request('GET', '/api/v1/workers');
  }

  history(modelId: string, page: { limit: number; offset: number }): Promise<JobPageWire> {
    return this.request('GET', `/api/v1/models/${enc(modelId)}/retrain/history?limit=${page.limit}&offset=${page.offset}`);
  }

  versions(modelId: string): Promise<VersionListWire> {
    return this.request('GET', `/api/v1/models/${enc(modelId)}/versions`);
  }

  async listSchedules(modelId?: string): Promise<ScheduleWire[]> {
    const query = modelId === undefined ? '' : `?modelId=${enc(modelId)}`;
    return (await this.request<{ items: ScheduleWire[] }>('GET', `/api/v1/schedules${query}`)).items;
  }

  rollback(modelId: string, version?: string): Promise<ActivationWire> {
    return this.request('POST', `/api/v1/models/${enc(modelId)}/rollback`, version === undefined ? {} : { version });
  }

  retrain(modelId: string, options: { force: boolean }): Promise<RetrainStartedWire> {
    return this.request('POST', `/api/v1/models/${enc(modelId)}/retrain`, { force: options.force, join: true });
  }

  timeline(modelId: string, page: { limit: number; offset: number }): Promise<TimelinePageWire> {
    return this.request('GET', `/api/v1/models/${enc(modelId)}/timeline?limit=${page.limit}&offset=${page.offset}`);
  }

  promote(modelId: string, version: string, reason: string): Promise<ActivationWire> {
    return this.request('POST', `/api/v1/models/${enc(modelId)}/promote`, { version, reason, actor: 'cli' });
  }

  drift(modelId: string): Promise<DriftWire> {
    return this.request('GET', `/api/v1/models/${enc(modelId)}/drift`);
  }

  performance(modelId: string, windowHours: number, windows: number): Promise<PerformanceWire> {
    return this.request('GET', `/api/v1/models/${enc(modelId)}/performance?window=${windowHours}h&windows=${windows}`);
  }

  getJob(jobId: string): Promise<JobWire> {
    return this.request('GET', `/api/v1/jobs/${enc(jobId)}`);
  }

  jobLog(jobId: string): Promise<JobLogWire> {
    return this.request('GET', `/api/v1/jobs/${enc(jobId)}/log`);
  }

  cancelJob(jobId: string): Promise<JobWire> {
    return this.request('POST', `/api/v1/jobs/${enc(jobId)}/cancel`);
  }

  async followJob(jobId: string, onUpdate: (update: JobUpdate) => void, signal?: AbortSignal): Promise<JobWire> {
    for (;;) {
      const job = await this.getJob(jobId);
      if (TERMINAL_STATUSES.has(job.status)) return job;
      onUpdate({ stage: job.stage, progress: job.progress, stagesDone: job.stages.map((s) => s.name) });
      await delay(this.pollIntervalMs, undefined, signal ? { signal } : undefined);
    }
  }

  async close(): Promise<void> {}

  /** The one place a response becomes typed: the server serializes it through the contract's schema for `T`. */
  async listWebhooks(): Promise<WebhookWire[]> {
    return (await this.request<{ items: WebhookWire[] }>('GET', '/api/v1/webhooks')).items;
  }

  createWebhook(input: unknown): Promise<WebhookCreatedWire> {
    return this.request('POST', '/api/v1/webhooks', input);
  }

  updateWebhook(id: string, input: unknown): Promise<WebhookWire> {
    return this.request('PATCH', `/api/v1/webhooks/${enc(id)}`, input);
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.request('DELETE', `/api/v1/webhooks/${enc(id)}`);
  }

  testWebhook(id: string): Promise<WebhookTestWire> {
    return this.request('POST', `/api/v1/webhooks/${enc(id)}/test`);
  }

  async webhookDeliveries(id: string, options: { status?: 'pending' | 'delivered' | 'dead'; limit: number }): Promise<DeliveryWire[]> {
    const status = options.status ? `&status=${options.status}` : '';
    return (await this.request<{ items: DeliveryWire[] }>('GET', `/api/v1/webhooks/${enc(id)}/deliveries?limit=${options.limit}${status}`)).items;
  }

  async redeliverWebhook(id: string, deliveryId?: number): Promise<number> {
    const path = deliveryId === undefined ? `/api/v1/webhooks/${enc(id)}/redeliver` : `/api/v1/webhooks/${enc(id)}/deliveries/${deliveryId}/redeliver`;
    return (await this.request<{ queued: number }>('POST', path)).queued;
  }

  storage(): Promise<StorageReportWire> {
    return this.request('GET', '/api/v1/storage');
  }

  prune(options: { dryRun: boolean; tables?: readonly ('scores' | 'labels')[] }): Promise<PruneResultWire> {
    return this.request('POST', '/api/v1/storage/prune', { dryRun: options.dryRun, ...(options.tables ? { tables: options.tables } : {}) });
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = this.base + path;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json, application/problem+json',
          ...(this.apiKey !== undefined ? { authorization: `Bearer ${this.apiKey}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new ClientError(
        { code: 'SERVER_UNAVAILABLE', title: ERROR_CATALOGUE.SERVER_UNAVAILABLE.title, detail: `${method} ${url} failed (${why}). Is \`refit serve\` running there?` },
        { cause: err },
      );
    }
    const text = await res.text();
    let doc: unknown = undefined;
    if (text.length > 0) {
      try {
        doc = JSON.parse(text);
      } catch {
        doc = undefined;
      }
    }
    if (!res.ok) {
      if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
        const problem = doc as Record<string, unknown>;
        // Say how the CLI sends a key: the server's words are about headers.
        if ((res.status === 401 || res.status === 403) && typeof problem.detail === 'string') {
          problem.detail += this.apiKey === undefined ? ' Set REFIT_API_KEY (or pass --api-key) to a key with the scope needed.' : ' Use a key with the scope needed (REFIT_API_KEY or --api-key).';
        }
        throw ClientError.fromProblem(problem, res.status);
      }
      throw new ClientError({ code: `HTTP_${res.status}`, title: `HTTP ${res.status} ${res.statusText}`.trim(), detail: text.slice(0, 200), status: res.status });
    }
    if (doc === undefined && text.length > 0) {
      throw new ClientError({ code: 'BAD_RESPONSE', title: 'Unexpected response', detail: `${method} ${url} did not answer with JSON: ${text.slice(0, 200)}`, status: res.status });
    }
    return doc as T;
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
