import { describe, it, expect } from 'vitest';
import {
  MAX_ENUMERATED_OCCURRENCES,
  dueRun,
  nextRunAfter,
  parseSchedule,
  scheduleInputSchema,
  scheduleToInput,
  type Schedule,
} from '../../src/retrain/schedule.js';

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';

/** A valid schedule, or the test fails with the problems. */
function schedule(input: unknown, defaultTimezone = BERLIN): Schedule {
  const r = parseSchedule(input, defaultTimezone);
  if (!r.ok) throw new Error(`unexpected problems: ${JSON.stringify(r.problems)}`);
  return r.schedule;
}

function problems(input: unknown, defaultTimezone = BERLIN): { path: string; message: string }[] {
  const r = parseSchedule(input, defaultTimezone);
  if (r.ok) throw new Error(`expected problems, got ${JSON.stringify(r.schedule)}`);
  return r.problems;
}

/** The next `n` runs after `from`, chained through nextRunAfter, as ISO strings. */
function runs(s: Schedule, from: string, n: number): string[] {
  const out: string[] = [];
  let t: Date | null = new Date(from);
  for (let i = 0; i < n; i++) {
    t = nextRunAfter(s, t);
    if (t === null) break;
    out.push(t.toISOString());
  }
  return out;
}

/** Every run in [from, to), as ISO strings. */
function runsBetween(s: Schedule, from: string, to: string): string[] {
  const out: string[] = [];
  const end = new Date(to).getTime();
  let t = nextRunAfter(s, new Date(new Date(from).getTime() - 1));
  while (t !== null && t.getTime() < end) {
    out.push(t.toISOString());
    t = nextRunAfter(s, t);
  }
  return out;
}

const iso = (dates: readonly Date[]): string[] => dates.map((d) => d.toISOString());

describe('parseSchedule: valid input', () => {
  it('defaults to daily at 06:00 in the server zone, enabled, skipping missed runs', () => {
    const s = schedule({}, BERLIN);
    expect(s).toEqual({
      pattern: '0 6 * * *',
      description: 'daily at 06:00 (Europe/Berlin)',
      timezone: BERLIN,
      enabled: true,
      catchUp: 'skip',
      source: { every: 'day', at: '06:00' },
    });
    expect(schedule(undefined, NEW_YORK).timezone).toBe(NEW_YORK);
  });

  it('reads the simple forms, with day names in any case and abbreviated', () => {
    expect(schedule({ schedule: { every: 'day', at: '18:45' } }).pattern).toBe('45 18 * * *');
    const weekly = schedule({ schedule: { every: 'week', day: 'Monday', at: '06:00' }, timezone: NEW_YORK });
    expect(weekly.pattern).toBe('0 6 * * 1');
    expect(weekly.description).toBe('weekly on Monday at 06:00 (America/New_York)');
    expect(weekly.source).toEqual({ every: 'week', day: 'monday', at: '06:00' });
    expect(schedule({ schedule: { every: 'week', day: 'SUN', at: '00:00' } }).pattern).toBe('0 0 * * 0');
    expect(schedule({ schedule: { every: 'week', day: 'sat', at: '23:59' } }).pattern).toBe('59 23 * * 6');
    const monthly = schedule({ schedule: { every: 'month', at: '6:05' } });
    expect(monthly.pattern).toBe('5 6 1 * *');
    expect(monthly.description).toBe('monthly on day 1 at 06:05 (Europe/Berlin)');
    expect(monthly.source).toEqual({ every: 'month', at: '06:05' });
  });

  it('reads cron expressions with 5 or 6 fields and nicknames', () => {
    expect(schedule({ schedule: '*/15 * * * *' }).description).toBe("cron '*/15 * * * *' (Europe/Berlin)");
    expect(schedule({ schedule: '  0   6 * * 1-5 ' }).pattern).toBe('0 6 * * 1-5');
    expect(schedule({ schedule: '30 0 6 * * *' }).pattern).toBe('30 0 6 * * *');
    const daily = schedule({ schedule: '@DAILY' });
    expect(daily.pattern).toBe('0 0 * * *');
    expect(daily.description).toBe('daily at 00:00 (Europe/Berlin)');
    expect(daily.source).toBe('@daily');
    expect(schedule({ schedule: '@weekly' }).pattern).toBe('0 0 * * 0');
    expect(schedule({ schedule: '@monthly' }).pattern).toBe('0 0 1 * *');
    expect(schedule({ schedule: '@hourly' }).pattern).toBe('0 * * * *');
  });

  it('fixes the case of a zone name and keeps the other fields', () => {
    const s = schedule({ timezone: 'europe/berlin', enabled: false, catchUp: 'once' }, 'UTC');
    expect(s.timezone).toBe(BERLIN);
    expect(s.enabled).toBe(false);
    expect(s.catchUp).toBe('once');
  });

  it('round-trips through its input form, whatever the server zone', () => {
    for (const input of [{ schedule: '@daily', timezone: NEW_YORK }, { schedule: { every: 'week', day: 'fri', at: '7:30' }, catchUp: 'once' }]) {
      const s = schedule(input, BERLIN);
      const again = schedule(JSON.parse(JSON.stringify(scheduleToInput(s))), 'Asia/Tokyo');
      expect(again).toEqual(s);
    }
  });

  it('exports a zod schema that fills the defaults', () => {
    expect(scheduleInputSchema.parse({})).toEqual({ schedule: { every: 'day', at: '06:00' }, enabled: true, catchUp: 'skip' });
  });
});

