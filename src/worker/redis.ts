import { Redis } from 'ioredis';

/** The BullMQ queue retrain jobs go through (under the deployment's key prefix). */
export const QUEUE_NAME = 'retrain';

/**
 * A Redis connection for BullMQ and pub/sub. A worker's connection (`waitForRedis`, the default)
 * has `maxRetriesPerRequest: null`, which BullMQ's blocking reads need: a command waits for Redis
 * to come back. An API process's connection gives up after a few retries instead, so that a
 * request made while Redis is down fails rather than hangs.
 */
export function redisConnection(url: string, options: { waitForRedis?: boolean } = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: options.waitForRedis === false ? 2 : null });
}

/** The Redis channel or key `name` of a deployment: `<prefix>:<name>`. */
export function redisKey(prefix: string, name: string): string {
  return `${prefix}:${name}`;
}

/** Channel on which a job's cancellation is announced to the worker running it (message: the job id). */
export const CANCEL_CHANNEL = 'cancel';

/** Channel on which activations and challengers are announced to every process (message: JSON). */
export const ACTIVATION_CHANNEL = 'activations';
