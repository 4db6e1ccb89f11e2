import { Cron } from 'croner';
import { z } from 'zod';
import type { FieldProblem } from '../errors.js';

/*
 * Retrain schedules: what a user writes, its validation, and the pure decisions the scheduler
 * makes from it (when is the next run, is a run due now, which runs were missed). Nothing here
 * reads the clock, the environment or starts a timer: every time is an argument.
 *
 * Daylight-saving time, as croner (v11) resolves it and the tests pin down:
 * - A fixed time that does not exist on a spring-forward day (02:30 in Europe/Berlin on
 *   2026-03-29) runs once, at the first valid time after the gap (03:00 local), on the same day.
 * - A fixed time that occurs twice on a fall-back day (02:30 in Europe/Berlin on 2026-10-25)
 *   runs once, at its first occurrence (the summer-time one).
 * - Interval patterns (`*\/15 * * * *`) follow real time: they skip the missing hour and run
 *   through both passes of the repeated one.
 * Lists and ranges of fixed times (`0 2,14 * * *`) count as fixed times here (croner's
 * `fixedTimeRule: 'no-wildcard'`, close to Vixie cron), so a retrain never runs twice in a
 * repeated hour unless the pattern has a wildcard or a step.
 */

/** What happens to occurrences missed while the server was down: `skip` (default) or run `once`. */
export type { CatchUpPolicy } from '../domain/entities.js';
import type { CatchUpPolicy } from '../domain/entities.js';

/** A day of the week, as stored (full English name, lower case). */
export type Weekday = 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';

/** The schedule as written: a cron expression or nickname, or one of the simple forms. */
export type ScheduleSpec =
  | string
  | { readonly every: 'day'; readonly at: string }
  | { readonly every: 'week'; readonly day: Weekday; readonly at: string }
  | { readonly every: 'month'; readonly at: string };

/** A validated, normalised schedule; plain data, safe to store as JSON. */
export interface Schedule {
  /** The cron pattern (5 or 6 fields, nicknames expanded) croner runs, e.g. `0 6 * * *`. */
  readonly pattern: string;
  /** For people, e.g. `daily at 06:00 (Europe/Berlin)`. */
  readonly description: string;
  /** IANA zone the pattern is read in, e.g. `Europe/Berlin`. */
  readonly timezone: string;
  /** A disabled schedule never has a next run nor a due one. Default true. */
  readonly enabled: boolean;
  /** Default `skip`. */
  readonly catchUp: CatchUpPolicy;
  /** The schedule as written (defaults filled, day and time normalised), to give back on GET. */
  readonly source: ScheduleSpec;
}

/** The time of day a simple schedule runs at when `at` is left out: `06:00`. */
export const DEFAULT_AT = '06:00';

/** The schedule used when none is written: daily at 06:00. */
export const DEFAULT_SCHEDULE_SPEC: ScheduleSpec = Object.freeze({ every: 'day', at: DEFAULT_AT });

/** How long after an occurrence it still counts as on time: 60 000 ms (one minute). */
export const DEFAULT_GRACE_MS = 60_000;

/** Most occurrences `dueRun` enumerates (due plus missed): 1000; older ones go unreported. */
export const MAX_ENUMERATED_OCCURRENCES = 1000;

const TIME_MESSAGE = 'time must be HH:MM (00:00 to 23:59)';
const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

