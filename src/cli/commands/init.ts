import { writeFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXAMPLE_CONFIG } from '../../config/config-file.js';
import { CliExit } from '../command-kit.js';
import type { CliIo } from '../io.js';

/** Register `init [--file refit.config.yaml] [--force]`. */
export function registerInitCommand(program: Command, io: CliIo): void {
  program
    .command('init')
    .description('write an example config file with one commented model spec')
    .option('--file <path>', 'where to write it', 'refit.config.yaml')
    .option('--force', 'overwrite the file if it exists')
    .action(async (flags: { file: string; force?: boolean }) => {
      const path = resolve(io.cwd, flags.file);
      // Paths inside the working directory read better relative; others in full.
      const rel = relative(io.cwd, path);
      const shown = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
      try {
        // 'wx' fails if the file exists, so two runs cannot both write it.
        await writeFile(path, EXAMPLE_CONFIG, { flag: flags.force ? 'w' : 'wx' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          io.stderr(`${shown} already exists; nothing was written. Use --force to overwrite it.\n`);
          throw new CliExit(1);
        }
        io.stderr(`Cannot write ${shown}: ${(err as Error).message}\n`);
        throw new CliExit(1);
      }
      const serve = flags.file === 'refit.config.yaml' ? 'refit serve' : `refit serve --config ${shown}`;
      io.stdout(`Wrote ${shown}. Edit the model specs, then run \`${serve}\`.\n`);
    });
}
