/**
 * The wire contract: a zod schema for every response body of the HTTP API, and its type. The
 * routes serialize through these schemas (so /openapi.json describes every response), the CLI
 * and the dashboard use the types. This index holds schemas only, with no import from the rest
 * of src, so that the dashboard's separate build can `import type` from it; the entity→wire
 * mappers are in ./mappers.js and the request schemas in ./requests.js.
 */
export * from './common.js';
export * from './job.js';
export * from './model.js';
export * from './monitor.js';
export * from './registry.js';
export * from './rollout.js';
export * from './schedule.js';
export * from './access.js';
export * from './webhook.js';
export * from './storage.js';
