/** One CSV record and the line of the file it starts on (1-based). */
export interface CsvRecord {
  readonly line: number;
  readonly cells: string[];
}

/**
 * An incremental RFC 4180 CSV parser: feed it chunks, get complete records with their line
 * numbers. Quoted fields may hold commas, doubled quotes and line breaks; CRLF and LF both end
 * a record; a leading byte-order mark is dropped; blank lines are skipped.
 */
export class CsvParser {
  private field = '';
  private row: string[] = [];
  private inQuotes = false;
  /** A quote was seen inside a quoted field: it either closes the field or starts `""`. */
  private quotePending = false;
  /** The current field was quoted (so an empty line with `""` is still a record). */
  private quoted = false;
  private line = 1;
  private rowStart = 1;
  private quoteStart = 1;
  private started = false;

  /** Parse a chunk; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let i = 0;
    if (!this.started) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    for (; i < chunk.length; i++) {
      const ch = chunk[i];
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (ch === '"') {
            this.field += '"';
            continue;
          }
          this.inQuotes = false;
          // fall through: ch is the character after the closing quote
        } else if (ch === '"') {
          this.quotePending = true;
          continue;
        } else {
          if (ch === '\n') this.line++;
          this.field += ch;
          continue;
        }
      }
      if (ch === ',') {
        this.endField();
      } else if (ch === '\n') {
        this.endRecord(out);
        this.line++;
        this.rowStart = this.line;
      } else if (ch === '\r') {
        // part of a CRLF line break
      } else if (ch === '"' && this.field.length === 0 && !this.quoted) {
        this.inQuotes = true;
        this.quoted = true;
        this.quoteStart = this.line;
      } else {
        this.field += ch;
      }
    }
    return out;
  }

  /** Finish the input; returns the last record if the file does not end with a line break. */
  end(): CsvRecord[] {
    if (this.inQuotes && !this.quotePending) throw new Error(`line ${this.quoteStart}: a quoted field is never closed`);
    this.inQuotes = false;
    this.quotePending = false;
    const out: CsvRecord[] = [];
    this.endRecord(out);
    return out;
  }

  private endField(): void {
    this.row.push(this.field);
    this.field = '';
    this.quoted = false;
  }

  private endRecord(out: CsvRecord[]): void {
    const blank = this.row.length === 0 && this.field.length === 0 && !this.quoted;
    this.endField();
    if (!blank) out.push({ line: this.rowStart, cells: this.row });
    this.row = [];
  }
}
