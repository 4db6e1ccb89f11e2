import { useQuery } from '@tanstack/react-query';
import { api, type RetrainStatus } from './api.js';

/** Query keys: [kind, modelId, …]; the live stream invalidates by [kind, modelId]. */

export const useModels = () => useQuery({ queryKey: ['models'], queryFn: api.models });

export const useModel = (id: string) => useQuery({ queryKey: ['model', id], queryFn: () => api.model(id) });

export const isBusy = (s: RetrainStatus | undefined) => s?.status === 'pending' || s?.status === 'running';

/** While a job is under way the status is also polled, in case the event stream is down. */
export const useStatus = (id: string) =>
  useQuery({ queryKey: ['status', id], queryFn: () => api.status(id), refetchInterval: (q) => (isBusy(q.state.data) ? 2000 : false) });

export const useHistory = (id: string, limit: number, offset: number) =>
  useQuery({ queryKey: ['history', id, limit, offset], queryFn: () => api.history(id, limit, offset), placeholderData: (prev) => prev });

export const useVersions = (id: string) => useQuery({ queryKey: ['versions', id], queryFn: () => api.versions(id) });

/** A job never changes once finished; one that is under way is refreshed by the event stream's invalidation of its model. */
export const useJob = (jobId: string | null) => useQuery({ queryKey: ['job', jobId], queryFn: () => api.job(jobId as string), enabled: jobId !== null, staleTime: 60_000 });

/** Importance is read from the version's stored artifact, which never changes. */
export const useImportance = (id: string, version: string) => useQuery({ queryKey: ['importance', id, version], queryFn: () => api.importance(id, version), staleTime: Infinity });

export const useConfig = (id: string) => useQuery({ queryKey: ['config', id], queryFn: () => api.config(id) });

export const useSchedules = () => useQuery({ queryKey: ['schedules'], queryFn: api.schedules });

/** Monitoring is computed on request and changes with every score, which sends no event: refreshed each minute. */
const MONITOR = { staleTime: 20_000, refetchInterval: 60_000 } as const;

export const useDrift = (id: string) => useQuery({ queryKey: ['drift', id], queryFn: () => api.drift(id), ...MONITOR });

export const usePerformance = (id: string) => useQuery({ queryKey: ['performance', id], queryFn: () => api.performance(id), ...MONITOR });

/** What a check would decide now repeats the drift and performance work of the cards above: refreshed every five minutes (events, "Check now" and saving the config refresh it at once). */
export const useRetrainNeeded = (id: string) => useQuery({ queryKey: ['needed', id], queryFn: () => api.retrainNeeded(id), staleTime: 60_000, refetchInterval: 300_000 });

export const useChecks = (id: string, limit: number) => useQuery({ queryKey: ['checks', id, limit], queryFn: () => api.checks(id, limit) });

export const useRollout = (id: string) => useQuery({ queryKey: ['rollout', id], queryFn: () => api.rollout(id), ...MONITOR });

export const useTimeline = (id: string, limit: number) => useQuery({ queryKey: ['timeline', id, limit], queryFn: () => api.timeline(id, limit) });

/** The worker processes (scale-out only); their heartbeats change without events: refreshed every 10 s. */
export const useWorkers = () => useQuery({ queryKey: ['workers'], queryFn: api.workers, refetchInterval: 10_000 });
