import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Dataset } from '../../data/dataset.js';
import { UnrecoverableError } from '../../errors.js';
import { decodeEnvelope, externalFeatureProblem } from '../formats/envelope.js';
import { loadExternal, loadModelFile } from '../formats/index.js';
import type { FitOptions, Predictor, Trainer } from '../trainer.js';
import { datasetCsv } from './csv.js';
import { runCommand } from './run-command.js';

/** Params of the command trainer: the name of a command declared in the server's config file. */
export const commandParamsSchema = z.object({ command: z.string().min(1) }).strict();

/** Lines of output quoted when a command fails. */
const TAIL_LINES = 20;

/** Last `count` non-empty lines of a log. */
export function lastLines(text: string, count = TAIL_LINES): string {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(-count).join('\n');
}

const PROGRESS = /^progress:\s*([0-9]*\.?[0-9]+)\s*$/;

/**
 * Runs a command declared in the config file: writes the splits for it into a fresh job
 * directory, runs it (argv, no shell, own process group, its timeout), keeps its output as the
 * job's log, and loads the model file it wrote. Refit then evaluates that model like its own.
 */
export const commandTrainer: Trainer<z.output<typeof commandParamsSchema>> = {
  name: 'command',
  paramsSchema: commandParamsSchema,
  tasks: ['binary', 'multiclass', 'regression'],

  async fit(data: Dataset, params, options: FitOptions): Promise<Predictor> {
    const job = options.job;
    if (!job) throw new UnrecoverableError('the command trainer runs only inside a retrain job');
    const declared = Object.hasOwn(job.commands, params.command) ? job.commands[params.command] : undefined;
    if (!declared) throw new UnrecoverableError(`command '${params.command}' is not declared in the server's config file`);
    const format = declared.format;
    if (format === 'reference') throw new UnrecoverableError(`command '${params.command}' prints a model reference; it runs for externally served models only`);
    const featureProblem = externalFeatureProblem(data.features);
    if (featureProblem) throw new UnrecoverableError(featureProblem);
    // The id is ours (a time-ordered id), never a client's, so it is safe as a directory name.
    const dir = join(job.workRoot, job.id);
    const out = join(dir, 'output');
    await rm(dir, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
    try {
      const schema = { task: data.task, features: data.features, classes: data.classes, label: 'label', format: format };
      await writeFile(join(dir, 'train.csv'), datasetCsv(data));
      // Without a validation part (a trainer called directly), the file holds the header only.
      await writeFile(join(dir, 'validation.csv'), options.validation ? datasetCsv(options.validation) : datasetCsv(data).split('\n')[0] + '\n');
      await writeFile(join(dir, 'schema.json'), JSON.stringify(schema, null, 2));
      let previous = '';
      if (job.champion && (job.champion.kind === 'command' || job.champion.kind === format)) {
        try {
          const { meta, model } = decodeEnvelope(job.champion.bytes);
          if (meta.format === format) {
            previous = join(dir, format === 'onnx' ? 'previous.onnx' : 'previous.json');
            await writeFile(previous, model);
          }
        } catch {
          // A champion that is not an external model file is not handed over.
        }
      }
      let log = '';
      let partial = '';
      const exit = await runCommand({
        argv: declared.run,
        cwd: process.cwd(),
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? dir,
          LANG: process.env.LANG ?? 'C.UTF-8',
          REFIT_TRAIN_CSV: join(dir, 'train.csv'),
          REFIT_VALIDATION_CSV: join(dir, 'validation.csv'),
          REFIT_SCHEMA_JSON: join(dir, 'schema.json'),
          REFIT_OUTPUT_DIR: out,
          REFIT_SEED: String(options.seed),
          REFIT_PREVIOUS_ARTIFACT: previous,
        },
        timeoutMs: declared.timeoutMinutes * 60_000,
        ...(options.signal ? { signal: options.signal } : {}),
        onStart: (pid) => job.onStart?.(pid),
        onOutput: (text) => {
          log += text;
          if (log.length > 1_000_000) log = log.slice(-500_000);
          job.onLog?.(text);
          partial += text;
          const lines = partial.split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) {
            const m = PROGRESS.exec(line.trim());
            if (m) options.onProgress?.(Math.min(1, Math.max(0, Number(m[1]))));
          }
        },
      });
      if (exit.stopped === 'timeout') {
        throw new UnrecoverableError(`timeout: command '${params.command}' ran longer than ${declared.timeoutMinutes} minute(s) and was stopped with its process group`);
      }
      if (exit.stopped === 'aborted') throw options.signal?.reason ?? new Error('aborted');
      if (exit.code !== 0) {
        throw new UnrecoverableError(`command '${params.command}' exited with code ${exit.code}; last lines of its output:\n${lastLines(log)}`);
      }
      const file = format === 'onnx' ? 'model.onnx' : 'model.json';
      let bytes: Uint8Array;
      try {
        bytes = await readFile(join(out, file));
      } catch {
        throw new UnrecoverableError(`command '${params.command}' exited without writing ${file} into REFIT_OUTPUT_DIR`);
      }
      try {
        const metrics = await readFile(join(out, 'metrics.json'), 'utf8');
        job.onLog?.(`\n[refit] metrics.json: ${metrics.trim().slice(0, 2000)}\n`);
      } catch {
        // metrics.json is optional.
      }
      return loadModelFile(bytes, { format: format, task: data.task, features: data.features, classes: data.classes });
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  },

  load: loadExternal,
};