const WEEKDAYS: readonly Weekday[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const NICKNAMES: Readonly<Record<string, { pattern: string; description: string }>> = {
  '@yearly': { pattern: '0 0 1 1 *', description: 'yearly on 1 January at 00:00' },
  '@annually': { pattern: '0 0 1 1 *', description: 'yearly on 1 January at 00:00' },
  '@monthly': { pattern: '0 0 1 * *', description: 'monthly on day 1 at 00:00' },
  '@weekly': { pattern: '0 0 * * 0', description: 'weekly on Sunday at 00:00' },
  '@daily': { pattern: '0 0 * * *', description: 'daily at 00:00' },
  '@midnight': { pattern: '0 0 * * *', description: 'daily at 00:00' },
  '@hourly': { pattern: '0 * * * *', description: 'hourly at minute 00' },
};

/** The one place a croner job is made: paused, without a function, so it never starts a timer. */
function makeCron(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { timezone, paused: true, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard' });
}

/** Trim, collapse blanks and lower-case nicknames, so equal patterns compare equal. */
function normaliseCron(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.startsWith('@') ? t.toLowerCase() : t;
}

function cronProblem(text: string): string | null {
  const pattern = normaliseCron(text);
  if (pattern.startsWith('@') && !(pattern in NICKNAMES)) {
    return `unknown cron nickname '${pattern}' (known: ${Object.keys(NICKNAMES).join(', ')})`;
  }
  const fields = pattern === '' ? 0 : pattern.split(' ').length;
  if (!pattern.startsWith('@') && fields !== 5 && fields !== 6) {
    return `invalid cron expression '${text}': expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, got ${fields}`;
  }
  let cron: Cron;
  try {
    cron = makeCron(NICKNAMES[pattern]?.pattern ?? pattern, 'UTC');
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).replace(/^CronPattern:\s*/, '');
    return `invalid cron expression '${text}': ${reason}`;
  }
  // From a fixed instant, not now: a pattern without a year field that matches nothing after
  // 1970 (30 February) matches nothing ever, and this stays a pure function.
  if (cron.nextRun(new Date(0)) === null) return `cron expression '${text}' never matches a date`;
  return null;
}

/** The zone's canonical spelling when it differs only in case (`europe/berlin`), else as written. */
function resolveTimeZone(name: string): string | null {
  if (name.trim() === '') return null;
  try {
    const resolved = new Intl.DateTimeFormat(undefined, { timeZone: name }).resolvedOptions().timeZone;
    // Intl also maps aliases (EST → America/Panama); keep what the user wrote for those.
    return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/** True when `name` is a time zone this runtime knows (an IANA name such as `Europe/Berlin`). */
export function isTimeZone(name: string): boolean {
  return resolveTimeZone(name) !== null;
}

const timeSchema = z
  .string({ error: TIME_MESSAGE })
  .regex(TIME, TIME_MESSAGE)
  .transform((t) => t.padStart(5, '0'));

const daySchema = z
  .string({ error: (iss) => (iss.input === undefined ? 'day is required for a weekly schedule' : 'day must be a string such as "monday"') })
  .transform((d, ctx) => {
    const key = d.trim().toLowerCase();
    const day = WEEKDAYS.find((w) => w === key || w.slice(0, 3) === key);
    if (day) return day;
    ctx.addIssue({ code: 'custom', message: `unknown day '${d}' (expected monday to sunday, or mon to sun)`, input: d });
    return z.NEVER;
  });

const cronSchema = z.string().transform((text, ctx) => {
  const problem = cronProblem(text);
  if (problem === null) return normaliseCron(text);
  ctx.addIssue({ code: 'custom', message: problem, input: text });
  return z.NEVER;
});

const simpleScheduleSchema = z.discriminatedUnion(
  'every',
  [
    z.object({ every: z.literal('day'), at: timeSchema.default(DEFAULT_AT) }).strict(),
    z.object({ every: z.literal('week'), day: daySchema, at: timeSchema.default(DEFAULT_AT) }).strict(),
    z.object({ every: z.literal('month'), at: timeSchema.default(DEFAULT_AT) }).strict(),
  ],
  { error: (iss) => (iss.code === 'invalid_union' ? "every must be 'day', 'week' or 'month'" : undefined) },
);

const SPEC_MESSAGE = `schedule must be a cron expression such as '0 6 * * *' or an object such as { "every": "day", "at": "06:00" }`;

/**
 * A schedule as written: a cron expression (5 fields, or 6 with seconds first; nicknames such as
 * `@daily`), or `{ every: 'day', at }`, `{ every: 'week', day, at }` or `{ every: 'month', at }`
 * (the first day of the month). `at` is `HH:MM`, default `06:00`; `day` is an English day name
 * or its three-letter abbreviation, any case.
 */
export const scheduleSpecSchema = z.union([cronSchema, simpleScheduleSchema], { error: SPEC_MESSAGE });

const timezoneSchema = z.string({ error: 'timezone must be a string such as "Europe/Berlin"' }).transform((name, ctx) => {
  const zone = resolveTimeZone(name);
  if (zone !== null) return zone;
  ctx.addIssue({ code: 'custom', message: `unknown time zone '${name}'`, input: name });
  return z.NEVER;
});

const INPUT_MESSAGE = 'a schedule must be an object such as { "schedule": "0 6 * * *", "timezone": "Europe/Berlin" }';

/** A schedule as a user writes it (model spec, API body or config file); every field optional. */
export const scheduleInputSchema = z
  .object({
    /** Cron expression or simple form; default `{ every: 'day', at: '06:00' }`. */
    schedule: scheduleSpecSchema.default({ every: 'day', at: DEFAULT_AT }),
    /** IANA zone name; default: the server's zone, which the caller passes to `parseSchedule`. */
    timezone: timezoneSchema.optional(),
    /** Default true. */
    enabled: z.boolean({ error: 'enabled must be true or false' }).default(true),
    /** Default `skip`. */
    catchUp: z.enum(['skip', 'once'], { error: "catchUp must be 'skip' or 'once'" }).default('skip'),
  }, { error: (iss) => (iss.code === 'invalid_type' ? INPUT_MESSAGE : undefined) })
  .strict();

/** The input form of a schedule. */
export type ScheduleInput = z.input<typeof scheduleInputSchema>;

/** Either the normalised schedule or every problem found, each with its field path. */
export type ParseScheduleResult = { ok: true; schedule: Schedule } | { ok: false; problems: FieldProblem[] };

/**
 * Zod issues as field problems with JSON-pointer-like paths (`/schedule/at`). A union is reported
 * through the one branch whose kind (string or object) matched, not as a bare "Invalid input".
 */
export function scheduleProblems(issues: readonly z.core.$ZodIssue[], prefix = ''): FieldProblem[] {
  return issues.flatMap((i) => {
    const at = prefix + i.path.map((p) => '/' + String(p)).join('');
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: `${at}/${k}`, message: `unknown field '${k}'` }));
    if (i.code === 'invalid_union' && i.errors.length > 0) {
      // A branch that failed only on the value's type is the wrong kind, not the user's intent.
      const matching = i.errors.filter((b) => !(b.length === 1 && b[0].code === 'invalid_type' && b[0].path.length === 0));
      if (matching.length === 1) return scheduleProblems(matching[0], at);
    }
    return [{ path: at || '/', message: i.message }];
  });
}

