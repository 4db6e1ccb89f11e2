import type { PruneResult } from '../domain/data-retention.js';
import type { RetrainJob } from '../domain/entities.js';

/** In-process notifications, namespaced and typed (graphile-worker's worker events). */
export interface HubEventMap {
  /** A job was created (pending). */
  'retrain:queued': { readonly job: RetrainJob };
  /** A job started running. */
  'retrain:started': { readonly job: RetrainJob };
  /** A job moved to a new stage or reported training progress. */
  'retrain:progress': { readonly jobId: string; readonly modelId: string; readonly stage: string; readonly progress: number | null; readonly at: Date };
  /** A job ended (completed, failed, skipped or cancelled). */
  'retrain:finished': { readonly job: RetrainJob };
  /** A model's active version changed. */
  'model:activated': { readonly modelId: string; readonly version: string };
  /** A canary or shadow challenger started serving beside the active version. */
  'model:challenger': { readonly modelId: string; readonly version: string };
  /** New rows were committed to the event outbox. */
  'outbox:appended': Record<string, never>;
  /** Retention deleted old scores and labels (or found nothing to delete); dry runs are not announced. */
  'storage:pruned': { readonly result: PruneResult };
}

type Listener<K extends keyof HubEventMap> = (payload: HubEventMap[K]) => void;

/**
 * A tiny typed emitter. A listener that throws is reported through `onListenerError` and never
 * breaks the code that emitted (a failing listener must not fail a retrain).
 */
export class EventHub {
  private readonly listeners = new Map<keyof HubEventMap, Set<Listener<never>>>();

  /** @param onListenerError called with a listener's error. Default: ignore. */
  constructor(private readonly onListenerError: (err: unknown, event: string) => void = () => {}) {}

  /** Subscribe; returns the unsubscribe function. */
  on<K extends keyof HubEventMap>(event: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => set.delete(fn as Listener<never>);
  }

  emit<K extends keyof HubEventMap>(event: K, payload: HubEventMap[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<K>)(payload);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }
}
