import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';
import { type Readable, pipeline } from 'node:stream';
import { CsvError, type Options, parse } from 'csv-parse';
import type { FeatureSpec, FeatureType, Task } from '../domain/entities.js';
import type { ModelWire } from '../contract/index.js';
import { ClientError } from './client-error.js';

/** What the rows of a file become: labelled items (`ingest`) or feature rows to score (`score`). */
export type RowKind = 'labels' | 'features';

/** Columns of a labels CSV that are not features. */
export const LABEL_COLUMNS = ['label', 'scoreId', 'occurredAt'] as const;

/** A problem with one row, found before anything was sent. */
export interface RowProblem {
  /** Where in the file: `line 7` or, in a JSON array, `item 3`. */
  readonly where: string;
  readonly path: string;
  readonly message: string;
}

/** Up to `batchSize` rows of a file, ready to send, with where each came from. */
export interface RowBatch {
  /** The items to send (`{features, label, …}` or `{features}`). */
  readonly items: unknown[];
  /** For each item, where in the file it came from (`line 7`). */
  readonly where: string[];
  /** Rows of this batch that could not be read; a batch with problems must not be sent. */
  readonly problems: RowProblem[];
}

/** How a file's format is recognised. */
export type FileFormat = 'csv' | 'ndjson' | 'json';

/** The format from the file's extension: .csv, .ndjson / .jsonl, or .json (an array, or one object a line). */
export function formatOf(path: string): FileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.json') return 'json';
  throw new ClientError({
    code: 'BAD_FILE',
    title: 'Unknown file format',
    detail: `Cannot tell the format of ${basename(path)} from its extension: use .csv, .ndjson, .jsonl or .json.`,
  });
}

/**
 * Read a CSV, NDJSON or JSON file of rows for a model in batches of up to `batchSize`. CSV cells
 * are converted to the model's feature types (number → Number, boolean → true/false/1/0, empty →
 * null); values that do not convert are sent as they are, so the server names the problem.
 * Header problems (unknown columns, no `label` column) throw a ClientError before any batch.
 */
export async function* readRowBatches(path: string, model: ModelWire, options: { kind: RowKind; batchSize: number }): AsyncGenerator<RowBatch> {
  const format = formatOf(path);
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a file');
  } catch (err) {
    throw new ClientError({ code: 'BAD_FILE', title: 'Cannot read the file', detail: `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}` });
  }
  let batch: { items: unknown[]; where: string[]; problems: RowProblem[] } = { items: [], where: [], problems: [] };
  const full = () => batch.items.length + batch.problems.length >= options.batchSize;
  const take = () => {
    const b = batch;
    batch = { items: [], where: [], problems: [] };
    return b;
  };

  if (format === 'csv') {
    const rows = csvRows(path, model, options.kind);
    for await (const r of rows) {
      if ('problem' in r) batch.problems.push(r.problem);
      else {
        batch.items.push(r.item);
        batch.where.push(`line ${r.line}`);
      }
      if (full()) yield take();
    }
  } else {
    for await (const r of jsonRows(path, format)) {
      if ('problem' in r) batch.problems.push(r.problem);
      else {
        const item = options.kind === 'labels' ? r.value : asFeatureItem(r.value);
        batch.items.push(item);
        batch.where.push(r.where);
      }
      if (full()) yield take();
    }
  }
  if (batch.items.length + batch.problems.length > 0) yield take();
}

type RowResult<T> = { problem: RowProblem } | T;

/** One CSV record and the line of the file it starts on (1-based). */
export interface CsvRecord {
  readonly line: number;
  readonly cells: string[];
}

/** Longest CSV record accepted, in bytes: past it a quote is almost surely never closed. Default 1 MiB. */
export const MAX_CSV_RECORD_BYTES = 1024 * 1024;

/**
 * The records of a CSV stream, parsed by csv-parse (RFC 4180) as the chunks arrive, each with the
 * line it starts on. Quoted cells may hold commas, doubled quotes and line breaks; CRLF and LF
 * both end a record; a leading byte-order mark is dropped; blank lines are skipped; a stray quote
 * inside an unquoted cell is kept as text. Records may have any number of cells (the caller
 * compares them with the header). Malformed CSV, such as a quote never closed, throws a
 * ClientError naming `name` and the line of the record.
 */
export async function* csvRecords(input: Readable, name: string): AsyncGenerator<CsvRecord> {
  // The line the next record's raw text starts on. Counted from the raw text rather than taken
  // from `info.lines`, which counts a CRLF inside a quoted cell twice and the last break late.
  let line = 1;
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    relax_quotes: true,
    record_delimiter: ['\r\n', '\n'],
    max_record_size: MAX_CSV_RECORD_BYTES,
    // The raw text of each record (with the blank lines skipped before it) gives its line.
    raw: true,
    // Called as each record is parsed, so `line` is right even when an error ends the stream
    // before the records already parsed are read. With `raw`, csv-parse passes `{record, raw}`,
    // and what this returns is what the stream gives.
    on_record: ((rec: { record: string[]; raw: string }): CsvRecord => {
      const start = line + leadingBreaks(rec.raw);
      line += lineBreaks(rec.raw);
      return { line: start, cells: rec.record };
    }) as unknown as Options['on_record'],
  });
  // pipeline() passes a read error of the input on to the parser, so the loop below sees it.
  pipeline(input, parser, () => {});
  try {
    for await (const rec of parser as AsyncIterable<CsvRecord>) yield rec;
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const at = line + leadingBreaks(typeof err.raw === 'string' ? err.raw : '');
    throw new ClientError({ code: 'BAD_FILE', title: 'The file is not valid CSV', detail: `${name}, line ${at}: ${csvProblem(err)}` }, { cause: err });
  } finally {
    parser.destroy();
    input.destroy();
  }
}