function describe(spec: ScheduleSpec): { pattern: string; description: string } {
  if (typeof spec === 'string') {
    const nick = NICKNAMES[spec];
    return nick ?? { pattern: spec, description: `cron '${spec}'` };
  }
  const [hh, mm] = spec.at.split(':').map(Number);
  switch (spec.every) {
    case 'day':
      return { pattern: `${mm} ${hh} * * *`, description: `daily at ${spec.at}` };
    case 'week': {
      const name = spec.day[0].toUpperCase() + spec.day.slice(1);
      return { pattern: `${mm} ${hh} * * ${WEEKDAYS.indexOf(spec.day)}`, description: `weekly on ${name} at ${spec.at}` };
    }
    case 'month':
      return { pattern: `${mm} ${hh} 1 * *`, description: `monthly on day 1 at ${spec.at}` };
  }
}

/**
 * Validate a schedule as written and normalise it. `undefined` means every default. The zone
 * defaults to `defaultTimezone` (the server's zone, read by the caller), which must be valid too.
 * Never throws on bad input: returns every problem found at once.
 */
export function parseSchedule(input: unknown, defaultTimezone: string): ParseScheduleResult {
  const parsed = scheduleInputSchema.safeParse(input === undefined ? {} : input);
  const problems = parsed.success ? [] : scheduleProblems(parsed.error.issues);
  const written = typeof input === 'object' && input !== null ? (input as Record<string, unknown>).timezone : undefined;
  let timezone = parsed.success ? parsed.data.timezone : undefined;
  if (written === undefined) {
    timezone = resolveTimeZone(defaultTimezone) ?? undefined;
    if (timezone === undefined) problems.push({ path: '/timezone', message: `unknown time zone '${defaultTimezone}' (the server's default)` });
  }
  if (!parsed.success || timezone === undefined) return { ok: false, problems };
  const source = parsed.data.schedule;
  const { pattern, description } = describe(source);
  return {
    ok: true,
    schedule: {
      pattern,
      description: `${description} (${timezone})`,
      timezone,
      enabled: parsed.data.enabled,
      catchUp: parsed.data.catchUp,
      source,
    },
  };
}

