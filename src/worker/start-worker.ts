import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { findConfigFile, loadServerConfig } from '../config/config-file.js';
import type { Settings } from '../config/settings.js';
import { systemClock } from '../domain/clock.js';
import { RefitError } from '../errors.js';
import { EventHub } from '../events/hub.js';
import type { ComputeExecutor } from '../retrain/executor.js';
import { WorkerExecutor } from '../retrain/executor.js';
import { LabelWindowCache } from '../retrain/label-window.js';
import { resolveTrainingThreads } from '../retrain/training-threads.js';
import { WARM_UP_SPEC, warmUpInput } from '../retrain/warm-up.js';
import { parseModelSpec } from '../config/model-spec.js';
import { claimOwnerId } from '../retrain/job-owner.js';
import type { PipelineDeps } from '../retrain/pipeline.js';
import { artifactLocation } from '../store/artifact-store.js';
import { createStore } from '../store/create-store.js';
import { bridgeActivations } from './activations.js';
import { redisConnection } from './redis.js';
import { RetrainWorker } from './retrain-worker.js';

/** A running `refit worker`. */
export interface RunningWorker {
  readonly worker: RetrainWorker;
  /** The address of its health endpoints (`/healthz`, `/readyz`), or null when it listens on none. */
  readonly url: string | null;
  /** Stop taking jobs, finish or hand back the running one within `graceMs`, and close every connection. */
  close(graceMs?: number): Promise<void>;
}

/** Refuse to start a distributed role without its Redis. */
export function requireRedis(settings: Settings, role: string): string {
  if (settings.redisUrl === null) {
    throw new RefitError('VALIDATION_FAILED', `${role} needs a Redis for its job queue.`, { errors: [{ path: '/redisUrl', message: 'set REFIT_REDIS_URL (or --redis-url) to redis://host:6379' }] });
  }
  return settings.redisUrl;
}

/**
 * Start a worker: open the store, connect to Redis, and take retrain jobs from the BullMQ queue
 * until `close()`. Its activations are announced to the API processes. With `listen`, it answers
 * `/healthz` (alive, store reachable) and `/readyz` (taking jobs) on that port.
 */
export async function startWorker(settings: Settings, options: { logger: Logger; executor?: ComputeExecutor; listen?: { host: string; port: number }; cwd?: string }): Promise<RunningWorker> {
  const redisUrl = requireRedis(settings, 'refit worker');
  const { logger } = options;
  // The same config file as the API processes: its commands (command trainers) and plug-in
  // trainers are what this worker may run; its models are the API processes' business.
  const configPath = findConfigFile(settings.configFile, options.cwd ?? process.cwd());
  const config = configPath ? await loadServerConfig(configPath) : { commands: {}, plugins: [] };
  const store = await createStore({ url: settings.databaseUrl, ...(settings.databaseSchema ? { schema: settings.databaseSchema } : {}), artifacts: artifactLocation(settings.artifactDir), sqliteSynchronous: settings.sqliteSynchronous, sqliteBackgroundCheckpoints: true });
  const connection = redisConnection(redisUrl);
  const subscriber = redisConnection(redisUrl);
  const activationSub = redisConnection(redisUrl);
  const hub = new EventHub((err, event) => logger.error({ err, event }, 'event listener failed'));
  const deps: PipelineDeps = {
    store,
    clock: systemClock,
    hub,
    logger,
    executor: options.executor ?? new WorkerExecutor(),
    windows: new LabelWindowCache(),
    // Nothing to score here: a fit may use every core unless the setting says otherwise.
    trainingThreads: resolveTrainingThreads(settings.trainingThreads, 'worker'),
    commands: config.commands,
    plugins: config.plugins,
    // Command trainers get a fresh directory per job here, named by the job id.
    workRoot: join(settings.dataDir, 'jobs'),
  };
  // The first job finds its threads started and its code compiled (src/retrain/warm-up.ts).
  deps.executor.warm?.(warmUpInput(parseModelSpec(WARM_UP_SPEC), resolveTrainingThreads(settings.trainingThreads, 'worker')));
  const owner = claimOwnerId();
  const worker = new RetrainWorker(deps, { connection, subscriber, prefix: settings.queuePrefix, ownerId: owner.id, concurrency: settings.workerConcurrency, leaseMs: settings.workerLeaseMs });
  const stopBridge = await bridgeActivations({ hub, publisher: connection, subscriber: activationSub, prefix: settings.queuePrefix, logger });
  await worker.start();
  let server: Server | null = null;
  let url: string | null = null;
  if (options.listen) {
    server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const reply = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (path === '/healthz') {
        store.getModel('__healthz__').then(
          () => reply(200, { status: 'ok', store: store.dialect, role: 'worker' }),
          (err: unknown) => (logger.warn({ err }, 'readiness: the store is unreachable'), reply(503, { status: 'unavailable', reason: 'the store is unreachable' })),
        );
      } else if (path === '/readyz') {
        if (worker.isReady) reply(200, { status: 'ready', role: 'worker', id: worker.id, currentJobs: worker.currentJobs });
        else reply(503, { status: 'not ready', role: 'worker', id: worker.id });
      } else reply(404, { status: 'not found' });
    });
    const srv = server;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(options.listen!.port, options.listen!.host, () => resolve());
    });
    const a = srv.address() as AddressInfo;
    url = `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
  }
  logger.info({ id: worker.id, prefix: settings.queuePrefix, concurrency: settings.workerConcurrency }, `Refit worker ${worker.id} taking retrain jobs (store: ${store.dialect})${url ? `; health at ${url}/healthz` : ''}`);
  return {
    worker,
    url,
    async close(graceMs = 10_000) {
      await worker.stop(graceMs);
      // No job runs any more: end the training threads.
      await deps.executor.close?.();
      await stopBridge();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      owner.release();
      for (const c of [connection, subscriber, activationSub]) await c.quit().catch(() => c.disconnect());
      await store.close();
    },
  };
}