/** Line breaks in raw CSV text: CRLF, LF, or a lone CR (csv-parse's raw text may keep only the CR of a CRLF). */
const LINE_BREAK = /\r\n|\r|\n/g;

function lineBreaks(raw: string): number {
  return raw.match(LINE_BREAK)?.length ?? 0;
}

/** The blank lines csv-parse skipped before a record, which its raw text starts with. */
function leadingBreaks(raw: string): number {
  return lineBreaks(/^[\r\n]*/.exec(raw)?.[0] ?? '');
}

/** A csv-parse error in words, without its own line count. */
function csvProblem(err: CsvError): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed';
    case 'CSV_MAX_RECORD_SIZE':
      return `a record is longer than ${MAX_CSV_RECORD_BYTES / 1024 / 1024} MiB (is a quote never closed?)`;
    default:
      return err.message;
  }
}

async function* csvRows(path: string, model: ModelWire, kind: RowKind): AsyncGenerator<RowResult<{ item: unknown; line: number }>> {
  let columns: Column[] | null = null;
  for await (const rec of csvRecords(createReadStream(path), basename(path))) {
    if (columns === null) {
      columns = headerColumns(rec, model, kind, path);
      continue;
    }
    if (rec.cells.length !== columns.length) {
      yield { problem: { where: `line ${rec.line}`, path: '/', message: `has ${rec.cells.length} cell${rec.cells.length === 1 ? '' : 's'}, the header has ${columns.length}` } };
      continue;
    }
    yield { item: rowItem(columns, rec.cells, model.task, kind), line: rec.line };
  }
  if (columns === null) throw new ClientError({ code: 'BAD_FILE', title: 'The file is empty', detail: `${basename(path)} has no header line.` });
}

/** What a CSV column holds. */
type Column = { kind: 'feature'; name: string; type: FeatureType } | { kind: 'label' | 'scoreId' | 'occurredAt' | 'ignored'; name: string };

function headerColumns(rec: CsvRecord, model: ModelWire, kind: RowKind, path: string): Column[] {
  const features = new Map<string, FeatureSpec>(model.features.map((f) => [f.name, f]));
  const problems: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  const columns = rec.cells.map((raw, i): Column => {
    const name = raw.trim();
    if (seen.has(name)) problems.push({ path: `column ${i + 1}`, message: `'${name}' appears twice` });
    seen.add(name);
    const f = features.get(name);
    if (f) return { kind: 'feature', name, type: f.type };
    if ((LABEL_COLUMNS as readonly string[]).includes(name)) return { kind: kind === 'labels' ? (name as 'label' | 'scoreId' | 'occurredAt') : 'ignored', name };
    problems.push({ path: `column ${i + 1}`, message: name === '' ? 'has no name' : `'${name}' is not a feature of ${model.id} (features: ${model.features.map((x) => x.name).join(', ')})` });
    return { kind: 'ignored', name };
  });
  if (kind === 'labels' && !columns.some((c) => c.kind === 'label')) {
    problems.push({ path: 'header', message: `needs a 'label' column (the columns are feature names plus label, and optionally scoreId and occurredAt)` });
  }
  if (problems.length > 0) {
    throw new ClientError({ code: 'BAD_FILE', title: 'The header is not usable', detail: `${basename(path)}, line ${rec.line}: nothing was sent.`, errors: problems });
  }
  return columns;
}

function rowItem(columns: readonly Column[], cells: readonly string[], task: Task, kind: RowKind): unknown {
  const features: Record<string, unknown> = {};
  const item: Record<string, unknown> = {};
  columns.forEach((c, i) => {
    const cell = cells[i];
    switch (c.kind) {
      case 'feature':
        features[c.name] = featureCell(cell, c.type);
        break;
      case 'label':
        item.label = labelCell(cell, task);
        break;
      case 'scoreId':
      case 'occurredAt':
        if (cell.trim() !== '') item[c.kind] = cell.trim();
        break;
      case 'ignored':
        break;
    }
  });
  return kind === 'labels' ? { features, ...item } : { features };
}

/** A CSV cell as a feature value; what does not convert is kept as text for the server to name. */
export function featureCell(cell: string, type: FeatureType): unknown {
  if (cell === '') return null;
  switch (type) {
    case 'number': {
      const t = cell.trim();
      const n = Number(t);
      return t !== '' && Number.isFinite(n) ? n : cell;
    }
    case 'boolean': {
      const t = cell.trim().toLowerCase();
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      return cell;
    }
    case 'category':
    case 'text':
      return cell;
  }
}

/** A CSV cell as a label for the task: binary 0/1/true/false, multiclass the class name, regression a number. */
export function labelCell(cell: string, task: Task): unknown {
  const t = cell.trim();
  if (t === '') return null;
  if (task === 'multiclass') return t;
  if (task === 'binary') {
    const lower = t.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
  }
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

function asFeatureItem(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'features') return value;
  }
  return { features: value };
}

async function* jsonRows(path: string, format: 'ndjson' | 'json'): AsyncGenerator<RowResult<{ value: unknown; where: string }>> {
  if (format === 'json') {
    const text = await readFile(path, 'utf8');
    if (/^\s*\[/.test(text)) {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        throw new ClientError({ code: 'BAD_FILE', title: 'The file is not valid JSON', detail: `${basename(path)}: ${(err as Error).message}` });
      }
      const items = doc as unknown[];
      for (let i = 0; i < items.length; i++) yield { value: items[i], where: `item ${i + 1}` };
      return;
    }
  }
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of lines) {
      n++;
      const line = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        yield { problem: { where: `line ${n}`, path: '/', message: `is not valid JSON: ${(err as Error).message}` } };
        continue;
      }
      yield { value, where: `line ${n}` };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}
