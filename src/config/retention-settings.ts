import { z } from 'zod';
import type { DataRetentionPolicy } from '../domain/data-retention.js';

/** Longest retention age accepted, in days (100 years). */
const MAX_DAYS = 36_500;

/** What a bad retention age is told. */
export const RETENTION_AGE_MESSAGE = `must be a number of days such as 30d (1d to ${MAX_DAYS}d), or off to keep them forever`;

/**
 * A retention age as settings take it: `30d`, `30` (days), a number of days, or `off` (also
 * `false`, `never`, `none`) to keep the rows forever → days, or null for off. Missing: `fallback`.
 */
export function retentionAge(fallback: number | null) {
  // Optional before the transform: a missing key reaches it as undefined (the fallback).
  return z.unknown().optional().transform((v, ctx): number | null => {
    if (v === undefined) return fallback;
    if (v === false || v === null) return null;
    let days: number | null = null;
    if (typeof v === 'number') days = v;
    else if (typeof v === 'string') {
      const text = v.trim().toLowerCase();
      if (text === 'off' || text === 'never' || text === 'none' || text === 'false') return null;
      const m = /^(\d{1,6})\s*(d|days?)?$/.exec(text);
      if (m) days = Number(m[1]);
    }
    if (days === null || !Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
      ctx.addIssue({ code: 'custom', message: `${RETENTION_AGE_MESSAGE}; got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return days;
  });
}

/** The retention settings as the service takes them. */
export function retentionPolicy(settings: {
  readonly retentionScores: number | null;
  readonly retentionLabels: number | null;
  readonly retentionIntervalMinutes: number;
  readonly retentionBatchRows: number;
}): DataRetentionPolicy {
  return {
    scoresDays: settings.retentionScores,
    labelsDays: settings.retentionLabels,
    intervalMs: settings.retentionIntervalMinutes * 60_000,
    batchRows: settings.retentionBatchRows,
  };
}
