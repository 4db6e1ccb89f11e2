import type { Clock } from '../domain/clock.js';
import type { AuditEntry } from '../domain/auth.js';
import type { AuthStore, NewAuditEntry } from '../store/roles/auth-store.js';

/** One change to record; `at` defaults to the clock's now, the rest to null and `ok`. */
export interface AuditInput {
  readonly actor: string;
  readonly action: string;
  readonly modelId?: string | null;
  readonly version?: string | null;
  readonly address?: string | null;
  readonly outcome?: string;
  readonly detail?: Readonly<Record<string, unknown>> | null;
}

/** Detail keys that could carry a secret; dropped before anything is written. */
const SECRET_KEYS = /^(key|secret|token|password|authorization)$/i;

/** Append a change to the audit trail. Secrets never reach it: detail members named like one are dropped. */
export function recordAudit(store: AuthStore, clock: Clock, input: AuditInput): Promise<AuditEntry> {
  const detail = input.detail ? Object.fromEntries(Object.entries(input.detail).filter(([k]) => !SECRET_KEYS.test(k))) : null;
  const entry: NewAuditEntry = {
    at: clock.now(),
    actor: input.actor,
    action: input.action,
    modelId: input.modelId ?? null,
    version: input.version ?? null,
    address: input.address ?? null,
    outcome: input.outcome ?? 'ok',
    detail: detail && Object.keys(detail).length > 0 ? detail : null,
  };
  return store.appendAudit(entry);
}

/**
 * Writes audit rows without holding up the caller (a hub listener, an HTTP response already
 * sent); a failed write is reported, never thrown. `flush()` waits for the writes under way.
 */
export class AuditWriter {
  readonly #pending = new Set<Promise<unknown>>();

  /**
   * @param store where rows go
   * @param clock the time of each row
   * @param onError told about a write that failed. Default: ignore.
   */
  constructor(
    private readonly store: AuthStore,
    private readonly clock: Clock,
    private readonly onError: (err: unknown, input: AuditInput) => void = () => {},
  ) {}

  /** Record a change in the background. */
  write(input: AuditInput): void {
    const p = recordAudit(this.store, this.clock, input)
      .catch((err: unknown) => this.onError(err, input))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Resolves once every write started so far has ended. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
