import { useAccess } from '../access.js';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import { api, ApiError, type FieldProblem, type Model, type RetrainConfig, type ScheduleSpec } from '../api.js';
import { cronProblem, type FieldMessage, mergeProblems, numberProblem, type NumberRule, plainMessage, timeProblem, timezoneProblem } from '../config-checks.js';
import { Card, When } from './common.js';

type Mode = 'cron' | 'day' | 'week' | 'month';

/** The form's values, as typed (strings for numbers, so a half-typed value is not lost). */
interface FormValues {
  mode: Mode;
  cron: string;
  day: string;
  at: string;
  timezone: string;
  enabled: boolean;
  catchUp: 'skip' | 'once';
  minNewLabels: string;
  timeoutMinutes: string;
  autoPromote: boolean;
  maxDegradationPct: string;
  retries: string;
  checkSchedule: string;
  perfEnabled: boolean;
  perfMaxDropPct: string;
  perfMaxErrorRisePct: string;
  perfMinLabels: string;
  driftEnabled: boolean;
  driftFeatureShare: string;
  driftDelayHours: string;
  driftMinScores: string;
  rateEnabled: boolean;
  rateBelow: string;
  rateLastWindows: string;
  rateMinWindows: string;
}

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

function toValues(c: RetrainConfig): FormValues {
  const s = c.schedule;
  return {
    mode: typeof s === 'string' ? 'cron' : s.every,
    cron: typeof s === 'string' ? s : '0 6 * * *',
    day: typeof s === 'object' && s.every === 'week' ? s.day : 'monday',
    at: typeof s === 'object' ? s.at : '06:00',
    timezone: c.timezone ?? '',
    enabled: c.enabled,
    catchUp: c.catchUp,
    minNewLabels: String(c.minNewLabels),
    timeoutMinutes: String(c.timeoutMinutes),
    autoPromote: c.autoPromote,
    maxDegradationPct: String(+(c.gates.maxDegradation * 100).toFixed(4)),
    retries: String(c.retry.retries),
    checkSchedule: c.triggers.checkSchedule,
    perfEnabled: c.triggers.performance.enabled,
    perfMaxDropPct: String(c.triggers.performance.maxDropPct),
    perfMaxErrorRisePct: String(c.triggers.performance.maxErrorRisePct),
    perfMinLabels: String(c.triggers.performance.minLabels),
    driftEnabled: c.triggers.drift.enabled,
    driftFeatureShare: String(c.triggers.drift.featureShare),
    driftDelayHours: String(c.triggers.drift.delayHours),
    driftMinScores: String(c.triggers.drift.minScores),
    rateEnabled: c.triggers.rate.enabled,
    rateBelow: String(c.triggers.rate.below),
    rateLastWindows: String(c.triggers.rate.lastWindows),
    rateMinWindows: String(c.triggers.rate.minWindows),
  };
}

/** A number when the text is one; otherwise the text itself, so the server names the problem. */
function num(text: string): unknown {
  const t = text.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
}

/** Only the trigger fields the form shows: the others keep their value on the server. */
function triggersBody(v: FormValues, task: Model['task']): Record<string, unknown> {
  return {
    checkSchedule: v.checkSchedule.trim(),
    performance: { enabled: v.perfEnabled, maxDropPct: num(v.perfMaxDropPct), maxErrorRisePct: num(v.perfMaxErrorRisePct), minLabels: num(v.perfMinLabels) },
    drift: { enabled: v.driftEnabled, featureShare: num(v.driftFeatureShare), delayHours: num(v.driftDelayHours), minScores: num(v.driftMinScores) },
    ...(task === 'binary' ? { rate: { enabled: v.rateEnabled, below: num(v.rateBelow), lastWindows: num(v.rateLastWindows), minWindows: num(v.rateMinWindows) } } : {}),
  };
}

