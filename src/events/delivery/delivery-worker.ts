import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { backoffMs } from '../../domain/backoff.js';
import type { Logger } from 'pino';
import type { Clock } from '../../domain/clock.js';
import type { Delivery, DeliveryStatus } from '../../domain/delivery.js';
import type { RefitEvent } from '../../domain/entities.js';
import type { Store } from '../../store/store.js';
import type { EventHub } from '../hub.js';
import { webhookSink } from './http-sinks.js';
import { type Sink, type SinkOutcome, describeError } from './sink.js';

/** How deliveries are retried and bounded. */
export interface DeliveryOptions {
  /** Attempts before an event goes to the dead letters. Default 10. */
  readonly maxAttempts?: number;
  /** Delay before the second attempt, doubled for each further one (before jitter). Default 1000 ms. */
  readonly initialDelayMs?: number;
  /** Longest delay between attempts. Default 300000 ms (5 minutes). */
  readonly maxDelayMs?: number;
  /** Time allowed per attempt. Default 10000 ms. */
  readonly timeoutMs?: number;
  /** How often the outbox is read without a notification (other processes append too). Default 1000 ms. */
  readonly pollMs?: number;
  /**
   * How long a worker holds a sink once it has claimed it: it renews the claim while it delivers,
   * and another process takes the sink over only when a claim runs out unrenewed (its holder
   * died) or is let go (its holder stopped). Default 30 s, and never less than 3 × timeoutMs (so
   * that half of it outlasts an attempt).
   */
  readonly leaseMs?: number;
}

/** What the delivery worker is built from. */
export interface DeliveryDeps {
  /** Where the outbox, the cursors, the webhooks and the deliveries are. */
  readonly store: Store;
  /** The only source of time: attempt timestamps, timeouts, retry delays, the poll. */
  readonly clock: Clock;
  /** Its `outbox:appended` wakes the worker at once after every commit. */
  readonly hub: EventHub;
  /** Default: none. */
  readonly logger?: Logger;
  /** Sinks from the settings (Redis stream, Slack); webhooks come from the store. Default none. */
  readonly sinks?: readonly Sink[];
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Monotonic milliseconds, for attempt durations. Default performance.now. */
  readonly stopwatch?: () => number;
  /** Who this worker is in the sinks' leases. Default `host:pid:` and 8 random hex digits (one per worker). */
  readonly holder?: string;
  /** Attempts, delays, timeout and poll interval. Default: the defaults of DeliveryOptions. */
  readonly options?: DeliveryOptions;
}

/** A sink with what the worker shows about it. */
export interface SinkView {
  readonly id: string;
  readonly kind: Sink['kind'];
  readonly target: string;
  /** The last outbox seq it has finished with (null before its first use). */
  readonly cursor: number | null;
  /** The worker delivering it (`host:pid:id`) and until when unless renewed; null when none holds it now. */
  readonly lease: { readonly holder: string; readonly expiresAt: Date } | null;
  readonly counts: Record<DeliveryStatus, number>;
}

/**
 * Delivers outbox events to every sink, at least once and in outbox order per sink (hence per
 * model). Each sink has a cursor in the store: the last seq it has finished with, moved in the same
 * transaction that records the delivery (or dead letter) of that event, so a process stopped at
 * any point delivers the rest after its restart. A failed attempt is retried with exponential
 * backoff and jitter on the injected clock, and the sink waits for it (order); after
 * `maxAttempts` it becomes a dead letter, which `redeliver` queues again. Each sink runs on its own
 * async loop, and every attempt has a timeout, so a slow or down sink delays neither the others
 * nor scoring and retraining.
 *
 * With several processes on one database, each sink is delivered by one of them at a time: a
 * worker delivers a sink only while it holds the sink's lease in the store (claimed in one
 * statement, renewed before each attempt once half of it has passed, so it never runs out during
 * one). The others try again at every poll; they take the sink over once its holder stops (which
 * lets go of its leases) or dies (its lease then runs out, `leaseMs`).
 */
export class DeliveryWorker {
  private readonly runners = new Map<string, SinkRunner>();
  private readonly opts: Required<DeliveryOptions>;
  private started = false;
  private stopped = false;
  private offHub: (() => void) | null = null;
  private cancelPoll: (() => void) | null = null;
  /** Aborted by `stop()`: in-flight attempts end without being recorded (they are tried again after a restart). */
  readonly stopping = new AbortController();