describe('parseSchedule: invalid input', () => {
  it.each([
    [{ schedule: '61 * * * *' }, '/schedule', "invalid cron expression '61 * * * *': Invalid value for minute: 61"],
    [{ schedule: '* * *' }, '/schedule', "invalid cron expression '* * *': expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, got 3"],
    [{ schedule: '0 0 1 1 * 2030 9' }, '/schedule', "invalid cron expression '0 0 1 1 * 2030 9': expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, got 7"],
    [{ schedule: '0 0 30 2 *' }, '/schedule', "cron expression '0 0 30 2 *' never matches a date"],
    [{ schedule: '@reboot' }, '/schedule', "unknown cron nickname '@reboot' (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)"],
    [{ schedule: 42 }, '/schedule', `schedule must be a cron expression such as '0 6 * * *' or an object such as { "every": "day", "at": "06:00" }`],
    [{ schedule: { every: 'day', at: '25:00' } }, '/schedule/at', 'time must be HH:MM (00:00 to 23:59)'],
    [{ schedule: { every: 'day', at: '6:61' } }, '/schedule/at', 'time must be HH:MM (00:00 to 23:59)'],
    [{ schedule: { every: 'month', at: 600 } }, '/schedule/at', 'time must be HH:MM (00:00 to 23:59)'],
    [{ schedule: { every: 'week', day: 'funday', at: '06:00' } }, '/schedule/day', "unknown day 'funday' (expected monday to sunday, or mon to sun)"],
    [{ schedule: { every: 'week', at: '06:00' } }, '/schedule/day', 'day is required for a weekly schedule'],
    [{ schedule: { every: 'fortnight', at: '06:00' } }, '/schedule/every', "every must be 'day', 'week' or 'month'"],
    [{ schedule: { every: 'day', day: 'monday' } }, '/schedule/day', "unknown field 'day'"],
    [{ timezone: 'Mars/Olympus' }, '/timezone', "unknown time zone 'Mars/Olympus'"],
    [{ timezone: '' }, '/timezone', "unknown time zone ''"],
    [{ catchUp: 'twice' }, '/catchUp', "catchUp must be 'skip' or 'once'"],
    [{ enabled: 'yes' }, '/enabled', 'enabled must be true or false'],
    [{ cron: '0 6 * * *' }, '/cron', "unknown field 'cron'"],
    ['0 6 * * *', '/', 'a schedule must be an object such as { "schedule": "0 6 * * *", "timezone": "Europe/Berlin" }'],
  ])('%j: %s', (input, path, message) => {
    expect(problems(input)).toEqual([{ path, message }]);
  });

  it('names every problem at once', () => {
    expect(problems({ schedule: { every: 'day', at: '25:00' }, timezone: 'Mars/Olympus', catchUp: 'always' })).toEqual([
      { path: '/schedule/at', message: 'time must be HH:MM (00:00 to 23:59)' },
      { path: '/timezone', message: "unknown time zone 'Mars/Olympus'" },
      { path: '/catchUp', message: "catchUp must be 'skip' or 'once'" },
    ]);
  });

  it('refuses an unknown server default zone when none is written, and ignores it when one is', () => {
    expect(problems({}, 'Nowhere/Zone')).toEqual([{ path: '/timezone', message: "unknown time zone 'Nowhere/Zone' (the server's default)" }]);
    expect(schedule({ timezone: BERLIN }, 'Nowhere/Zone').timezone).toBe(BERLIN);
  });
});

