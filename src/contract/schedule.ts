import { z } from 'zod';
import { isoDate, itemsSchema } from './common.js';
import { jobStatusSchema } from './job.js';
import { scheduleSpecSchema } from './model.js';

/** A retrain (or check) schedule with its last and next run. */
export const scheduleSchema = z.object({
  id: z.string(),
  modelId: z.string(),
  /** `retrain` starts retrains; `check` runs the monitor's trigger checks. */
  kind: z.enum(['retrain', 'check']),
  /** True for the schedules in the model's spec (changed through its retrain config). */
  default: z.boolean(),
  config: z.object({ schedule: scheduleSpecSchema, timezone: z.string().nullable(), enabled: z.boolean(), catchUp: z.enum(['skip', 'once']), minSamples: z.number().int().nullable().optional() }),
  description: z.string(),
  effectiveTimezone: z.string(),
  lastRunAt: isoDate.nullable(),
  lastJobId: z.string().nullable(),
  lastJobStatus: jobStatusSchema.nullable(),
  nextRunAt: isoDate.nullable(),
});
/** A schedule as the API shows it. */
export type ScheduleWire = z.infer<typeof scheduleSchema>;

/** `GET /api/v1/schedules`. */
export const scheduleListSchema = itemsSchema(scheduleSchema);