  /** Built stopped; `start()` (the server) or `deliverDue()` (tests, benchmarks) sets it going. */
  constructor(readonly deps: DeliveryDeps) {
    const o = deps.options ?? {};
    const timeoutMs = o.timeoutMs ?? 10_000;
    this.opts = {
      maxAttempts: o.maxAttempts ?? 10,
      initialDelayMs: o.initialDelayMs ?? 1000,
      maxDelayMs: o.maxDelayMs ?? 300_000,
      timeoutMs,
      pollMs: o.pollMs ?? 1000,
      // Half of it is always left when an attempt starts: more than the attempt may take.
      leaseMs: Math.max(o.leaseMs ?? 30_000, 3 * timeoutMs),
    };
    // Readable in /api/v1/sinks (which process delivers a sink), and unique per worker.
    this.holder = deps.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  /** This worker's name in the sinks' leases. */
  readonly holder: string;

  /** The options in force, defaults filled in. */
  get options(): Required<DeliveryOptions> {
    return this.opts;
  }

  /** Deliver from now on: on every outbox notification, on every retry's due time and every `pollMs`. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.offHub = this.deps.hub.on('outbox:appended', () => this.kick());
    const poll = () => {
      this.cancelPoll = this.deps.clock.setTimeout(() => {
        this.kick();
        if (!this.stopped) poll();
      }, this.opts.pollMs);
    };
    poll();
    this.kick();
  }

  /** Stop: no new attempts; attempts in flight are abandoned unrecorded (delivered again after a restart). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.offHub?.();
    this.cancelPoll?.();
    this.stopping.abort(new Error('delivery stopped'));
    const running = [...this.runners.values()].map((r) => r.stop());
    await Promise.all(running);
    // Another process takes these sinks over at its next poll rather than when the leases run out.
    await this.deps.store.releaseSinkLeases(this.holder).catch((err: unknown) => this.deps.logger?.warn({ err }, 'event delivery could not let go of its sinks; other processes take them over when the leases run out'));
    for (const s of this.deps.sinks ?? []) await s.close?.().catch(() => {});
  }

  /** Wake every sink without waiting for it. */
  kick(): void {
    if (this.stopped) return;
    this.refresh()
      .then((runners) => {
        for (const r of runners) r.drain().catch((err: unknown) => this.deps.logger?.error({ err, sink: r.sink.id }, 'event delivery failed'));
      })
      .catch((err: unknown) => this.deps.logger?.error({ err }, 'event delivery could not list its sinks'));
  }

  /** Attempt everything due now on every sink (or only `sinkId`), and resolve when done (tests and benchmarks call this instead of waiting). */
  async deliverDue(sinkId?: string): Promise<void> {
    const runners = await this.refresh();
    await Promise.all(runners.filter((r) => sinkId === undefined || r.sink.id === sinkId).map((r) => r.drain()));
  }

  /** The sinks: those from the settings, then the webhooks. */
  async sinks(): Promise<Sink[]> {
    return (await this.refresh(true)).map((r) => r.sink);
  }

  /** One sink by id, or null (disabled webhooks included). */
  async sink(id: string): Promise<Sink | null> {
    return (await this.sinks()).find((s) => s.id === id) ?? null;
  }

  /** Every sink with its cursor and counts of deliveries per state. */
  async describe(): Promise<SinkView[]> {
    const out: SinkView[] = [];
    for (const s of await this.sinks()) {
      const lease = await this.deps.store.getSinkLease(s.id);
      const held = lease !== null && lease.expiresAt.getTime() > this.deps.clock.now().getTime() ? lease : null;
      out.push({ id: s.id, kind: s.kind, target: s.target, cursor: await this.deps.store.getCursor(s.id), lease: held, counts: await this.deps.store.deliveryCounts(s.id) });
    }
    return out;
  }

  /** Queue one delivery, or all of a sink's dead letters, again; the sink is woken. Returns how many were queued. */
  async redeliver(sinkId: string, which: readonly number[] | 'dead'): Promise<number> {
    const n = await this.deps.store.requeueDeliveries(sinkId, which, this.deps.clock.now());
    if (n > 0) this.kick();
    return n;
  }

  private async refresh(includeDisabled = false): Promise<SinkRunner[]> {
    const hooks = await this.deps.store.listWebhooks();
    const sinks: Sink[] = [...(this.deps.sinks ?? [])];
    const active = new Set<string>(sinks.map((s) => s.id));
    const all: Sink[] = [...sinks];
    for (const w of hooks) {
      const sink = webhookSink(w);
      all.push(sink);
      if (!w.enabled) continue;
      active.add(sink.id);
      const key = `${w.id}@${w.updatedAt.toISOString()}`;
      const r = this.runners.get(sink.id);
      if (r && r.key === key) continue;
      if (r) r.replace(sink, key);
      else this.runners.set(sink.id, new SinkRunner(this, sink, key));
    }
    for (const s of sinks) if (!this.runners.has(s.id)) this.runners.set(s.id, new SinkRunner(this, s, s.id));
    for (const [id, r] of this.runners) {
      if (!active.has(id)) {
        void r.stop();
        this.runners.delete(id);
      }
    }
    if (includeDisabled) return all.map((s) => this.runners.get(s.id) ?? new SinkRunner(this, s, s.id));
    return [...this.runners.values()];
  }

  /** Whether the worker was stopped. */
  get isStopped(): boolean {
    return this.stopped;
  }
}

/** One sink's loop: single flight, re-run when woken while running, a timer for the next due retry. */
class SinkRunner {
  private running: Promise<void> | null = null;
  private again = false;
  private cancelTimer: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly worker: DeliveryWorker,
    public sink: Sink,
    public key: string,
  ) {}

