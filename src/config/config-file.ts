import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { commandDeclarationSchema, type CommandTable } from '../train/command/command-spec.js';
import { loadPlugins } from '../train/plugins.js';
import YAML from 'yaml';
import type { ModelSpec } from '../domain/entities.js';
import type { FieldProblem } from '../errors.js';
import { RefitError } from '../errors.js';
import { parseModelSpec, zodProblems } from './model-spec.js';
import { FILE_SETTING_NAMES, loadSettings, type Settings, type SettingsOverrides } from './settings.js';

/** File names looked for in the working directory when no config file is named. */
export const DEFAULT_CONFIG_FILES = ['refit.config.json', 'refit.config.yaml', 'refit.config.yml'] as const;

/**
 * Settings with the config file's `settings` section under them: the file (named by the flags or
 * the environment, else a default file in `cwd`) gives the values that neither the environment nor
 * a flag gives. E.g. `settings: { redisUrl: redis://…, auth: required }`. An unknown name or a bad
 * value stops start-up with its path (`/settings/<name>`).
 */
export function settingsWithConfigFile(env: NodeJS.ProcessEnv, overrides: SettingsOverrides, cwd: string): Settings {
  const first = loadSettings(env, overrides);
  const path = findConfigFile(first.configFile, cwd);
  if (path === null) return first;
  const section = readDoc(path)?.settings;
  if (section === undefined || section === null) return first;
  if (typeof section !== 'object' || Array.isArray(section)) {
    throw new RefitError('VALIDATION_FAILED', `The config file ${path} is invalid.`, { errors: [{ path: '/settings', message: 'must be a map of setting names to values' }] });
  }
  const unknown = Object.keys(section).filter((k) => !FILE_SETTING_NAMES.includes(k));
  if (unknown.length > 0) {
    throw new RefitError('VALIDATION_FAILED', `The config file ${path} is invalid.`, {
      errors: unknown.map((k) => ({ path: `/settings/${k}`, message: `unknown setting; known: ${FILE_SETTING_NAMES.join(', ')}` })),
    });
  }
  try {
    return loadSettings(env, overrides, section as SettingsOverrides);
  } catch (err) {
    if (!(err instanceof RefitError)) throw err;
    throw new RefitError('VALIDATION_FAILED', `The config file ${path} is invalid.`, { errors: err.errors.map((p) => ({ ...p, path: `/settings${p.path}` })), cause: err });
  }
}

/** The config file to use: the one named, else the first default that exists, else null. */
export function findConfigFile(named: string | null, cwd: string): string | null {
  if (named !== null) return resolve(cwd, named);
  for (const f of DEFAULT_CONFIG_FILES) {
    const p = resolve(cwd, f);
    if (existsSync(p)) return p;
  }
  return null;
}

/** What a config file declares: models, the commands trainers may run, plug-in trainer modules. */
export interface ServerConfig {
  readonly models: ModelSpec[];
  /** Commands by name; the only programs Refit ever runs. Default none. */
  readonly commands: CommandTable;
  /** Plug-in trainer modules, as absolute paths (relative ones are resolved from the file's folder). Default none. */
  readonly plugins: string[];
  /** `auth: required` makes every API route need a key (as REFIT_AUTH=required); default null: the settings decide. */
  readonly auth: 'required' | 'off' | null;
  /** `automaticRetraining: false` pauses scheduled and trigger-started retrains; null when the file does not say. */
  readonly automaticRetraining: boolean | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const commandsSchema = z.record(z.string().regex(NAME, 'a command name is 1-64 letters, digits, "_", "-" or "."'), commandDeclarationSchema).default({});
const pluginsSchema = z.array(z.string().min(1)).default([]);

function readDoc(path: string): Record<string, unknown> | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RefitError('VALIDATION_FAILED', `Cannot read the config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return (/\.ya?ml$/i.test(path) ? YAML.parse(text) : JSON.parse(text)) as Record<string, unknown> | null;
  } catch (err) {
    throw new RefitError('VALIDATION_FAILED', `The config file ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message}`, { cause: err });
  }
}

function parseDoc(path: string, doc: Record<string, unknown> | null): ServerConfig {
  const problems: FieldProblem[] = [];
  const commands = commandsSchema.safeParse(doc?.commands);
  if (!commands.success) problems.push(...zodProblems(commands.error, '/commands'));
  const plugins = pluginsSchema.safeParse(doc?.plugins);
  if (!plugins.success) problems.push(...zodProblems(plugins.error, '/plugins'));
  const auth = doc?.auth;
  if (auth !== undefined && auth !== null && auth !== 'required' && auth !== 'off') problems.push({ path: '/auth', message: "must be 'required' or 'off'" });
  const automatic = doc?.automaticRetraining;
  if (automatic !== undefined && typeof automatic !== 'boolean') problems.push({ path: '/automaticRetraining', message: 'must be true or false' });
  const models = doc?.models;
  if (!Array.isArray(models)) {
    throw new RefitError('VALIDATION_FAILED', `The config file ${path} is invalid.`, { errors: [...problems, { path: '/models', message: 'must be a list of model specs' }] });
  }
  const table: CommandTable = commands.success ? commands.data : {};
  const specs: ModelSpec[] = [];
  const ids = new Set<string>();
  models.forEach((m, i) => {
    try {
      const spec = parseModelSpec(m, `/models/${i}`, { commands: table });
      if (ids.has(spec.id)) problems.push({ path: `/models/${i}/id`, message: `duplicate model id '${spec.id}'` });
      ids.add(spec.id);
      specs.push(spec);
    } catch (err) {
      if (err instanceof RefitError) problems.push(...err.errors);
      else throw err;
    }
  });
  if (problems.length > 0) throw new RefitError('VALIDATION_FAILED', `The config file ${path} is invalid.`, { errors: problems });
  return {
    models: specs,
    commands: table,
    plugins: (plugins.success ? plugins.data : []).map((p) => resolve(dirname(path), p)),
    auth: auth === 'required' || auth === 'off' ? auth : null,
    automaticRetraining: typeof automatic === 'boolean' ? automatic : null,
  };
}

/**
 * Read a config file (`{ "models": [spec, …], "commands"?: {…}, "plugins"?: […] }`, JSON or
 * YAML) and validate every model spec (plug-in trainers are not loaded: see loadServerConfig).
 * Throws RefitError VALIDATION_FAILED naming every bad field as `/models/<i>/<field>`.
 */
export function loadConfigFile(path: string): ModelSpec[] {
  return parseDoc(path, readDoc(path)).models;
}

/** Read a config file without loading its plug-ins: models (as {@link loadConfigFile}), commands, plug-in paths, `auth` and `automaticRetraining`. */
export function readConfigFile(path: string): ServerConfig {
  return parseDoc(path, readDoc(path));
}

/** Read a config file, load its plug-in trainers, then validate its models (which may name them). */
export async function loadServerConfig(path: string): Promise<ServerConfig> {
  const doc = readDoc(path);
  const plugins = pluginsSchema.safeParse(doc?.plugins);
  if (plugins.success) {
    const paths = plugins.data.map((p) => resolve(dirname(path), p));
    try {
      await loadPlugins(paths);
    } catch (err) {
      throw new RefitError('VALIDATION_FAILED', `The config file ${path} is invalid.`, { errors: [{ path: '/plugins', message: (err as Error).message }], cause: err });
    }
  }
  return parseDoc(path, doc);
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
