import type { FieldProblem } from '../errors.js';
import type { RowProblem } from './read-rows.js';

/**
 * Point a refused batch's problems (`/items/3/features/age`) at the file: item 3 becomes the
 * line it came from, the rest of the path stays (`/features/age`).
 */
export function locateProblems(errors: readonly FieldProblem[], where: readonly string[]): RowProblem[] {
  return errors.map((e) => {
    const m = /^\/items\/(\d+)(\/.*)?$/.exec(e.path);
    const at = m ? where[Number(m[1])] : undefined;
    if (m && at !== undefined) return { where: at, path: m[2] ?? '/', message: e.message };
    return { where: 'batch', path: e.path, message: e.message };
  });
}

/** One line per problem: `  line 7: /features/age: must be a finite number, got "x"`. */
export function rowProblemLines(problems: readonly RowProblem[]): string {
  return problems.map((p) => `  ${p.where}: ${p.path}: ${p.message}\n`).join('');
}
