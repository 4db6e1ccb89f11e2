import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { join } from 'node:path';
import { findConfigFile, loadServerConfig } from './config/config-file.js';
import { createLogger } from './create-logger.js';
import { retentionPolicy } from './config/retention-settings.js';
import type { Settings } from './config/settings.js';
import { startDemo } from './demo.js';
import { RefitError } from './errors.js';
import { slackSink } from './events/delivery/http-sinks.js';
import { redisSink } from './events/delivery/redis-sink.js';
import type { Sink } from './events/delivery/sink.js';
import { buildApp, isLoopback } from './http/app.js';
import type { ReadinessWire, WorkerListWire } from './contract/index.js';
import type { ComputeExecutor } from './retrain/executor.js';
import type { PipelineDeps } from './retrain/pipeline.js';
import { LoopLoad, serveTrainingThreads, serveWarmUpThreads } from './retrain/training-threads.js';
import { WARM_UP_SPEC, warmUpInput } from './retrain/warm-up.js';
import { parseModelSpec } from './config/model-spec.js';
import { createRefit, type Refit, type RefitParts } from './service/index.js';
import { artifactLocation } from './store/artifact-store.js';
import { createStore } from './store/create-store.js';
import { bridgeActivations } from './worker/activations.js';
import { BullmqQueue } from './worker/bullmq-queue.js';
import { redisConnection } from './worker/redis.js';
import { requireRedis } from './worker/start-worker.js';
import { listWorkers } from './worker/workers.js';

/** The package version, for the OpenAPI document and `--version`. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** How long an API process with Redis keeps a model's serving view between announcements (ms): changes that announce nothing (a spec edit elsewhere) show within it. */
export const SERVING_CACHE_MS = 1000;

/** The event sinks the settings name: the Redis stream and the Slack-compatible webhook (webhooks are registered through the API). */
export function sinksFrom(settings: Settings): Sink[] {
  const sinks: Sink[] = [];
  if (settings.redisUrl) {
    sinks.push(redisSink({ url: settings.redisUrl, stream: settings.eventsStream, maxLen: settings.eventsStreamMaxLen, events: settings.eventsStreamEvents, timeoutMs: settings.deliveryTimeoutMs }));
  }
  if (settings.slackWebhookUrl) sinks.push(slackSink({ url: settings.slackWebhookUrl, events: settings.slackEvents, publicUrl: settings.publicUrl }));
  return sinks;
}

