import { pathToFileURL } from 'node:url';
import { getTrainer, registerTrainer, type AnyTrainer } from './registry.js';

function isTrainer(t: unknown): t is AnyTrainer {
  const x = t as Partial<AnyTrainer> | null;
  return !!x && typeof x.name === 'string' && typeof x.fit === 'function' && typeof x.load === 'function' && Array.isArray(x.tasks) && typeof x.paramsSchema?.safeParse === 'function';
}

/**
 * Import plug-in trainer modules (absolute paths from the server's config file) and register the
 * trainer each exports (`default` or `trainer`). Run in the server and in every training worker,
 * so a plug-in trains and loads the same everywhere; a module already registered is skipped.
 */
export async function loadPlugins(paths: readonly string[]): Promise<string[]> {
  const names: string[] = [];
  for (const path of paths) {
    const mod = (await import(pathToFileURL(path).href)) as { default?: unknown; trainer?: unknown };
    const trainer = isTrainer(mod.default) ? mod.default : mod.trainer;
    if (!isTrainer(trainer)) throw new Error(`plug-in ${path} exports no trainer (default or 'trainer': name, paramsSchema, tasks, fit, load)`);
    if (getTrainer(trainer.name) !== trainer) {
      if (getTrainer(trainer.name)) throw new Error(`plug-in ${path}: a trainer named '${trainer.name}' is already registered`);
      registerTrainer(trainer);
    }
    names.push(trainer.name);
  }
  return names;
}
