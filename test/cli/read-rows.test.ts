import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ClientError } from '../../src/cli/client-error.js';
import { type CsvRecord, MAX_CSV_RECORD_BYTES, csvRecords } from '../../src/cli/read-rows.js';

/** The records of `text` fed to csvRecords in chunks of `chunkSize` bytes. */
async function parse(text: string, chunkSize = Infinity): Promise<CsvRecord[]> {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += Math.min(chunkSize, bytes.length)) chunks.push(bytes.subarray(i, i + chunkSize));
  const out: CsvRecord[] = [];
  for await (const rec of csvRecords(Readable.from(chunks), 'rows.csv')) out.push(rec);
  return out;
}

describe('csvRecords', () => {
  const text = '\uFEFFage,plan,note\r\n31,pro,"says ""hi"", twice"\r\n\r\n45,"basic","two\nlines"\n,,\n52,team,last';

  it('reads quoted cells, doubled quotes, CRLF, a BOM, blank lines and empty cells, with the line each record starts on', async () => {
    expect(await parse(text)).toEqual([
      { line: 1, cells: ['age', 'plan', 'note'] },
      { line: 2, cells: ['31', 'pro', 'says "hi", twice'] },
      { line: 4, cells: ['45', 'basic', 'two\nlines'] },
      { line: 6, cells: ['', '', ''] },
      { line: 7, cells: ['52', 'team', 'last'] },
    ]);
  });

  it('gives the same records however the input is split into chunks', async () => {
    const whole = await parse(text);
    for (const size of [1, 2, 3, 5, 8]) expect(await parse(text, size)).toEqual(whole);
    expect(await parse('name\n"Zoë, 5€"\n', 1)).toEqual([
      { line: 1, cells: ['name'] },
      { line: 2, cells: ['Zoë, 5€'] },
    ]);
  });

  it('counts blank lines before the header and CRLF breaks inside quoted cells', async () => {
    expect(await parse('\n\r\na,b\r\n"x\r\ny",1\r\n\r\n2,3\r\n')).toEqual([
      { line: 3, cells: ['a', 'b'] },
      { line: 4, cells: ['x\r\ny', '1'] },
      { line: 7, cells: ['2', '3'] },
    ]);
  });

  it('keeps a stray quote inside an unquoted cell and any number of cells', async () => {
    expect(await parse('size,label\n12" screen,1\n3\n')).toEqual([
      { line: 1, cells: ['size', 'label'] },
      { line: 2, cells: ['12" screen', '1'] },
      { line: 3, cells: ['3'] },
    ]);
  });

  it('names the line of a quoted field that is never closed, as a ClientError', async () => {
    const err = await parse('a,b\n\n1,"open\n2,3\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ code: 'BAD_FILE', title: 'The file is not valid CSV', message: 'rows.csv, line 3: a quoted field is never closed' });
  });

  it('stops at a record too long to be real instead of reading the rest of the file into it', async () => {
    const text = `a,b\n1,2\n3,"${'x'.repeat(MAX_CSV_RECORD_BYTES)}\n4,5\n`;
    await expect(parse(text, 64 * 1024)).rejects.toThrow('rows.csv, line 3: a record is longer than 1 MiB (is a quote never closed?)');
  });
});
