/**
 * The library entry: the `Refit` facade, `createRefit` that wires it, and the types and request
 * schemas its methods take and return (everything `src/service.ts` exported before).
 */
export { createRefit, type RefitDeps } from './compose.js';
export type { RecoveryReport } from './lifecycle.js';
export type { ImportanceReport } from './monitoring.js';
export type { RefitParts } from './parts.js';
export type { EffectiveRetention, PruneRequest } from './pruner.js';
export type { DataRetentionPolicy, PruneResult, StorageReport } from '../domain/data-retention.js';
export { Refit } from './refit.js';
export { MAX_BATCH_ITEMS, MAX_ENTITY_KEY, abortBodySchema, retrainBodySchema, retrainConfigInputSchema, rollbackBodySchema } from '../contract/requests.js';
export type { RetrainStatus } from './retraining.js';
export type { ScheduleView } from './schedules.js';
