/** One page of results (jobs, timeline rows). */
export interface Page<T> {
  readonly items: readonly T[];
  /** How many there are in all, beyond this page too. */
  readonly total: number;
}