/** A running Refit server. */
export interface RunningServer {
  readonly refit: Refit;
  /** The collaborators behind `refit`, for tests that watch the queue, scheduler or store. */
  readonly parts: RefitParts;
  readonly app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Open the store, listen (so that a second server on a taken port stops before it changes
 * anything), recover the jobs of processes that are gone, load the config file's models, add the
 * demo when asked, and start the scheduler. A bad config file stops start-up with every problem
 * named.
 */
export async function startServer(settings: Settings, options: { cwd?: string; logger?: Logger; executor?: ComputeExecutor } = {}): Promise<RunningServer> {
  // Without a logger from the caller, the settings' (format, file) apply; the file closes with the server.
  const { logger, close: closeLog } = options.logger ? { logger: options.logger, close: () => {} } : createLogger(settings);
  const configPath = findConfigFile(settings.configFile, options.cwd ?? process.cwd());
  // Validate the config (and load its plug-in trainers) before touching the store, so a bad spec changes nothing.
  const config = configPath ? await loadServerConfig(configPath) : { models: [], commands: {}, plugins: [], auth: null, automaticRetraining: null };
  const specs = config.models;
  // Keys are required when the settings or the config file say so: either is enough.
  const auth = settings.auth === 'required' || config.auth === 'required' ? 'required' : 'off';
  refuseOpenNetwork(settings, auth);
  // Either switch off pauses scheduled and trigger-started retrains; manual ones still run.
  const automaticRetraining = settings.automaticRetraining && config.automaticRetraining !== false;
  // --no-training needs the queue its workers take jobs from; refuse before touching anything.
  const redisUrl = settings.training ? settings.redisUrl : requireRedis(settings, 'refit serve --no-training');
  const store = await createStore({ url: settings.databaseUrl, ...(settings.databaseSchema ? { schema: settings.databaseSchema } : {}), artifacts: artifactLocation(settings.artifactDir), sqliteSynchronous: settings.sqliteSynchronous, sqliteBackgroundCheckpoints: true });
  const redis = redisUrl === null ? null : { main: redisConnection(redisUrl, { waitForRedis: false }), sub: redisConnection(redisUrl) };
  const queue = !settings.training && redis ? { queue: (deps: PipelineDeps) => new BullmqQueue(deps, { connection: redis.main, prefix: settings.queuePrefix }) } : {};
  // An API process of a scaled-out deployment is told of activations elsewhere over Redis: its
  // scorer keeps each model's view for a second between announcements instead of reading it on
  // every score. A process that trains keeps reading it per score, as it always has.
  const servingCacheMs = redis && !settings.training ? SERVING_CACHE_MS : 0;
  // How busy the event loop (scoring) has been of late decides, with `auto`, whether a fit may take every core.
  const loopLoad = new LoopLoad();
  const trainingThreads = serveTrainingThreads(settings.trainingThreads, loopLoad);
  const { refit, parts } = createRefit({
    store,
    logger,
    defaultTimezone: settings.timezone,
    automaticRetraining,
    servingCacheMs,
    commands: config.commands,
    plugins: config.plugins,
    // Command trainers get a fresh directory per job here, named by the job id.
    workRoot: join(settings.dataDir, 'jobs'),
    delivery: { sinks: sinksFrom(settings), options: { maxAttempts: settings.deliveryMaxAttempts, timeoutMs: settings.deliveryTimeoutMs, initialDelayMs: settings.deliveryInitialDelayMs, maxDelayMs: settings.deliveryMaxDelayMs } },
    retention: retentionPolicy(settings),
    ...(options.executor ? { executor: options.executor } : {}),
    // Training leaves scoring a core while it needs one (src/retrain/training-threads.ts).
    trainingThreads,
    ...queue,
  });
  // The first retrain finds its threads started and its code compiled (src/retrain/warm-up.ts).
  if (settings.training) parts.executor.warm?.(warmUpInput(parseModelSpec(WARM_UP_SPEC), serveWarmUpThreads(settings.trainingThreads)));
  if (!automaticRetraining) logger.warn('automatic retraining is paused: scheduled and trigger-started retrains do not run; manual retrains do');
  const role = settings.training ? 'all-in-one' : 'api';
  let started = false;
  const readiness = async (): Promise<ReadinessWire> => {
    const checks: Record<string, string> = { startup: started ? 'ok' : 'starting' };
    // /readyz needs no key: say "unreachable" and keep the driver's words (user names, hosts) for the log.
    checks.store = await refit.checkStore().then(
      () => 'ok',
      (err: unknown) => (logger.warn({ err }, 'readiness: the store is unreachable'), 'unreachable'),
    );
    if (redis) checks.redis = await redis.main.ping().then(
      () => 'ok',
      (err: unknown) => (logger.warn({ err }, 'readiness: Redis is unreachable'), 'unreachable'),
    );
    return { status: Object.values(checks).every((c) => c === 'ok') ? 'ready' : 'not ready', role, checks };
  };
  const workers = async (): Promise<WorkerListWire> => (redis && !settings.training ? { mode: 'workers', items: await listWorkers(redis.main, settings.queuePrefix) } : { mode: 'in-process', items: [] });
  const app = await buildApp(refit, { bodyLimit: settings.bodyLimit, logger, version: VERSION, readiness, workers, auth, rateLimit: settings.rateLimit, corsOrigins: settings.corsOrigins });
  const closeRedis = async () => {
    for (const c of redis ? [redis.main, redis.sub] : []) await c.quit().catch(() => c.disconnect());
  };
  let url: string;
  try {
    url = await app.listen({ host: settings.host, port: settings.port });
  } catch (err) {
    // Nothing was changed yet: another server may be running on this store.
    await app.close().catch(() => {});
    await refit.close().catch(() => {});
    await closeRedis();
    loopLoad.stop();
    throw err;
  }
  let stopBridge: () => Promise<void> = async () => {};
  let demo = { created: false, stop: () => {} };
  try {
    // Promotions and rollbacks made by other processes: swap the loaded predictors within the
    // message's round trip (the active version itself is read at most SERVING_CACHE_MS late).
    stopBridge = redis
      ? await bridgeActivations({
          hub: parts.hub,
          publisher: redis.main,
          subscriber: redis.sub,
          prefix: settings.queuePrefix,
          logger,
          onRemote: ({ kind, modelId, version }) => {
            parts.serving.invalidate(modelId);
            if (kind === 'activated') parts.predictors.evict(modelId);
            parts.scorer.preload(modelId, version).then(
              () => logger.info({ modelId, version }, `${modelId}@${version} ${kind === 'activated' ? 'activated' : 'made challenger'} by another process: loaded here`),
              (err: unknown) => logger.warn({ err, modelId, version }, 'preload failed'),
            );
          },
        })
      : async () => {};
    const { interrupted, reruns, interruptedChanges } = await refit.recover();
    if (interruptedChanges.length > 0) {
      logger.warn({ changes: interruptedChanges.map((c) => ({ modelId: c.modelId, action: c.action, version: c.version })) }, `${interruptedChanges.length} promotion(s) or rollback(s) were cut short by a stop; the timeline records them as interrupted`);
    }
    if (interrupted.length > 0) {
      logger.warn({ jobs: interrupted.map((j) => j.id), reruns: reruns.map((j) => j.id) }, `${interrupted.length} interrupted retrain job(s) marked failed; ${reruns.length} scheduled one(s) started again`);
    }
    refit.startRecovery();
    // Events committed before a stop (even between a commit and its delivery) go out now.
    refit.startDelivery();
    for (const spec of specs) {
      const outcome = await refit.upsertModel(spec);
      if (outcome !== 'unchanged') logger.info({ modelId: spec.id, configPath }, `model ${outcome} from config file`);
    }
    // Occurrences missed while the server was down: run once or skip, per schedule; then keep time.
    await parts.scheduler.tick();
    parts.scheduler.start();
    // Old scores and labels go a minute after start-up, then every interval (one process per interval).
    refit.startPruning();
    if (settings.demo) {
      demo = await startDemo(refit, { logger });
      if (demo.created) logger.info(`demo model 'job-relevance' created; watch it retrain: curl ${url}/api/v1/models/job-relevance/retrain/status`);
    }
    if (auth === 'required' && (await refit.listKeys()).every((k) => k.revokedAt !== null)) {
      logger.warn('API keys are required but none exists: create one with `refit keys create --name ops --scope admin` (same --data-dir or --database-url)');
    } else if (auth === 'off' && !isLoopback(settings.host)) {
      logger.warn(`running open on ${settings.host} (--allow-open): anyone who can reach it can change models; REFIT_AUTH=required asks for API keys`);
    }
  } catch (err) {
    // A failure after listening (a config-file model that cannot change its task, a failing
    // catch-up tick) must not leave a half-started server listening with its timers running.
    demo.stop();
    await app.close().catch(() => {});
    await stopBridge().catch(() => {});
    await refit.close().catch(() => {});
    await closeRedis();
    loopLoad.stop();
    closeLog();
    throw err;
  }
  started = true;
  logger.info(`Refit ${VERSION} listening on ${url} (store: ${store.dialect}${settings.training ? '' : `; training on workers via BullMQ '${settings.queuePrefix}'`}; API keys ${auth === 'required' ? 'required' : 'not required'}); API docs at ${url}/docs`);
  return {
    refit,
    parts,
    app,
    url,
    async close() {
      demo.stop();
      // Fastify stops accepting connections and waits for the requests in flight.
      await app.close();
      await stopBridge();
      await refit.close();
      await closeRedis();
      loopLoad.stop();
      closeLog();
    },
  };
}

/**
 * Without keys, a server on another address than loopback lets anyone who reaches it change
 * models: refuse to start unless the operator said it may run open.
 */
function refuseOpenNetwork(settings: Settings, auth: 'off' | 'required'): void {
  if (auth === 'required' || settings.allowOpen || isLoopback(settings.host)) return;
  throw new RefitError(
    'VALIDATION_FAILED',
    `Refit will not listen on ${settings.host} without API keys: anyone who can reach it could create, retrain, promote or roll back models. ` +
      'Either require keys: create one with `refit keys create --name ops --scope admin` and start with REFIT_AUTH=required (or `auth: required` in the config file); ' +
      'or say it may run open with REFIT_ALLOW_OPEN=1 (or --allow-open); or listen on 127.0.0.1.',
    { errors: [{ path: '/host', message: `${settings.host} is reachable from other machines and no API keys are required` }] },
  );
}
