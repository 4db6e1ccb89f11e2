import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EventHub } from '../events/hub.js';
import { ACTIVATION_CHANNEL, redisKey } from './redis.js';

/** A promotion, rollback or new challenger made in another process. */
export interface RemoteActivation {
  readonly kind: 'activated' | 'challenger';
  readonly modelId: string;
  readonly version: string;
}

/** What the bridge needs. */
export interface ActivationBridgeOptions {
  readonly hub: EventHub;
  /** A connection to publish on. */
  readonly publisher: Redis;
  /** A connection of its own: in subscriber mode it can do nothing else. */
  readonly subscriber: Redis;
  readonly prefix: string;
  /** Called for each change made elsewhere (never for this process's own). Default: none (publish only). */
  readonly onRemote?: (change: RemoteActivation) => void;
  readonly logger?: Logger;
}

/**
 * Tell every process about activations over Redis pub/sub: this process's activations and
 * challengers (from its hub) are published, and those of the others are handed to `onRemote`,
 * so an API process swaps its predictors within the message's round trip, without reading the
 * database on every score. Returns the function that stops it.
 */
export async function bridgeActivations(options: ActivationBridgeOptions): Promise<() => Promise<void>> {
  const { hub, publisher, subscriber, prefix, logger } = options;
  const channel = redisKey(prefix, ACTIVATION_CHANNEL);
  // Messages carry their sender, so a process never acts on its own announcements twice.
  const origin = randomUUID();
  const publish = (kind: RemoteActivation['kind']) => ({ modelId, version }: { modelId: string; version: string }) => {
    publisher.publish(channel, JSON.stringify({ origin, kind, modelId, version })).catch((err: unknown) => logger?.warn({ err, modelId, version }, 'could not announce the activation to the other processes'));
  };
  const offs = [hub.on('model:activated', publish('activated')), hub.on('model:challenger', publish('challenger'))];
  const onRemote = options.onRemote;
  const onMessage = (ch: string, message: string) => {
    if (ch !== channel || !onRemote) return;
    try {
      const m = JSON.parse(message) as { origin: string } & RemoteActivation;
      if (m.origin === origin) return;
      onRemote({ kind: m.kind, modelId: m.modelId, version: m.version });
    } catch (err) {
      logger?.warn({ err }, 'ignored a malformed activation message');
    }
  };
  if (onRemote) {
    subscriber.on('message', onMessage);
    await subscriber.subscribe(channel);
  }
  return async () => {
    for (const off of offs) off();
    subscriber.off('message', onMessage);
    if (onRemote) await subscriber.unsubscribe(channel).catch(() => {});
  };
}