describe('nextRunAfter: Europe/Berlin across daylight-saving changes', () => {
  it('runs daily 06:00 local: 05:00Z in winter time, 04:00Z after the spring change', () => {
    const s = schedule({ schedule: { every: 'day', at: '06:00' }, timezone: BERLIN });
    expect(runs(s, '2026-03-27T12:00:00Z', 3)).toEqual(['2026-03-28T05:00:00.000Z', '2026-03-29T04:00:00.000Z', '2026-03-30T04:00:00.000Z']);
    expect(runs(s, '2026-10-23T12:00:00Z', 3)).toEqual(['2026-10-24T04:00:00.000Z', '2026-10-25T05:00:00.000Z', '2026-10-26T05:00:00.000Z']);
  });

  it('is strictly after: an occurrence given as `after` is not returned again', () => {
    const s = schedule({ schedule: { every: 'day', at: '06:00' }, timezone: BERLIN });
    expect(nextRunAfter(s, new Date('2026-03-27T05:00:00.000Z'))?.toISOString()).toBe('2026-03-28T05:00:00.000Z');
    expect(nextRunAfter(s, new Date('2026-03-27T05:00:00.500Z'))?.toISOString()).toBe('2026-03-28T05:00:00.000Z');
    expect(nextRunAfter(s, new Date('2026-03-27T04:59:59.999Z'))?.toISOString()).toBe('2026-03-27T05:00:00.000Z');
  });

  it('runs 02:30 once on the spring-forward day, at 03:00 local, the first time after the gap', () => {
    // 02:00 to 02:59 does not exist on 2026-03-29. croner treats `30 2 * * *` as a fixed-time
    // job (Vixie cron's rule): it runs on the same day at the first valid time after the gap,
    // 03:00 CEST (01:00Z), not at 03:30 and not skipped; once, as on every other day.
    const s = schedule({ schedule: { every: 'day', at: '02:30' }, timezone: BERLIN });
    expect(runsBetween(s, '2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST: 02:30 does not exist
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('runs 02:30 once on the fall-back day, at its first (summer-time) occurrence', () => {
    // 02:30 happens twice on 2026-10-25: 00:30Z (CEST) and 01:30Z (CET). Fixed-time jobs run at
    // the first one only.
    const s = schedule({ schedule: { every: 'day', at: '02:30' }, timezone: BERLIN });
    expect(runsBetween(s, '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z')).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
    // Asked from inside the repeated hour, it does not offer the second 02:30 either.
    expect(nextRunAfter(s, new Date('2026-10-25T01:00:00Z'))?.toISOString()).toBe('2026-10-26T01:30:00.000Z');
  });

  it('treats a list of fixed hours as fixed times: once in the repeated hour', () => {
    const s = schedule({ schedule: '30 2,14 * * *', timezone: BERLIN });
    expect(runsBetween(s, '2026-10-25T00:00:00Z', '2026-10-26T00:00:00Z')).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T13:30:00.000Z']);
  });

  it('runs an interval pattern in real time: through both passes of the repeated hour, skipping the missing one', () => {
    const s = schedule({ schedule: '*/15 * * * *', timezone: BERLIN });
    // 02:00 to 03:00 local happens twice on 2026-10-25: eight quarter hours in two real hours.
    expect(runsBetween(s, '2026-10-25T00:00:00Z', '2026-10-25T02:00:00Z')).toHaveLength(8);
    // 01:45 CET is followed by 03:00 CEST, fifteen real minutes later.
    expect(runs(s, '2026-03-29T00:40:00Z', 2)).toEqual(['2026-03-29T00:45:00.000Z', '2026-03-29T01:00:00.000Z']);
    // The local day 2026-03-29 (23:00Z the day before to 22:00Z) is 23 hours long.
    expect(runsBetween(s, '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z')).toHaveLength(23 * 4);
  });

  it('runs weekly on Monday 06:00 and monthly on the first at 06:00, local time on each side of a change', () => {
    const weekly = schedule({ schedule: { every: 'week', day: 'mon', at: '06:00' }, timezone: BERLIN });
    expect(runs(weekly, '2026-03-18T12:00:00Z', 3)).toEqual(['2026-03-23T05:00:00.000Z', '2026-03-30T04:00:00.000Z', '2026-04-06T04:00:00.000Z']);
    const monthly = schedule({ schedule: { every: 'month', at: '06:00' }, timezone: BERLIN });
    expect(runs(monthly, '2026-02-15T00:00:00Z', 3)).toEqual(['2026-03-01T05:00:00.000Z', '2026-04-01T04:00:00.000Z', '2026-05-01T04:00:00.000Z']);
    expect(runs(monthly, '2026-10-15T00:00:00Z', 1)).toEqual(['2026-11-01T05:00:00.000Z']);
  });

  it('runs nicknames and 6-field patterns in the zone', () => {
    expect(runs(schedule({ schedule: '@daily', timezone: BERLIN }), '2026-03-27T12:00:00Z', 2)).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z']);
    // 2026-03-29 is a Sunday: midnight before the change, so still CET.
    expect(runs(schedule({ schedule: '@weekly', timezone: BERLIN }), '2026-03-25T00:00:00Z', 2)).toEqual(['2026-03-28T23:00:00.000Z', '2026-04-04T22:00:00.000Z']);
    expect(runs(schedule({ schedule: '@hourly', timezone: BERLIN }), '2026-03-27T12:10:00Z', 2)).toEqual(['2026-03-27T13:00:00.000Z', '2026-03-27T14:00:00.000Z']);
    expect(runs(schedule({ schedule: '30 0 6 * * *', timezone: BERLIN }), '2026-03-27T12:00:00Z', 1)).toEqual(['2026-03-28T05:00:30.000Z']);
  });

  it('has no next run while disabled', () => {
    expect(nextRunAfter(schedule({ enabled: false }), new Date('2026-03-27T12:00:00Z'))).toBeNull();
  });
});

describe('nextRunAfter: America/New_York across daylight-saving changes', () => {
  it('runs daily 06:00 local: 11:00Z before 2026-03-08, 10:00Z after, 11:00Z again after 2026-11-01', () => {
    const s = schedule({ schedule: { every: 'day', at: '06:00' }, timezone: NEW_YORK });
    expect(runs(s, '2026-03-07T00:00:00Z', 3)).toEqual(['2026-03-07T11:00:00.000Z', '2026-03-08T10:00:00.000Z', '2026-03-09T10:00:00.000Z']);
    expect(runs(s, '2026-10-31T00:00:00Z', 2)).toEqual(['2026-10-31T10:00:00.000Z', '2026-11-01T11:00:00.000Z']);
  });

  it('runs 02:30 once on 2026-03-08 (at 03:00 EDT) and 01:30 once on 2026-11-01 (the EDT one)', () => {
    const spring = schedule({ schedule: { every: 'day', at: '02:30' }, timezone: NEW_YORK });
    expect(runsBetween(spring, '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z', // 03:00 EDT: 02:30 does not exist
      '2026-03-09T06:30:00.000Z',
    ]);
    const fall = schedule({ schedule: { every: 'day', at: '01:30' }, timezone: NEW_YORK });
    expect(runsBetween(fall, '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z')).toEqual([
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z', // 01:30 EDT; 01:30 EST (06:30Z) does not run
      '2026-11-02T06:30:00.000Z',
    ]);
  });
});

describe('dueRun', () => {
  const daily = schedule({ schedule: { every: 'day', at: '06:00' }, timezone: BERLIN });
  const dailyOnce = { ...daily, catchUp: 'once' as const };
  const at = (t: string): Date => new Date(t);

  it('runs an occurrence that is on time, including exactly at its time', () => {
    const r = dueRun(daily, at('2026-03-26T05:00:00Z'), at('2026-03-27T05:00:20Z'));
    expect(r.occurrence?.toISOString()).toBe('2026-03-27T05:00:00.000Z');
    expect(r.missed).toEqual([]);
    expect(r.truncated).toBe(false);
    expect(r.lastOccurrence).toEqual(r.occurrence);
    expect(dueRun(daily, at('2026-03-26T05:00:00Z'), at('2026-03-27T05:00:00Z')).occurrence?.toISOString()).toBe('2026-03-27T05:00:00.000Z');
  });

  it('has nothing due between occurrences', () => {
    const r = dueRun(daily, at('2026-03-27T05:00:00Z'), at('2026-03-27T04:59:59.999Z'));
    expect(r).toEqual({ occurrence: null, missed: [], truncated: false, lastOccurrence: at('2026-03-27T05:00:00Z') });
    expect(dueRun(daily, at('2026-03-27T05:00:00Z'), at('2026-03-27T18:00:00Z')).occurrence).toBeNull();
  });

  it('with skip, runs nothing after an outage and lists what was missed, oldest first', () => {
    const r = dueRun(daily, at('2026-03-24T05:00:00Z'), at('2026-03-27T09:00:00Z'));
    expect(r.occurrence).toBeNull();
    expect(iso(r.missed)).toEqual(['2026-03-25T05:00:00.000Z', '2026-03-26T05:00:00.000Z', '2026-03-27T05:00:00.000Z']);
    expect(r.lastOccurrence?.toISOString()).toBe('2026-03-27T05:00:00.000Z');
  });

  it('with once, runs exactly one occurrence after an outage: the latest', () => {
    const r = dueRun(dailyOnce, at('2026-03-24T05:00:00Z'), at('2026-03-27T09:00:00Z'));
    expect(r.occurrence?.toISOString()).toBe('2026-03-27T05:00:00.000Z');
    expect(iso(r.missed)).toEqual(['2026-03-25T05:00:00.000Z', '2026-03-26T05:00:00.000Z']);
    expect(r.lastOccurrence).toEqual(r.occurrence);
    // Recorded, the same decision does not come back a moment later.
    expect(dueRun(dailyOnce, r.lastOccurrence, at('2026-03-27T09:00:30Z'))).toEqual({ occurrence: null, missed: [], truncated: false, lastOccurrence: r.lastOccurrence });
  });

  it('runs the on-time occurrence whatever the policy, and reports the earlier ones as missed', () => {
    const r = dueRun(daily, at('2026-03-24T05:00:00Z'), at('2026-03-27T05:00:30Z'));
    expect(r.occurrence?.toISOString()).toBe('2026-03-27T05:00:00.000Z');
    expect(iso(r.missed)).toEqual(['2026-03-25T05:00:00.000Z', '2026-03-26T05:00:00.000Z']);
  });

  it('counts an occurrence as late once graceMs have passed', () => {
    expect(dueRun(daily, at('2026-03-26T05:00:00Z'), at('2026-03-27T05:00:59.999Z')).occurrence).not.toBeNull();
    expect(dueRun(daily, at('2026-03-26T05:00:00Z'), at('2026-03-27T05:01:00Z')).occurrence).toBeNull();
    expect(dueRun(daily, at('2026-03-26T05:00:00Z'), at('2026-03-27T05:04:00Z'), 300_000).occurrence).not.toBeNull();
    expect(() => dueRun(daily, null, at('2026-03-27T05:00:00Z'), -1)).toThrow(RangeError);
  });

  it('never fires a new schedule (null last occurrence) for the past, whatever the policy', () => {
    for (const s of [daily, dailyOnce]) {
      expect(dueRun(s, null, at('2026-03-27T09:00:00Z'))).toEqual({ occurrence: null, missed: [], truncated: false, lastOccurrence: null });
      expect(dueRun(s, null, at('2026-03-27T05:01:00Z')).occurrence).toBeNull();
    }
    // An occurrence within the grace period is not the past yet.
    expect(dueRun(daily, null, at('2026-03-27T05:00:10Z')).occurrence?.toISOString()).toBe('2026-03-27T05:00:00.000Z');
  });

  it('is never due while disabled', () => {
    const off = { ...dailyOnce, enabled: false };
    const last = at('2026-03-20T05:00:00Z');
    expect(dueRun(off, last, at('2026-03-27T05:00:10Z'))).toEqual({ occurrence: null, missed: [], truncated: false, lastOccurrence: last });
  });

  it('enumerates at most 1000 occurrences after a long outage and says so', () => {
    const everyMinute = schedule({ schedule: '* * * * *', catchUp: 'once' });
    const r = dueRun(everyMinute, at('2026-03-20T00:00:00Z'), at('2026-03-27T00:00:00Z'));
    expect(r.truncated).toBe(true);
    expect(r.missed).toHaveLength(MAX_ENUMERATED_OCCURRENCES - 1);
    expect(r.occurrence?.toISOString()).toBe('2026-03-27T00:00:00.000Z');
    // Only the latest are reported: the oldest listed is 999 minutes before the one due.
    expect(r.missed[0].toISOString()).toBe('2026-03-26T07:21:00.000Z');
    const exact = dueRun(everyMinute, at('2026-03-26T07:20:00Z'), at('2026-03-27T00:00:00Z'));
    expect(exact.truncated).toBe(false);
    expect(exact.missed).toHaveLength(MAX_ENUMERATED_OCCURRENCES - 1);
  });

  /** A scheduler polling every `stepMs` from `from` to `to`, recording what dueRun says. */
  function simulate(s: Schedule, from: string, to: string, stepMs: number, down: readonly [string, string][] = []): { ran: string[]; missed: string[] } {
    const ran: string[] = [];
    const missed: string[] = [];
    let last: Date | null = null;
    const outages = down.map(([a, b]) => [Date.parse(a), Date.parse(b)] as const);
    for (let t = Date.parse(from); t <= Date.parse(to); t += stepMs) {
      if (outages.some(([a, b]) => t >= a && t < b)) continue;
      const r = dueRun(s, last, new Date(t));
      if (r.occurrence) ran.push(r.occurrence.toISOString());
      missed.push(...iso(r.missed));
      last = r.lastOccurrence;
    }
    return { ran, missed };
  }

  it('never returns an occurrence twice across repeated calls, through the fall-back night', () => {
    const quarter = schedule({ schedule: '*/15 * * * *', timezone: BERLIN });
    const { ran, missed } = simulate(quarter, '2026-10-24T22:00:00Z', '2026-10-25T04:00:00Z', 20_000);
    expect(new Set(ran).size).toBe(ran.length);
    expect(ran).toHaveLength(6 * 4 + 1); // six real hours, both ends included; two are the repeated 02:00 local
    expect(missed).toEqual([]);

    const twoThirty = schedule({ schedule: { every: 'day', at: '02:30' }, timezone: BERLIN });
    expect(simulate(twoThirty, '2026-10-24T00:00:00Z', '2026-10-26T03:00:00Z', 20_000).ran).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('after an outage runs one catch-up with once, none with skip, and then resumes on time', () => {
    const down: [string, string][] = [['2026-03-26T04:00:00Z', '2026-03-28T10:00:00Z']];
    const skip = simulate(daily, '2026-03-25T00:00:00Z', '2026-03-30T00:00:00Z', 30_000, down);
    expect(skip.ran).toEqual(['2026-03-25T05:00:00.000Z', '2026-03-29T04:00:00.000Z']);
    expect(skip.missed).toEqual(['2026-03-26T05:00:00.000Z', '2026-03-27T05:00:00.000Z', '2026-03-28T05:00:00.000Z']);
    const once = simulate(dailyOnce, '2026-03-25T00:00:00Z', '2026-03-30T00:00:00Z', 30_000, down);
    expect(once.ran).toEqual(['2026-03-25T05:00:00.000Z', '2026-03-28T05:00:00.000Z', '2026-03-29T04:00:00.000Z']);
    expect(once.missed).toEqual(['2026-03-26T05:00:00.000Z', '2026-03-27T05:00:00.000Z']);
  });
});
