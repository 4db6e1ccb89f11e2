import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';
import type { ModelSpec } from '../domain/entities.js';
import type { FieldProblem } from '../errors.js';
import { RefitError } from '../errors.js';
import { parseModelSpec } from './model-spec.js';

/** File names looked for in the working directory when no config file is named. */
export const DEFAULT_CONFIG_FILES = ['refit.config.json', 'refit.config.yaml', 'refit.config.yml'] as const;

/** The config file to use: the one named, else the first default that exists, else null. */
export function findConfigFile(named: string | null, cwd: string): string | null {
  if (named !== null) return resolve(cwd, named);
  for (const f of DEFAULT_CONFIG_FILES) {
    const p = resolve(cwd, f);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Read a config file (`{ "models": [spec, …] }`, JSON or YAML) and validate every model spec.
 * Throws RefitError VALIDATION_FAILED naming every bad field as `/models/<i>/<field>`.
 */
export function loadConfigFile(path: string): ModelSpec[] {
  return readConfigFile(path).models;
}

/** A config file's contents: the model specs and the global switches. */
export interface ConfigFile {
  readonly models: ModelSpec[];
  /** `automaticRetraining: false` pauses scheduled and trigger-started retrains; null when the file does not say. */
  readonly automaticRetraining: boolean | null;
}

/** Read a config file: its models (see loadConfigFile) and `automaticRetraining` (a boolean, optional). */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RefitError('VALIDATION_FAILED', `Cannot read the config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(path) ? YAML.parse(text) : JSON.parse(text);
  } catch (err) {
    throw new RefitError('VALIDATION_FAILED', `The config file ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message}`, { cause: err });
  }
  const models = (doc as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) {
    throw new RefitError('VALIDATION_FAILED', `The config file ${path} is invalid.`, { errors: [{ path: '/models', message: 'must be a list of model specs' }] });
  }
  const problems: FieldProblem[] = [];
  const automatic = (doc as { automaticRetraining?: unknown }).automaticRetraining;
  if (automatic !== undefined && typeof automatic !== 'boolean') problems.push({ path: '/automaticRetraining', message: 'must be true or false' });
  const specs: ModelSpec[] = [];
  const ids = new Set<string>();
  models.forEach((m, i) => {
    try {
      const spec = parseModelSpec(m, `/models/${i}`);
      if (ids.has(spec.id)) problems.push({ path: `/models/${i}/id`, message: `duplicate model id '${spec.id}'` });
      ids.add(spec.id);
      specs.push(spec);
    } catch (err) {
      if (err instanceof RefitError) problems.push(...err.errors);
      else throw err;
    }
  });
  if (problems.length > 0) throw new RefitError('VALIDATION_FAILED', `The config file ${path} is invalid.`, { errors: problems });
  return { models: specs, automaticRetraining: typeof automatic === 'boolean' ? automatic : null };
}

/** The commented example `refit init` writes. */
export const EXAMPLE_CONFIG = `# Refit model specs. Refit reads this file at start-up (refit serve) and creates or updates
# each model. A bad spec stops the server with the field and the reason.
models:
  - id: churn                       # letters, digits, _ - . (used in URLs)
    task: binary                    # binary | multiclass | regression
    description: Will this customer cancel next month?
    features:                       # name and type: number | category | boolean | text
      - { name: age, type: number }
      - { name: plan, type: category }
      - { name: autoRenew, type: boolean }
      - { name: lastTicket, type: text }
    trainer:
      type: logistic                # logistic (binary, multiclass) | ridge (regression)
      params: { l2: 1.0 }           # L2 strength; 1.0 is scikit-learn's C=1
    scoreRange: [-1, 1]             # binary only: P(positive) mapped into this range (default [0, 1])
    defaultScore: 0                 # served with version null until a version exists
    retrain:
      minNewLabels: 5               # new labels needed before a retrain trains (default 5)
      window: all                   # all | { days: 30 } | { labels: 10000 }
      autoPromote: true             # promote when the gates pass (default true)
      gates:
        minimums: { auc: 0.6 }      # per-metric floors (ceilings for mae, rmse, logLoss)
        maxDegradation: 0.05        # challenger at most 5% worse than the champion (default)
      seed: 42                      # split and training seed (default 42)
`;
