import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';

/** Every module specifier of a source file: static and type imports, re-exports, dynamic `import()`. */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  // `import … from 'x'`, `export … from 'x'`, `import 'x'`, `import('x')` (multi-line lists included).
  const re = /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of source.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/**
 * The unit of the folder graph a repository path belongs to: `src/<folder>` for a file in a
 * folder of src, `src/<name>.ts` for a top-level file of src, null outside src.
 */
export function unitOf(repoPath: string): string | null {
  const parts = repoPath.split('/');
  if (parts[0] !== 'src' || parts.length < 2) return null;
  if (parts.length === 2) return `src/${parts[1].replace(/\.(?:js|ts|mjs|mts|tsx|jsx)$/, '.ts')}`;
  return `src/${parts[1]}`;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}

/** For each unit of `<root>/src` (see unitOf), the other units its files import; imports within a unit are left out. */
export function folderGraph(root: string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(join(root, 'src'))) {
    const from = unitOf(relative(root, file).split(sep).join('/'));
    if (!from) continue;
    if (!graph.has(from)) graph.set(from, new Set());
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = posix.normalize(posix.join(relative(root, dirname(file)).split(sep).join('/'), spec));
      const to = unitOf(target);
      if (to && to !== from) graph.get(from)!.add(to);
    }
  }
  return graph;
}

/** The cycles of a graph: its strongly connected components of more than one node (Tarjan), each sorted. */
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** The graph as text, one line per unit: `src/rollout → src/domain, src/errors.ts, …`. */
export function graphText(graph: ReadonlyMap<string, ReadonlySet<string>>): string {
  return [...graph.keys()]
    .sort()
    .map((k) => `${k} → ${[...graph.get(k)!].sort().join(', ') || '(nothing)'}`)
    .join('\n');
}
