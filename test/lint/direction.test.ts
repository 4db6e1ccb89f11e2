import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { cycles, folderGraph, importSpecifiers } from './folder-graph.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the lint keeps imports pointing down the loop', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: root, overrideConfigFile: fileURLToPath(new URL('../../eslint.config.js', import.meta.url)) });
  });

  /** The messages of the project's own rules for `code` written at `filePath`. */
  async function refitMessages(filePath: string, code: string): Promise<{ ruleId: string | null; message: string; line: number }[]> {
    const [result] = await eslint.lintText(code, { filePath });
    return result.messages.filter((m) => m.ruleId?.startsWith('refit/')).map(({ ruleId, message, line }) => ({ ruleId, message, line }));
  }

  it('reports an import from a folder above, pointing at the rule and the docs', async () => {
    const messages = await refitMessages('src/rollout/x.ts', "import { x } from '../monitor/y.js';\nexport const z = x;\n");
    expect(messages).toEqual([
      {
        ruleId: 'refit/imports-point-down',
        line: 1,
        message:
          'src/rollout may not import src/monitor: imports point down the loop (domain → … → cli); pass a callback or move the shared piece down (docs/architecture.md)',
      },
    ]);
  });

  it('reports type imports, re-exports, dynamic imports and import types that point up alike', async () => {
    const code = [
      "import type { Refit } from '../service/index.js';",
      "export { runRetrain } from '../retrain/pipeline.js';",
      "export * from '../http/app.js';",
      "export const load = () => import('../config/settings.js');",
      "export type Q = import('../retrain/runner.js').JobQueue | Refit;",
    ].join('\n');
    const messages = await refitMessages('src/monitor/x.ts', code);
    expect(messages.map((m) => [m.line, m.message.split(':')[0]])).toEqual([
      [1, 'src/monitor may not import src/service'],
      [2, 'src/monitor may not import src/retrain'],
      [3, 'src/monitor may not import src/http'],
      [4, 'src/monitor may not import src/config'],
      [5, 'src/monitor may not import src/retrain'],
    ]);
  });

  it('lets a file import its own folder and every folder below, and top-level files by their layer', async () => {
    const down = [
      "import { ksTwoSample } from '../stats/ks.js';",
      "import type { Clock } from '../domain/clock.js';",
      "import { RefitError } from '../errors.js';",
      "import type { PredictorCache } from '../train/predictor-cache.js';",
      "import { canaryArm } from '../rollout/routing.js';",
      "import { computeDrift } from './drift.js';",
      'export const all = [ksTwoSample, RefitError, canaryArm, computeDrift] as const;',
      'export type T = Clock | PredictorCache;',
    ].join('\n');
    expect(await refitMessages('src/monitor/x.ts', down)).toEqual([]);
    // The root files share a layer (the server starts the demo); the cli sits above them all.
    expect(await refitMessages('src/server.ts', "import { startDemo } from './demo.js';\nexport const s = startDemo;\n")).toEqual([]);
    expect(await refitMessages('src/cli/x.ts', "export const load = () => import('../server.js');\n")).toEqual([]);
    expect((await refitMessages('src/errors.ts', "import { x } from './stats/ks.js';\nexport const y = x;\n")).map((m) => m.message.split(':')[0])).toEqual(['src/errors.ts may not import src/stats']);
  });

  it('asks for a place in the loop for a folder it does not know', async () => {
    const messages = await refitMessages('src/nowhere/x.ts', 'export const k = 1;\n');
    expect(messages.map((m) => m.message)).toEqual(['src/nowhere has no place in the loop: add it to LAYERS in eslint.config.js (docs/architecture.md, "Adding a folder")']);
  });

  it('lets the dashboard take only types from src', async () => {
    const messages = await refitMessages(
      'web/src/x.ts',
      ["import { RefitError } from '../../src/errors.js';", "import type { Model } from '../../src/domain/entities.js';", "import { api } from './api.js';", 'export const x = [RefitError, api];', 'export type M = Model;'].join('\n'),
    );
    expect(messages).toEqual([
      {
        ruleId: 'refit/type-only-from-src',
        line: 1,
        message: 'web/src may import from src only with `import type` (or `export type`): the dashboard is a browser bundle and must not pull server code in (docs/architecture.md)',
      },
    ]);
  });
});

describe('the folder import graph of src', () => {
  it('reads every kind of module reference', () => {
    const source = [
      "import { a } from './a.js';",
      "import type {\n  B,\n  C,\n} from '../b.js';",
      "export * from './c.js';",
      "import './side-effect.js';",
      "const d = await import('../d.js');",
      "const s = 'from here';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['./a.js', '../b.js', './c.js', './side-effect.js', '../d.js']);
  });

  it('has no cycle', () => {
    const graph = folderGraph(root);
    // The reader finds the edges it should (serve routes canaries with rollout's routing), so an empty result means something.
    expect(graph.get('src/serve')).toContain('src/rollout');
    expect(cycles(graph)).toEqual([]);
    expect(cycles(new Map([['a', new Set(['b'])], ['b', new Set(['a'])]]))).toEqual([['a', 'b']]);
  });
});
