import { describe, expect, it } from 'vitest';
import { CsvParser } from '../../src/cli/csv-parser.js';

function parse(text: string, chunkSize = text.length): { line: number; cells: string[] }[] {
  const p = new CsvParser();
  const out = [];
  for (let i = 0; i < text.length; i += chunkSize) out.push(...p.push(text.slice(i, i + chunkSize)));
  out.push(...p.end());
  return out;
}

describe('CsvParser', () => {
  const text = '\uFEFFage,plan,note\r\n31,pro,"says ""hi"", twice"\r\n\r\n45,"basic","two\nlines"\n,,\n52,team,last';

  it('reads quoted cells, doubled quotes, CRLF, a BOM, blank lines and empty cells, with the line each record starts on', () => {
    expect(parse(text)).toEqual([
      { line: 1, cells: ['age', 'plan', 'note'] },
      { line: 2, cells: ['31', 'pro', 'says "hi", twice'] },
      { line: 4, cells: ['45', 'basic', 'two\nlines'] },
      { line: 6, cells: ['', '', ''] },
      { line: 7, cells: ['52', 'team', 'last'] },
    ]);
  });

  it('gives the same records however the input is split into chunks', () => {
    for (const size of [1, 2, 3, 5, 8]) expect(parse(text, size)).toEqual(parse(text));
  });

  it('names the line of a quoted field that is never closed', () => {
    expect(() => parse('a,b\n1,"open\n2,3\n')).toThrow('line 2: a quoted field is never closed');
  });
});
