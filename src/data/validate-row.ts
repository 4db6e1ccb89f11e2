import type { FeatureRow, FeatureSpec, LabelValue, Task } from '../domain/entities.js';

/** One problem with client input, as it appears in a problem document's `errors`. */
export interface InputProblem {
  readonly path: string;
  readonly message: string;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** Feature names per spec, built once per model spec rather than once per row. */
const names = new WeakMap<readonly FeatureSpec[], ReadonlySet<string>>();
function namesOf(features: readonly FeatureSpec[]): ReadonlySet<string> {
  let set = names.get(features);
  if (!set) names.set(features, (set = new Set(features.map((f) => f.name))));
  return set;
}

/**
 * Check one feature row against the model's features: every key must be a declared feature,
 * numbers finite numbers, categories strings (numbers and booleans are taken as their text),
 * booleans true/false, text strings; null or absent is a missing value. Returns the cleaned row
 * and every problem found, each with its JSON-pointer path.
 */
export function validateFeatureRow(features: readonly FeatureSpec[], raw: unknown, path: string): { row: FeatureRow; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { row: {}, problems: [{ path, message: `features must be an object of feature values, got ${describe(raw)}` }] };
  }
  const input = raw as Record<string, unknown>;
  const byName = namesOf(features);
  for (const key of Object.keys(input)) {
    if (!byName.has(key)) problems.push({ path: `${path}/${key}`, message: `unknown feature '${key}'` });
  }
  const row: Record<string, number | string | boolean | null> = {};
  for (const f of features) {
    const v = input[f.name];
    if (v === undefined || v === null) {
      row[f.name] = null;
      continue;
    }
    switch (f.type) {
      case 'number':
        if (typeof v === 'number' && Number.isFinite(v)) row[f.name] = v;
        else problems.push({ path: `${path}/${f.name}`, message: `must be a finite number, got ${describe(v)}` });
        break;
      case 'boolean':
        if (typeof v === 'boolean') row[f.name] = v;
        else if (v === 0 || v === 1) row[f.name] = v === 1;
        else problems.push({ path: `${path}/${f.name}`, message: `must be true, false or null, got ${describe(v)}` });
        break;
      case 'category':
        if (typeof v === 'string') row[f.name] = v;
        else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') row[f.name] = String(v);
        else problems.push({ path: `${path}/${f.name}`, message: `must be a category value (a string) or null, got ${describe(v)}` });
        break;
      case 'text':
        if (typeof v === 'string') row[f.name] = v;
        else problems.push({ path: `${path}/${f.name}`, message: `must be a string or null, got ${describe(v)}` });
        break;
    }
  }
  return { row, problems };
}

/**
 * Check a label against the task: 0, 1, true or false for binary (stored as 0/1); a class name for
 * multiclass (one of `classes` when the spec lists them); a finite number for regression.
 */
export function validateLabel(task: Task, classes: readonly string[] | null | undefined, raw: unknown, path: string): { label: LabelValue | null; problem: InputProblem | null } {
  const refuse = (message: string) => ({ label: null, problem: { path, message } });
  if (raw === undefined || raw === null) return refuse(`a label is required, got ${describe(raw)}`);
  if (task === 'binary') {
    if (raw === 1 || raw === true) return { label: 1, problem: null };
    if (raw === 0 || raw === false) return { label: 0, problem: null };
    return refuse(`a binary label must be 0, 1, true or false, got ${describe(raw)}`);
  }
  if (task === 'regression') {
    if (typeof raw === 'number' && Number.isFinite(raw)) return { label: raw, problem: null };
    return refuse(`a regression label must be a finite number, got ${describe(raw)}`);
  }
  if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isFinite(raw))) {
    return refuse(`a multiclass label must be a class name (a string), got ${describe(raw)}`);
  }
  const label = String(raw);
  if (label.length === 0) return refuse('a multiclass label must not be empty');
  if (classes && classes.length > 0 && !classes.includes(label)) {
    return refuse(`unknown class '${label}'; the model's classes are ${classes.join(', ')}`);
  }
  return { label, problem: null };
}
