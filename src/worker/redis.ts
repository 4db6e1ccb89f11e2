import { Redis } from 'ioredis';

/** The BullMQ queue retrain jobs go through (under the deployment's key prefix). */
export const QUEUE_NAME = 'retrain';

/**
 * A Redis connection for BullMQ and pub/sub. `maxRetriesPerRequest: null` is what BullMQ's
 * blocking commands need: a command waits for Redis to come back instead of failing the worker.
 */
export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/** The Redis channel or key `name` of a deployment: `<prefix>:<name>`. */
export function redisKey(prefix: string, name: string): string {
  return `${prefix}:${name}`;
}

/** Channel on which a job's cancellation is announced to the worker running it (message: the job id). */
export const CANCEL_CHANNEL = 'cancel';

/** Channel on which activations and challengers are announced to every process (message: JSON). */
export const ACTIVATION_CHANNEL = 'activations';