function toBody(v: FormValues, task: Model['task']): Record<string, unknown> {
  const schedule: ScheduleSpec =
    v.mode === 'cron' ? v.cron.trim() : v.mode === 'week' ? { every: 'week', day: v.day, at: v.at } : v.mode === 'day' ? { every: 'day', at: v.at } : { every: 'month', at: v.at };
  const pct = num(v.maxDegradationPct);
  return {
    schedule,
    timezone: v.timezone.trim() === '' ? null : v.timezone.trim(),
    enabled: v.enabled,
    catchUp: v.catchUp,
    minNewLabels: num(v.minNewLabels),
    timeoutMinutes: num(v.timeoutMinutes),
    autoPromote: v.autoPromote,
    gates: { maxDegradation: typeof pct === 'number' ? pct / 100 : pct },
    retry: { retries: num(v.retries) },
    triggers: triggersBody(v, task),
  };
}

/** Which field a problem path (`/schedule/at`, `/retry/retries`) belongs to. */
const FIELDS: [prefix: string, field: string][] = [
  ['/schedule', 'schedule'],
  ['/timezone', 'timezone'],
  ['/enabled', 'enabled'],
  ['/catchUp', 'catchUp'],
  ['/minNewLabels', 'minNewLabels'],
  ['/timeoutMinutes', 'timeoutMinutes'],
  ['/autoPromote', 'autoPromote'],
  ['/gates', 'maxDegradation'],
  ['/retry', 'retries'],
];

/** Trigger fields with an input in the form, by their path under /triggers. */
const TRIGGER_FIELDS = new Set([
  'checkSchedule',
  'performance/enabled',
  'performance/maxDropPct',
  'performance/maxErrorRisePct',
  'performance/minLabels',
  'drift/enabled',
  'drift/featureShare',
  'drift/delayHours',
  'drift/minScores',
  'rate/enabled',
  'rate/below',
  'rate/lastWindows',
  'rate/minWindows',
]);

/** `/triggers/drift/featureShare` → `trigger-drift-featureShare` (the input's id). */
function fieldOf(path: string): string | null {
  if (path.startsWith('/triggers/')) {
    const rest = path.slice('/triggers/'.length);
    return TRIGGER_FIELDS.has(rest) ? `trigger-${rest.replace('/', '-')}` : null;
  }
  for (const [prefix, field] of FIELDS) if (path === prefix || path.startsWith(prefix + '/')) return field;
  return null;
}

/** Numeric fields, their value and their bounds (as the server's schema has them), per task. */
function numberRules(v: FormValues, task: Model['task']): [field: string, text: string, rule: NumberRule][] {
  return [
    ['minNewLabels', v.minNewLabels, { int: true, min: 0 }],
    ['timeoutMinutes', v.timeoutMinutes, { gt: 0, max: 1440 }],
    ['maxDegradation', v.maxDegradationPct, { min: 0, max: 100 }],
    ['retries', v.retries, { int: true, min: 0, max: 10 }],
    task === 'regression' ? ['trigger-performance-maxErrorRisePct', v.perfMaxErrorRisePct, { gt: 0, max: 10_000 }] : ['trigger-performance-maxDropPct', v.perfMaxDropPct, { gt: 0, max: 100 }],
    ['trigger-performance-minLabels', v.perfMinLabels, { int: true, min: 1 }],
    ['trigger-drift-featureShare', v.driftFeatureShare, { gt: 0, max: 1 }],
    ['trigger-drift-delayHours', v.driftDelayHours, { min: 0 }],
    ['trigger-drift-minScores', v.driftMinScores, { int: true, min: 10 }],
    ...(task === 'binary'
      ? ([
          ['trigger-rate-below', v.rateBelow, { min: 0, max: 1 }],
          ['trigger-rate-lastWindows', v.rateLastWindows, { int: true, min: 1, max: 1000 }],
          ['trigger-rate-minWindows', v.rateMinWindows, { int: true, min: 1 }],
        ] as [string, string, NumberRule][])
      : []),
  ];
}

