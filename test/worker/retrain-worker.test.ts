import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import type { ComputeExecutor } from '../../src/retrain/executor.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { claimOwnerId } from '../../src/retrain/job-owner.js';
import { createRefit, type Refit, type RefitParts } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';
import { BullmqQueue } from '../../src/worker/bullmq-queue.js';
import { redisConnection } from '../../src/worker/redis.js';
import { RetrainWorker } from '../../src/worker/retrain-worker.js';
import { listWorkers } from '../../src/worker/workers.js';
import { clusterServices } from '../helpers/cluster.js';

// The BullMQ queue and worker in this process, on Redis and an in-memory store.
const services = clusterServices();

const labels = Array.from({ length: 80 }, (_, i) => ({ features: { x: i }, label: i > 40 ? 1 : 0 }));
const spec = (retrain: object) => ({ id: 'churn', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: 'logistic', retrain: { minNewLabels: 1, ...retrain } });

describe.skipIf(!services)('a BullMQ queue and a retrain worker', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup(executor: ComputeExecutor): Promise<{ refit: Refit; parts: RefitParts; worker: RetrainWorker; prefix: string; redis: ReturnType<typeof redisConnection> }> {
    const prefix = `refit-test-${randomBytes(5).toString('hex')}`;
    const redis = redisConnection(services!.redisUrl, { waitForRedis: false });
    const store = await createStore({ url: ':memory:' });
    const { refit, parts } = createRefit({ store, clock: systemClock, executor: inlineExecutor, queue: (deps) => new BullmqQueue(deps, { connection: redis, prefix, pollMs: 50 }) });
    const owner = claimOwnerId();
    const worker = new RetrainWorker(
      { store, clock: systemClock, hub: parts.hub, executor },
      { connection: redisConnection(services!.redisUrl), subscriber: redisConnection(services!.redisUrl), prefix, ownerId: owner.id, leaseMs: 5000, random: () => 0 },
    );
    await worker.start();
    cleanup.push(async () => {
      await worker.stop(0);
      await refit.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      owner.release();
    });
    return { refit, parts, worker, prefix, redis };
  }

  it('retries a transient failure on the queue, per the retry policy, and completes it as attempt 2; the worker is listed, idle again', async () => {
    let calls = 0;
    const flaky: ComputeExecutor = {
      run: (input, options) => {
        calls++;
        if (calls === 1) return Promise.reject(new Error('the training node ran out of memory'));
        return inlineExecutor.run(input, options);
      },
    };
    const { refit, worker, prefix, redis } = await setup(flaky);
    await refit.createModel(spec({ retry: { retries: 2, initialDelaySeconds: 0.2, maxDelaySeconds: 1 } }));
    await refit.addLabels('churn', labels);
    const { job } = await refit.retrain('churn');
    await refit.whenIdle();
    const done = await refit.getJob(job.id);
    expect(done).toMatchObject({ status: 'completed', attempts: 2, error: null });
    expect(calls).toBe(2);
    expect((await refit.getModel('churn')).activeVersion).toEqual(expect.any(String));
    const workers = await listWorkers(redis, prefix);
    expect(workers.map((w) => w.id)).toEqual([worker.id]);
    expect(workers[0]).toMatchObject({ pid: process.pid, currentJob: null });
  });

  it('answers a cancel of a finished job with JOB_FINISHED, as the in-process queue does', async () => {
    const { refit } = await setup(inlineExecutor);
    await refit.createModel(spec({}));
    await refit.addLabels('churn', labels);
    const { job } = await refit.retrain('churn');
    await refit.whenIdle();
    expect((await refit.getJob(job.id)).status).toBe('completed');
    await expect(refit.cancelJob(job.id)).rejects.toMatchObject({ code: 'JOB_FINISHED' });
  });

  it('fails the job row when the worker cannot run it at all, so the model can retrain again', async () => {
    const { refit, parts } = await setup(inlineExecutor);
    await refit.createModel(spec({}));
    await refit.addLabels('churn', labels);
    // The worker's first read of the job throws (the database went away under it), before any attempt starts.
    const getJob = parts.store.getJob.bind(parts.store);
    let failNext = true;
    parts.store.getJob = async (id: string) => {
      // Only the worker's read (the queue's idle poll reads jobs too).
      if (failNext && new Error().stack?.includes('src/worker/retrain-worker.ts')) {
        failNext = false;
        throw new Error('the database went away');
      }
      return getJob(id);
    };
    const { job } = await refit.retrain('churn');
    await refit.whenIdle();
    const failed = await refit.getJob(job.id);
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/^the worker could not run the job/) });
    const next = await refit.retrain('churn');
    expect(next.job.id).not.toBe(job.id);
    await refit.whenIdle();
    expect((await refit.getJob(next.job.id)).status).toBe('completed');
  });

  it('stops a job that runs past its timeout on the worker, and fails it with the reason', async () => {
    let aborted = false;
    const hangs: ComputeExecutor = {
      run: (_input, { signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          });
        }),
    };
    const { refit } = await setup(hangs);
    // 0.005 minutes: 300 ms.
    await refit.createModel(spec({ timeoutMinutes: 0.005 }));
    await refit.addLabels('churn', labels);
    const { job } = await refit.retrain('churn');
    await refit.whenIdle();
    expect(await refit.getJob(job.id)).toMatchObject({ status: 'failed', error: 'timeout: the retrain ran longer than 0.005 minutes and was stopped' });
    expect(aborted).toBe(true);
  });
});