  /** The webhook changed (URL, events, secret): later attempts use the new one. */
  replace(sink: Sink, key: string): void {
    this.sink = sink;
    this.key = key;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.running?.catch(() => {});
  }

  drain(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.step();
      } while (this.again && !this.stopped && !this.worker.isStopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private get live(): boolean {
    return !this.stopped && !this.worker.isStopped;
  }

  /** When this worker's claim on the sink runs out (0: not held). */
  private leaseUntil = 0;

  /**
   * Whether this worker may deliver the sink now: it holds the lease with more than half of it
   * left, or claims (or renews) it in the store. False while another process holds it.
   */
  private async holdLease(): Promise<boolean> {
    const { store, clock } = this.worker.deps;
    const leaseMs = this.worker.options.leaseMs;
    const now = clock.now().getTime();
    if (this.leaseUntil - now > leaseMs / 2) return true;
    const until = now + leaseMs;
    const held = await store.claimSinkLease(this.sink.id, this.worker.holder, new Date(now), new Date(until));
    this.leaseUntil = held ? until : 0;
    return held;
  }

  private async step(): Promise<void> {
    const { store, clock } = this.worker.deps;
    const id = this.sink.id;
    // Another process delivers this sink: this one looks again at its next poll.
    if (!(await this.holdLease())) return;
    const stored = await store.getCursor(id);
    // A new sink starts with the events committed from now on, not the whole history.
    let cursor: number = stored ?? (await store.lastEventSeq());
    if (stored === null) await store.setCursor(id, cursor);
    const now = clock.now().getTime();
    let nextDue: number | null = null;
    let blocked = false;
    const due = (d: Delivery) => {
      const at = d.nextAttemptAt?.getTime() ?? now;
      if (at > now) nextDue = Math.min(nextDue ?? at, at);
      return at <= now;
    };
    // Redeliveries (behind the cursor) and the event at the head of the line, oldest first.
    for (const d of await store.pendingDeliveries(id)) {
      if (!this.live) return;
      const head = d.eventSeq > cursor;
      if (!due(d)) {
        if (head) blocked = true;
        continue;
      }
      const [event] = await store.listEvents(d.eventSeq - 1, 1);
      if (!event || event.seq !== d.eventSeq) continue;
      const result = await this.attempt(event, d.attempts, head);
      if (result === null) return;
      if (result.status === 'pending') {
        nextDue = Math.min(nextDue ?? Infinity, result.nextAttemptAt);
        if (head) blocked = true;
      } else if (head) cursor = event.seq;
    }
    // New events after the cursor, in order; one that fails holds the line until it is delivered or dead.
    while (!blocked && this.live) {
      const batch = await store.listEvents(cursor, 200);
      let skipped: number = cursor;
      for (const e of batch) {
        if (!this.live) return;
        if (!this.sink.accepts(e)) {
          skipped = e.seq;
          continue;
        }
        const result = await this.attempt(e, 0, true, skipped > cursor ? skipped : null);
        if (result === null) return;
        cursor = skipped = e.seq;
        if (result.status === 'pending') {
          nextDue = Math.min(nextDue ?? Infinity, result.nextAttemptAt);
          blocked = true;
          break;
        }
      }
      if (!blocked && skipped > cursor) {
        await store.setCursor(id, skipped);
        cursor = skipped;
      }
      if (batch.length < 200) break;
    }
    if (nextDue !== null && this.live) this.arm(nextDue - clock.now().getTime());
  }

  private arm(ms: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.worker.deps.clock.setTimeout(() => {
      this.cancelTimer = null;
      this.drain().catch((err: unknown) => this.worker.deps.logger?.error({ err, sink: this.sink.id }, 'event delivery failed'));
    }, Math.max(0, ms));
  }

  /**
   * One attempt at `e`, recorded with its outcome; at the head of the line a delivered or dead
   * event moves the cursor in the same transaction (`skippedTo` first moves it past events this
   * sink does not take). Null when the worker stopped meanwhile, or another process holds the
   * sink now (nothing sent, nothing recorded).
   */
  private async attempt(e: RefitEvent, previous: number, head: boolean, skippedTo: number | null = null): Promise<{ status: DeliveryStatus; nextAttemptAt: number } | null> {
    if (!(await this.holdLease())) return null;
    const { store, clock, logger } = this.worker.deps;
    const { timeoutMs, maxAttempts, initialDelayMs, maxDelayMs } = this.worker.options;
    const stopwatch = this.worker.deps.stopwatch ?? (() => performance.now());
    const random = this.worker.deps.random ?? Math.random;
    const at = clock.now();
    const started = stopwatch();
    const ctrl = new AbortController();
    const stopping = this.worker.stopping.signal;
    let cancelTimeout = () => {};
    // Bounded even when a sink ignores its signal: the attempt loses the race and is recorded as timed out.
    const outcome: SinkOutcome | 'stopped' = await new Promise<SinkOutcome | 'stopped'>((resolve) => {
      const onStop = () => {
        ctrl.abort(stopping.reason);
        resolve('stopped');
      };
      if (stopping.aborted) return onStop();
      stopping.addEventListener('abort', onStop, { once: true });
      cancelTimeout = clock.setTimeout(() => {
        const err = new Error(`timed out after ${timeoutMs} ms`);
        ctrl.abort(err);
        resolve({ ok: false, statusCode: null, excerpt: err.message });
      }, timeoutMs);
      this.sink
        .deliver(e, ctrl.signal, at)
        .then(resolve, (err: unknown) => resolve({ ok: false, statusCode: null, excerpt: ctrl.signal.aborted ? describeError(ctrl.signal.reason) : describeError(err) }))
        .finally(() => stopping.removeEventListener('abort', onStop));
    });
    cancelTimeout();
    if (outcome === 'stopped' || !this.live) return null;
    const attempts = previous + 1;
    const status: DeliveryStatus = outcome.ok ? 'delivered' : attempts >= maxAttempts ? 'dead' : 'pending';
    const nextAttemptAt = status === 'pending' ? clock.now().getTime() + backoffMs(attempts, initialDelayMs, maxDelayMs, random()) : 0;
    const durationMs = Math.max(0, stopwatch() - started);
    await store.transaction(async (tx) => {
      if (skippedTo !== null) await tx.setCursor(this.sink.id, skippedTo);
      await tx.recordAttempt(
        { sink: this.sink.id, event: e, attempt: { at, ok: outcome.ok, statusCode: outcome.statusCode, durationMs, excerpt: outcome.excerpt }, status, attempts, nextAttemptAt: status === 'pending' ? new Date(nextAttemptAt) : null },
        clock.now(),
      );
      if (head && status !== 'pending') await tx.setCursor(this.sink.id, e.seq);
    });
    if (status === 'dead') logger?.warn({ sink: this.sink.id, eventId: e.eventId, eventType: e.eventType, attempts }, `event ${e.eventType} could not be delivered to ${this.sink.target} after ${attempts} attempts; it is in the dead letters`);
    else if (status === 'pending') logger?.debug({ sink: this.sink.id, eventId: e.eventId, attempts, error: outcome.excerpt }, 'event delivery failed; will retry');
    return { status, nextAttemptAt };
  }
}