/** Every problem the browser can see in the form, by field. */
function checkValues(v: FormValues, task: Model['task']): FieldMessage[] {
  const out: FieldMessage[] = [];
  const add = (field: string, message: string | null) => {
    if (message) out.push({ field, message });
  };
  add('schedule', v.mode === 'cron' ? cronProblem(v.cron) : timeProblem(v.at));
  add('timezone', timezoneProblem(v.timezone));
  for (const [field, text, rule] of numberRules(v, task)) add(field, numberProblem(text, rule));
  add('trigger-checkSchedule', cronProblem(v.checkSchedule));
  return out;
}

/** Field ids as people read them, for problems listed away from their field. */
const FIELD_NAMES: Record<string, string> = {
  schedule: 'Schedule',
  timezone: 'Time zone',
  catchUp: 'Missed runs after downtime',
  minNewLabels: 'Minimum new labels',
  timeoutMinutes: 'Timeout',
  maxDegradation: 'Largest allowed degradation',
  retries: 'Retries after a failure',
  enabled: 'Schedule enabled',
  autoPromote: 'Promote automatically',
};

/** The retrain configuration; the server validates it and its problems appear under their fields. */
export function ConfigForm({ modelId, config, task }: { modelId: string; config: RetrainConfig; task: Model['task'] }) {
  const client = useQueryClient();
  const denied = useAccess().why('train');
  const [values, setValues]
 = useState<FormValues>(() => toValues(config));
  const [dirty, setDirty] = useState(false);
  const [saved, setSaved] = useState<RetrainConfig | null>(null);
  // The browser's own findings at the last save, shown with the server's answer.
  const [local, setLocal] = useState<FieldMessage[]>([]);
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api.putConfig(modelId, body),
    onSuccess: (next) => {
      client.setQueryData(['config', modelId], next);
      void client.invalidateQueries({ queryKey: ['status', modelId] });
      void client.invalidateQueries({ queryKey: ['schedules'] });
      for (const key of ['drift', 'performance', 'needed']) void client.invalidateQueries({ queryKey: [key, modelId] });
      setValues(toValues(next));
      setDirty(false);
      setSaved(next);
    },
    onError: () => setSaved(null),
  });

  const problems: FieldProblem[] = save.error instanceof ApiError ? (save.error.problem?.errors ?? []) : [];
  const placed: FieldMessage[] = [];
  const unplaced: FieldProblem[] = [];
  for (const p of problems) {
    const f = fieldOf(p.path);
    if (f) placed.push({ field: f, message: p.message });
    else unplaced.push(p);
  }
  const byField = save.isError ? mergeProblems(placed, local) : new Map<string, string[]>();
  const problemCount = [...byField.values()].reduce((a, m) => a + m.length, 0) + unplaced.length;
  const set = <K extends keyof FormValues>(key: K, value: FormValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    setDirty(true);
    setSaved(null);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // The server is asked even when the browser sees problems: it may name more, and it decides.
    setLocal(checkValues(values, task));
    save.mutate(toBody(values, task));
  };
  const current = saved ?? (client.getQueryData<RetrainConfig>(['config', modelId]) ?? config);

  return (
    <Card title="Configuration" testId="config" className="config-card">
      <form className="config-form" onSubmit={submit} noValidate>
        <fieldset className="field wide">
          <legend>Schedule</legend>
          <div className="schedule-row">
            <label className="sr-only" htmlFor="schedule-mode">
              Schedule kind
            </label>
            <select id="schedule-mode" value={values.mode} onChange={(e) => set('mode', e.target.value as Mode)}>
              <option value="cron">Cron expression</option>
              <option value="day">Every day</option>
              <option value="week">Every week</option>
              <option value="month">Every month (day 1)</option>
            </select>
            {values.mode === 'cron' && (
              <input
                id="schedule"
                name="schedule"
                aria-label="Cron expression"
                value={values.cron}
                onChange={(e) => set('cron', e.target.value)}
                placeholder="0 6 * * *"
                spellCheck={false}
                aria-invalid={byField.has('schedule')}
                aria-describedby="schedule-error schedule-help"
              />
            )}
            {values.mode === 'week' && (
              <select aria-label="Day of the week" value={values.day} onChange={(e) => set('day', e.target.value)}>
                {DAYS.map((d) => (
                  <option key={d} value={d}>
                    {d[0].toUpperCase() + d.slice(1)}
                  </option>
                ))}
              </select>
            )}
            {values.mode !== 'cron' && (
              <input
                id="schedule"
                name="schedule-at"
                aria-label="At (HH:MM)"
                value={values.at}
                onChange={(e) => set('at', e.target.value)}
                placeholder="06:00"
                inputMode="numeric"
                aria-invalid={byField.has('schedule')}
                aria-describedby="schedule-error schedule-help"
              />
            )}
          </div>
          <FieldError id="schedule-error" messages={byField.get('schedule')} />
          <p id="schedule-help" className="help">
            Now: <span data-testid="schedule-description">{current.scheduleDescription}</span>
            {current.nextRunAt ? (
              <>
                {' '}
                · next run <When at={current.nextRunAt} />
              </>
            ) : (
              ' · no next run'
            )}
            . Cron: minute hour day-of-month month day-of-week, or @daily, @hourly….
          </p>
        </fieldset>

        <Field id="timezone" label="Time zone" errors={byField.get('timezone')} help={`Empty: the server's zone (${current.effectiveTimezone}).`}>
          <input id="timezone" value={values.timezone} placeholder={current.effectiveTimezone} onChange={(e) => set('timezone', e.target.value)} spellCheck={false} aria-invalid={byField.has('timezone')} aria-describedby="timezone-error" />
        </Field>

        <Field id="catchUp" label="Missed runs after downtime" errors={byField.get('catchUp')}>
          <select id="catchUp" value={values.catchUp} onChange={(e) => set('catchUp', e.target.value as 'skip' | 'once')} aria-describedby="catchUp-error">
            <option value="skip">skip them</option>
            <option value="once">run once</option>
          </select>
        </Field>

        <Field id="minNewLabels" label="Minimum new labels" errors={byField.get('minNewLabels')} help="A retrain with fewer new labels is skipped.">
          <input id="minNewLabels" type="number" min={0} step={1} value={values.minNewLabels} onChange={(e) => set('minNewLabels', e.target.value)} aria-invalid={byField.has('minNewLabels')} aria-describedby="minNewLabels-error" />
        </Field>

        <Field id="timeoutMinutes" label="Timeout (minutes)" errors={byField.get('timeoutMinutes')}>
          <input id="timeoutMinutes" type="number" min={1} step="any" value={values.timeoutMinutes} onChange={(e) => set('timeoutMinutes', e.target.value)} aria-invalid={byField.has('timeoutMinutes')} aria-describedby="timeoutMinutes-error" />
        </Field>

        <Field id="maxDegradation" label="Largest allowed degradation (%)" errors={byField.get('maxDegradation')} help="How much worse than the active version a new one may be on the primary metric.">
          <input id="maxDegradation" type="number" min={0} max={100} step="any" value={values.maxDegradationPct} onChange={(e) => set('maxDegradationPct', e.target.value)} aria-invalid={byField.has('maxDegradation')} aria-describedby="maxDegradation-error" />
        </Field>

        <Field id="retries" label="Retries after a failure" errors={byField.get('retries')}>
          <input id="retries" type="number" min={0} max={10} step={1} value={values.retries} onChange={(e) => set('retries', e.target.value)} aria-invalid={byField.has('retries')} aria-describedby="retries-error" />
        </Field>

        <div className="field checks">
          <label className="check">
            <input type="checkbox" checked={values.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Schedule enabled
          </label>
          <FieldError id="enabled-error" messages={byField.get('enabled')} />
          <label className="check">
            <input type="checkbox" checked={values.autoPromote} onChange={(e) => set('autoPromote', e.target.checked)} /> Promote automatically when the gates pass
          </label>
          <FieldError id="autoPromote-error" messages={byField.get('autoPromote')} />
        </div>

        <TriggerFields values={values} set={set} byField={byField} task={task} />

        <div className="field wide form-actions">
          <button type="submit" className="primary" disabled={save.isPending || denied !== null} title={denied ?? undefined}>
            {save.isPending ? 'Saving…' : 'Save configuration'}
          </button>
          {dirty && !save.isPending && (
            <button
              type="button"
              onClick={() => {
                setValues(toValues(current));
                setDirty(false);
                save.reset();
              }}
            >
              Discard changes
            </button>
          )}
          {denied && (
            <span className="muted small" data-testid="config-denied">
              {denied}
            </span>
          )}
          <span role="status" data-testid="config-result">
            {saved && !dirty && <span className="good">Saved.</span>}
            {save.isError && (
              <span className="error-text">
                Not saved: {problemCount > 0 ? `${problemCount === 1 ? '1 problem' : `${problemCount} problems`}, each shown at its field${unplaced.length > 0 ? ' or below' : ''}.` : save.error.message}
              </span>
            )}
          </span>
        </div>
        {unplaced.length > 0 && (
          <ul className="error-text field wide" role="alert">
            {unplaced.map((p) => (
              <li key={p.path + p.message}>
                {FIELD_NAMES[p.path.split('/')[1] ?? ''] ?? <code>{p.path}</code>}: {plainMessage(p.message)}
              </li>
            ))}
          </ul>
        )}
      </form>
    </Card>
  );
}