/** The input form of a normalised schedule; `parseSchedule` of it gives the same schedule back. */
export function scheduleToInput(schedule: Schedule): ScheduleInput {
  return { schedule: schedule.source, timezone: schedule.timezone, enabled: schedule.enabled, catchUp: schedule.catchUp };
}

/**
 * The first occurrence strictly after `after`, in the schedule's zone; null when the schedule is
 * disabled or has no further occurrence.
 */
export function nextRunAfter(schedule: Schedule, after: Date): Date | null {
  if (!schedule.enabled) return null;
  return makeCron(schedule.pattern, schedule.timezone).nextRun(after);
}

/** What the scheduler should do now. */
export interface DueRun {
  /** The occurrence to run now, or null. */
  readonly occurrence: Date | null;
  /** Occurrences that will not run, oldest first; at most the latest 1000 (with `occurrence`). */
  readonly missed: Date[];
  /** True when more occurrences were missed than enumerated; the oldest are not in `missed`. */
  readonly truncated: boolean;
  /** What to record as the schedule's last occurrence: `occurrence`, else the latest missed one, else the one given. */
  readonly lastOccurrence: Date | null;
}

/**
 * Decide whether an occurrence is due at `now`. Considers the occurrences in
 * (`lastOccurrence`, `now`], or in (`now - graceMs`, `now`] when `lastOccurrence` is null, so a
 * new schedule never fires for the past. The latest of them is due if it is less than `graceMs`
 * old, or, when all are older (the server was down), if `catchUp` is `once`; every other one is
 * missed. At most `MAX_ENUMERATED_OCCURRENCES` (1000) occurrences are enumerated, newest first,
 * so a long outage costs bounded work and only the latest are reported (`truncated` says so).
 * The caller stores `lastOccurrence` from the result, so no occurrence is ever due twice. A
 * disabled schedule is never due and misses nothing; when re-enabling one, store `now` (or null)
 * as its last occurrence, or `once` would catch up a run from while it was off.
 * @param graceMs how late a run may start and still count as on time. Default 60 000 (one minute).
 */
export function dueRun(schedule: Schedule, lastOccurrence: Date | null, now: Date, graceMs = DEFAULT_GRACE_MS): DueRun {
  if (!(graceMs >= 0)) throw new RangeError(`graceMs must be a number >= 0, got ${graceMs}`);
  if (!schedule.enabled) return { occurrence: null, missed: [], truncated: false, lastOccurrence };
  const onTimeAfter = now.getTime() - graceMs;
  const floor = lastOccurrence === null ? onTimeAfter : lastOccurrence.getTime();
  const cron = makeCron(schedule.pattern, schedule.timezone);
  const newestFirst: Date[] = [];
  let truncated = false;
  // previousRuns is strictly before its reference; one millisecond more makes `now` itself count.
  let cursor = new Date(now.getTime() + 1);
  // One step at a time: a batch would search as far back as it is long, years for a yearly pattern.
  for (;;) {
    const [previous] = cron.previousRuns(1, cursor);
    if (previous === undefined || previous.getTime() <= floor) break;
    if (newestFirst.length === MAX_ENUMERATED_OCCURRENCES) {
      truncated = true;
      break;
    }
    newestFirst.push(previous);
    cursor = previous;
  }
  if (newestFirst.length === 0) return { occurrence: null, missed: [], truncated: false, lastOccurrence };
  const latest = newestFirst[0];
  const missed = newestFirst.reverse();
  const due = latest.getTime() > onTimeAfter || schedule.catchUp === 'once';
  if (due) missed.pop();
  return { occurrence: due ? latest : null, missed, truncated, lastOccurrence: latest };
}
