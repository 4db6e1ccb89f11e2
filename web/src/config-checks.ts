/**
 * The configuration form's problems in plain words: the server's validation messages reworded,
 * and the same rules checked in the browser. The server checks a request in passes (the request's
 * shape, then the schedule and triggers), so a request with problems in both names only the first
 * pass's; checking here too lets the form name every problem at once. The server stays the
 * authority: what it accepts is saved, whatever is checked here.
 */

/** One problem of one form field (the field's input id: `minNewLabels`, `trigger-drift-featureShare`). */
export interface FieldMessage {
  field: string;
  message: string;
}

/** Bounds of a numeric field, as the server's schema has them. */
export interface NumberRule {
  int?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  gt?: number;
  /** Inclusive upper bound. */
  max?: number;
}

/** The problem with a typed number, or null when it is fine. */
export function numberProblem(text: string, rule: NumberRule): string | null {
  const t = text.trim();
  if (t === '' || !Number.isFinite(Number(t))) return 'Enter a number.';
  const x = Number(t);
  if (rule.int && !Number.isInteger(x)) return 'Enter a whole number.';
  if (rule.gt !== undefined && !(x > rule.gt)) return `Must be more than ${rule.gt}.`;
  if (rule.min !== undefined && x < rule.min) return `Must be at least ${rule.min}.`;
  if (rule.max !== undefined && x > rule.max) return `Must be at most ${rule.max}.`;
  return null;
}

const CRON_FIELDS: [name: string, lo: number, hi: number][] = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of the month', 1, 31],
  ['month', 1, 12],
  ['day of the week', 0, 7],
];

/**
 * The problem with a cron expression, or null when it looks fine: the field count and the numbers
 * of each field (names such as `mon` or `jan` and the L / W / # forms are left to the server).
 */
export function cronProblem(expression: string): string | null {
  const e = expression.trim();
  if (e === '') return 'Enter a cron expression, e.g. 0 6 * * * for 06:00 every day.';
  if (e.startsWith('@')) {
    return /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/i.test(e) ? null : `“${e}” is not a cron shorthand; use @hourly, @daily, @weekly, @monthly or @yearly.`;
  }
  const parts = e.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    return `“${e}” is not a valid cron expression: it needs five fields (minute, hour, day of the month, month, day of the week), not ${parts.length}.`;
  }
  const fields = parts.length === 6 ? [['second', 0, 59] as [string, number, number], ...CRON_FIELDS] : CRON_FIELDS;
  for (let i = 0; i < parts.length; i++) {
    const [name, lo, hi] = fields[i];
    for (const item of parts[i].split(',')) {
      const [range, step] = item.split('/');
      if (step !== undefined && !/^\d+$/.test(step)) return `“${e}” is not a valid cron expression: the step “${step}” of the ${name} is not a number.`;
      if (range === '*' || range === '?' || /[a-z#]/i.test(range)) continue;
      for (const n of range.split('-')) {
        if (!/^\d+$/.test(n)) return `“${e}” is not a valid cron expression: “${item}” is not a valid ${name}.`;
        if (Number(n) < lo || Number(n) > hi) return `“${e}” is not a valid cron expression: ${n} is not a valid ${name} (${lo} to ${hi}).`;
      }
    }
  }
  return null;
}

/** The problem with a time zone name, or null when the browser knows it (an empty one means the server's). */
export function timezoneProblem(name: string): string | null {
  const tz = name.trim();
  if (tz === '') return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return null;
  } catch {
    return timezoneMessage(tz);
  }
}

function timezoneMessage(tz: string): string {
  return `“${tz}” is not a known time zone; use a name like Europe/Paris or UTC, or leave it empty.`;
}

/** The problem with an HH:MM time, or null. */
export function timeProblem(at: string): string | null {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(at.trim()) ? null : AT_MESSAGE;
}

const AT_MESSAGE = 'Enter a time as HH:MM, from 00:00 to 23:59.';

function sentence(s: string): string {
  const t = s.trim();
  if (t === '') return t;
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.');
}

const BOUND_WORDS: Record<string, string> = { '<=': 'at most', '<': 'less than', '>=': 'at least', '>': 'more than' };

/** A server validation message in the words the form uses for the same problem. */
export function plainMessage(message: string): string {
  const m = message.trim();
  let x = /^invalid cron expression '(.*)'(?::\s*(.*))?$/i.exec(m);
  if (x) return `“${x[1]}” is not a valid cron expression${x[2] ? `: ${x[2].charAt(0).toLowerCase()}${x[2].slice(1).replace(/\.$/, '')}` : ''}.`;
  x = /^unknown time ?zone '(.*)'$/i.exec(m);
  if (x) return timezoneMessage(x[1]);
  if (/^time must be HH:MM/i.test(m)) return AT_MESSAGE;
  x = /expected [a-z]+ to (?:be|have) (<=|<|>=|>)\s*([-\d.e]+)/i.exec(m);
  if (x) return `Must be ${BOUND_WORDS[x[1]]} ${x[2]}.`;
  if (/expected int(eger)?, received/i.test(m)) return 'Enter a whole number.';
  if (/expected number, received/i.test(m)) return 'Enter a number.';
  if (/expected boolean, received/i.test(m)) return 'Choose on or off.';
  x = /^Invalid option: expected one of (.*)$/i.exec(m);
  if (x) return `Choose one of ${x[1].replace(/"/g, '').split('|').join(', ')}.`;
  x = /^unknown field '(.*)'$/i.exec(m);
  if (x) return `“${x[1]}” is not a setting the server knows.`;
  return sentence(m);
}

/**
 * The messages to show per field: the server's (reworded) first; for a field the server did not
 * name, the browser's own check, which covers what a later server pass would have said.
 */
export function mergeProblems(server: FieldMessage[], local: FieldMessage[]): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  for (const p of server) {
    const list = byField.get(p.field) ?? [];
    const message = plainMessage(p.message);
    if (!list.includes(message)) list.push(message);
    byField.set(p.field, list);
  }
  for (const p of local) if (!byField.has(p.field)) byField.set(p.field, [p.message]);
  return byField;
}