type Setter = <K extends keyof FormValues>(key: K, value: FormValues[K]) => void;

/** A number input for a trigger setting, its server error under it. */
function NumberField({ id, label, value, onChange, errors, help, min, max, step }: { id: string; label: string; value: string; onChange: (v: string) => void; errors?: string[]; help?: string; min?: number; max?: number; step?: number | 'any' }) {
  return (
    <Field id={id} label={label} errors={errors} help={help}>
      <input id={id} type="number" min={min} max={max} step={step ?? 'any'} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={errors !== undefined} aria-describedby={`${id}-error`} />
    </Field>
  );
}

function TriggerToggle({ id, label, checked, onChange, errors }: { id: string; label: string; checked: boolean; onChange: (v: boolean) => void; errors?: string[] }) {
  return (
    <div className="field trigger-toggle">
      <label className="check" htmlFor={id}>
        <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} aria-describedby={`${id}-error`} /> {label}
      </label>
      <FieldError id={`${id}-error`} messages={errors} />
    </div>
  );
}

/** The monitor's triggers: when it starts a retrain by itself, and how often it checks. */
function TriggerFields({ values: v, set, byField, task }: { values: FormValues; set: Setter; byField: Map<string, string[]>; task: Model['task'] }) {
  const errorMetric = task === 'regression';
  return (
    <fieldset className="field wide triggers" data-testid="trigger-fields">
      <legend>Retrain triggers</legend>
      <p className="help">Besides the schedule, the monitor starts a retrain when the live metric drops, the inputs drift, or (binary models) the accept rate stays low.</p>
      <div className="trigger-schedule">
        <Field id="trigger-checkSchedule" label="Check schedule (cron)" errors={byField.get('trigger-checkSchedule')} help="When the triggers are checked, in the schedule's time zone. 0 * * * * is hourly.">
          <input id="trigger-checkSchedule" value={v.checkSchedule} onChange={(e) => set('checkSchedule', e.target.value)} spellCheck={false} className="mono" aria-invalid={byField.has('trigger-checkSchedule')} aria-describedby="trigger-checkSchedule-error" />
        </Field>
      </div>
      <div className="trigger-groups">
        <div className="trigger-group" role="group" aria-labelledby="trigger-performance-title">
          <h3 id="trigger-performance-title" className="trigger-title">
            Live metric
          </h3>
          <TriggerToggle id="trigger-performance-enabled" label="Retrain when the live metric gets worse than the version's test metric" checked={v.perfEnabled} onChange={(x) => set('perfEnabled', x)} errors={byField.get('trigger-performance-enabled')} />
          {errorMetric ? (
            <NumberField id="trigger-performance-maxErrorRisePct" label="Largest error rise (%)" value={v.perfMaxErrorRisePct} onChange={(x) => set('perfMaxErrorRisePct', x)} errors={byField.get('trigger-performance-maxErrorRisePct')} min={0} help="RMSE, MAE: fire when live is up more than this." />
          ) : (
            <NumberField id="trigger-performance-maxDropPct" label="Largest drop (%)" value={v.perfMaxDropPct} onChange={(x) => set('perfMaxDropPct', x)} errors={byField.get('trigger-performance-maxDropPct')} min={0} max={100} help="Fire when the live metric is down more than this." />
          )}
          <NumberField id="trigger-performance-minLabels" label="Labels needed in the window" value={v.perfMinLabels} onChange={(x) => set('perfMinLabels', x)} errors={byField.get('trigger-performance-minLabels')} min={1} step={1} />
        </div>

        <div className="trigger-group" role="group" aria-labelledby="trigger-drift-title">
          <h3 id="trigger-drift-title" className="trigger-title">
            Drift
          </h3>
          <TriggerToggle id="trigger-drift-enabled" label="Retrain when the inputs drift from the training data" checked={v.driftEnabled} onChange={(x) => set('driftEnabled', x)} errors={byField.get('trigger-drift-enabled')} />
          <NumberField id="trigger-drift-featureShare" label="Share of features that must drift (0–1)" value={v.driftFeatureShare} onChange={(x) => set('driftFeatureShare', x)} errors={byField.get('trigger-drift-featureShare')} min={0} max={1} help="0.5: half of the compared features." />
          <NumberField id="trigger-drift-delayHours" label="Retrain within (hours)" value={v.driftDelayHours} onChange={(x) => set('driftDelayHours', x)} errors={byField.get('trigger-drift-delayHours')} min={0} help="Drift must persist to a check within this many hours of the last one that saw it; 0 retrains at once." />
          <NumberField id="trigger-drift-minScores" label="Scores needed" value={v.driftMinScores} onChange={(x) => set('driftMinScores', x)} errors={byField.get('trigger-drift-minScores')} min={10} step={1} help="Recent scores before drift is judged." />
        </div>

        {task === 'binary' && (
          <div className="trigger-group" role="group" aria-labelledby="trigger-rate-title">
            <h3 id="trigger-rate-title" className="trigger-title">
              Accept rate
            </h3>
            <TriggerToggle id="trigger-rate-enabled" label="Retrain when the share of positive feedback stays low" checked={v.rateEnabled} onChange={(x) => set('rateEnabled', x)} errors={byField.get('trigger-rate-enabled')} />
            <NumberField id="trigger-rate-below" label="Fire below (0–1)" value={v.rateBelow} onChange={(x) => set('rateBelow', x)} errors={byField.get('trigger-rate-below')} min={0} max={1} help="The average accept rate over the last windows." />
            <NumberField id="trigger-rate-lastWindows" label="Windows averaged" value={v.rateLastWindows} onChange={(x) => set('rateLastWindows', x)} errors={byField.get('trigger-rate-lastWindows')} min={1} step={1} />
            <NumberField id="trigger-rate-minWindows" label="Windows with feedback needed" value={v.rateMinWindows} onChange={(x) => set('rateMinWindows', x)} errors={byField.get('trigger-rate-minWindows')} min={1} step={1} />
          </div>
        )}
      </div>
    </fieldset>
  );
}

function Field({ id, label, errors, help, children }: { id: string; label: string; errors?: string[]; help?: string; children: ReactNode }) {
  return (
    <div className={`field${errors ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      <FieldError id={`${id}-error`} messages={errors} />
      <p className="help">{help}</p>
    </div>
  );
}

/** The field's problems, one per line; an empty line when there are none (it keeps its place in the layout). */
function FieldError({ id, messages }: { id: string; messages?: string[] }) {
  const has = messages !== undefined && messages.length > 0;
  return (
    <p id={id} className="field-error" data-testid={has ? id : undefined}>
      {has &&
        messages.map((m) => (
          <span key={m} className="field-error-line">
            {m}
          </span>
        ))}
    </p>
  );
}
