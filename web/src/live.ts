import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { type RetrainStatus, storedKey } from './api.js';

/** State of the connection to the event stream, shown in the header. */
export type LiveState = 'connecting' | 'live' | 'offline';

/** Outbox events after which a model's data has changed. */
const CHANGING_EVENTS = ['model.created', 'model.retrain.started', 'model.retrain.completed', 'model.retrain.failed', 'model.retrain.skipped', 'model.promoted', 'model.rollback',
  'model.drift.detected', 'model.performance.degraded', 'model.retrain.triggered',
  'model.canary.started', 'model.canary.promoted', 'model.canary.aborted', 'model.shadow.started', 'model.shadow.stopped'];

/** Invalidations are gathered for this long, so a replay of many events refetches once. */
const BATCH_MS = 250;

/**
 * Follow GET /api/v1/events: outbox events invalidate the queries of their model; live progress
 * frames update the cached status in place. EventSource reconnects by itself and resumes after
 * the last event id it saw. The stream starts at the first event, so events older than this
 * page are skipped: the queries already reflect them.
 */
export function useLiveUpdates(): LiveState {
  const client = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setState('offline');
      return;
    }
    const openedAt = Date.now();
    // EventSource cannot send an authorization header: the server takes the key as ?key= on this route only.
    const key = storedKey();
    const source = new EventSource(key ? `/api/v1/events?key=${encodeURIComponent(key)}` : '/api/v1/events');
    const pending = new Set<string>();
    let all = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const ids = [...pending];
      pending.clear();
      if (all) void client.invalidateQueries({ queryKey: ['models'] });
      all = false;
      void client.invalidateQueries({ queryKey: ['schedules'] });
      for (const id of ids) invalidateModel(client, id);
    };
    const onEvent = (e: MessageEvent<string>) => {
      let data: { occurredAt?: string; payload?: { modelId?: string } };
      try {
        data = JSON.parse(e.data) as typeof data;
      } catch {
        return;
      }
      // The replay of history on connect: those changes are already in what the page fetched.
      if (data.occurredAt && new Date(data.occurredAt).getTime() < openedAt - 2000) return;
      const id = data.payload?.modelId;
      if (id) pending.add(id);
      all = true;
      timer ??= setTimeout(flush, BATCH_MS);
    };
    const onProgress = (e: MessageEvent<string>) => {
      try {
        const { payload } = JSON.parse(e.data) as { payload: { modelId: string; stage: string | null; progress: number | null } };
        client.setQueryData<RetrainStatus>(['status', payload.modelId], (old) =>
          // Only a job the page knows is under way: a late frame must not revive a finished one.
          old && (old.status === 'pending' || old.status === 'running') ? { ...old, status: 'running', stage: payload.stage ?? old.stage, progress: payload.progress ?? old.progress } : old,
        );
      } catch {
        // A malformed frame changes nothing.
      }
    };
    for (const type of CHANGING_EVENTS) source.addEventListener(type, onEvent);
    source.addEventListener('model.retrain.progress', onProgress);
    let dropped = false;
    source.onopen = () => {
      setState('live');
      // Back after a drop: what changed meanwhile is replayed, but progress frames are not; refetch all.
      if (dropped) void client.invalidateQueries();
      dropped = false;
    };
    source.onerror = () => {
      dropped = true;
      setState(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    };
    return () => {
      if (timer) clearTimeout(timer);
      source.close();
    };
  }, [client]);
  return state;
}

function invalidateModel(client: QueryClient, id: string): void {
  for (const key of ['audit', 'model', 'status', 'history', 'versions', 'config', 'drift', 'performance', 'needed', 'checks', 'rollout', 'timeline']) void client.invalidateQueries({ queryKey: [key, id] });
}
