import { type Kysely, type Selectable, sql } from 'kysely';
import type { FeatureRow, LabelValue, Score, ScoreArm } from '../../domain/entities.js';
import { type FeedbackStore, type NewLabel, type RawLabelRow, type RolloutOutcome, parseLabelRow } from '../roles/feedback-store.js';
import type { Database, ScoresTable } from '../schema.js';
import { INSERT_CHUNK, type KyselyContext, atomic, date, iso } from './kysely-context.js';

const SCORE_COLUMNS = ['id', 'model_id', 'version', 'features', 'score', 'created_at', 'arm', 'latency_ms', 'served', 'shadow_of', 'error'] as const;
const LABEL_COLUMNS = ['model_id', 'features', 'label', 'score_id', 'meta', 'version', 'occurred_at', 'received_at'] as const;
/** PostgreSQL: rows per insert statement (a few MB of arrays at most). */
const PG_ROWS = 5_000;
/** Rows per prepared multi-row insert: one call into SQLite per 100 rows rather than per row (more than twice the rows a second). */
const ROWS_PER_INSERT = 100;

/**
 * `insert into TABLE (COLUMNS) values ROW, ROW, …` with `rows` copies of the row's placeholders.
 * The text is the statement cache's key, so it is built once per shape.
 */
const insertTexts = new Map<string, string>();
function multiRowInsert(table: 'scores' | 'labels', row: string, rows: number): string {
  const key = `${table}:${row}:${rows}`;
  let text = insertTexts.get(key);
  if (text === undefined) {
    const columns = table === 'scores' ? SCORE_COLUMNS : LABEL_COLUMNS;
    insertTexts.set(key, (text = `insert into ${table} (${columns.join(', ')}) values ${Array.from({ length: rows }, () => row).join(', ')}`));
  }
  return text;
}

/** A row of every column bound by position. */
const LABEL_ROW = `(${LABEL_COLUMNS.map(() => '?').join(', ')})`;
const SCORE_ROW = `(${SCORE_COLUMNS.map(() => '?').join(', ')})`;
/** A `plainLabels` row: features and label by position; model, occurredAt and receivedAt named once per statement. */
const PLAIN_LABEL_ROW = '(@model, ?, ?, null, null, null, @occurred, @received)';
/** A `plainScores` row: id, features, score, time and latency by position; model, version and arm named once per statement. */
const PLAIN_SCORE_ROW = '(?, @model, @version, ?, ?, ?, @arm, ?, 1, null, null)';

/** Labels [from, to) carry no score id, meta or version, and one occurredAt. */
function plainLabels(labels: readonly NewLabel[], from: number, to: number): boolean {
  const at = labels[from].occurredAt.getTime();
  for (let i = from; i < to; i++) {
    const l = labels[i];
    if (l.scoreId !== null || (l.meta ?? null) !== null || (l.version ?? null) !== null || l.occurredAt.getTime() !== at) return false;
  }
  return true;
}

/** Scores [from, to) share model, version and arm, were served, and carry no shadow or error. */
function plainScores(scores: readonly Score[], from: number, to: number): boolean {
  const { modelId, version } = scores[from];
  const arm = scores[from].arm ?? 'champion';
  for (let i = from; i < to; i++) {
    const s = scores[i];
    if (s.modelId !== modelId || s.version !== version || (s.arm ?? 'champion') !== arm || s.served === false || (s.shadowOf ?? null) !== null || (s.error ?? null) !== null) return false;
  }
  return true;
}

/**
 * PostgreSQL: whether PostgreSQL's json type reads `text` (one JSON.stringify) back as it is.
 * JSON.stringify writes \u escapes only for control characters and lone surrogates, and two of
 * those PostgreSQL refuses (\u0000, which text cannot hold, and a lone surrogate); a batch with
 * either (or with text that merely looks like one) goes in as arrays instead.
 */
function jsonReadsBack(text: string): boolean {
  return text.indexOf('\\u') === -1 || !/\\u(?:0000|d[89a-f])/i.test(text);
}

/**
 * PostgreSQL: labels and scores have no foreign key to their model (migration 0080; its check
 * took a lookup and a row lock per inserted row, a third of an ingest's time). A batch checks its
 * models once instead, and holds each one's row (FOR KEY SHARE, the lock the foreign key took)
 * until it commits, so no model can go from under rows being written.
 */
async function holdModels(db: Kysely<Database>, modelIds: readonly string[]): Promise<void> {
  const wanted = [...new Set(modelIds)];
  const { rows } = await sql<{ id: string }>`select id from models where id in (${sql.join(wanted)}) for key share`.execute(db);
  if (rows.length !== wanted.length) {
    const found = new Set(rows.map((r) => r.id));
    throw new Error(`no model ${wanted.filter((id) => !found.has(id)).map((id) => `'${id}'`).join(', ')}: its labels and scores cannot be stored`);
  }
}

/**
 * Let the event loop turn before a heavy read on SQLite (the bounded analytic reads of live
 * performance and rollouts, 104 to 143 ms each under the soak's load). SQLite's reads run
 * synchronously on the event loop, and the continuations of one check start the next read before
 * any request is read: a check's reads held the server in one block of up to ~0.8 s. Between them,
 * requests are now read, scored and written. PostgreSQL's reads wait on the network anyway.
 */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const noTurn = (): Promise<void> => Promise.resolve();

/**
 * A score counts once in live outcomes: only its latest label (a later label replaces an earlier
 * one). For a query whose labels are `l`; SQL text of our own, no input in it.
 */
const LATEST_LABEL = sql<boolean>`not exists (select 1 from labels as l2 where l2.model_id = l.model_id and l2.score_id = l.score_id and l2.id > l.id)`;

/** Most recent latencies per version that a rollout's p95 is computed from. */
const LATENCY_SAMPLE = 20_000;

/** Label rows per page when loading a training window. */
const LABEL_PAGE = 5_000;

function toScore(row: Selectable<ScoresTable>): Score {
  return {
    id: row.id,
    modelId: row.model_id,
    version: row.version,
    features: JSON.parse(row.features) as FeatureRow,
    score: JSON.parse(row.score) as number | number[],
    createdAt: date(row.created_at),
    arm: (row.arm ?? 'champion') as ScoreArm,
    latencyMs: row.latency_ms === null ? null : Number(row.latency_ms),
    served: Number(row.served) === 1,
    shadowOf: row.shadow_of,
    error: row.error,
  };
}

/** Labels, scores and the outcomes that join them, on Kysely. */
export function kyselyFeedbackStore(ctx: KyselyContext): FeedbackStore {
  const { db } = ctx;
  const breathe = ctx.dialect === 'sqlite' ? turn : noTurn;

  const countLabelsAfter = async (modelId: string, afterId: number): Promise<number> => {
    const row = await db
      .selectFrom('labels')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('model_id', '=', modelId)
      .where('id', '>', afterId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };

  const loadLabelsRaw: FeedbackStore['loadLabelsRaw'] = async (modelId, window, now) => {
    // Read in pages by id so that no single query (synchronous on SQLite) or JSON-parsing pass
    // holds the event loop for long, whatever the window's size.
    let afterId = 0;
    if (window.kind === 'labels') {
      const edge = await db
        .selectFrom('labels')
        .select('id')
        .where('model_id', '=', modelId)
        .orderBy('id', 'desc')
        .offset(window.count - 1)
        .limit(1)
        .executeTakeFirst();
      afterId = edge ? Number(edge.id) - 1 : 0;
    }
    const cutoff = window.kind === 'days' ? iso(new Date(now.getTime() - window.days * 86_400_000)) : null;
    const out: RawLabelRow[] = [];
    for (;;) {
      let q = db.selectFrom('labels').select(['id', 'features', 'label', 'score_id', 'meta']).where('model_id', '=', modelId).where('id', '>', afterId);
      if (cutoff !== null) q = q.where('occurred_at', '>=', cutoff);
      const rows = await q.orderBy('id', 'asc').limit(LABEL_PAGE).execute();
      for (const r of rows) out.push({ id: Number(r.id), features: r.features, label: r.label, scoreId: r.score_id, meta: r.meta });
      if (rows.length < LABEL_PAGE) return out;
      afterId = Number(rows[rows.length - 1].id);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };

  return {
    countLabelsAfter,
    loadLabelsRaw,

    // ---- labels ----

    async insertLabels(modelId, labels, receivedAt) {
      if (labels.length === 0) return [];
      const received = iso(receivedAt);
      const direct = ctx.direct;
      if (direct) {
        // SQLite: prepared multi-row inserts (no SQL built per batch), in one transaction.
        return direct.run(db, ctx.inTransaction, () => {
          const ids: number[] = new Array<number>(labels.length);
          const values: unknown[] = [];
          // Most labels of a batch share one occurredAt (the time it arrived): format it once.
          let lastAt: Date | null = null;
          let lastIso = '';
          const at = (d: Date) => (d === lastAt ? lastIso : (lastIso = iso((lastAt = d))));
          for (let from = 0; from < labels.length; ) {
            const to = Math.min(labels.length, from + ROWS_PER_INSERT);
            values.length = 0;
            let r: { lastInsertRowid: number | bigint };
            if (plainLabels(labels, from, to)) {
              // The common batch (features and a label, one occurredAt, nothing else): two values a
              // row, the rest bound once per statement. Binding is most of an insert's cost.
              for (let i = from; i < to; i++) values.push(JSON.stringify(labels[i].features), JSON.stringify(labels[i].label));
              r = direct.statement(multiRowInsert('labels', PLAIN_LABEL_ROW, to - from)).run(values, { model: modelId, occurred: at(labels[from].occurredAt), received });
            } else {
              for (let i = from; i < to; i++) {
                const l = labels[i];
                values.push(modelId, JSON.stringify(l.features), JSON.stringify(l.label), l.scoreId, l.meta ? JSON.stringify(l.meta) : null, l.version ?? null, at(l.occurredAt), received);
              }
              r = direct.statement(multiRowInsert('labels', LABEL_ROW, to - from)).run(values);
            }
            // One statement's rows get consecutive ids (one writer, AUTOINCREMENT), ending at its last.
            const lastId = Number(r.lastInsertRowid);
            for (let i = from; i < to; i++) ids[i] = lastId - (to - 1 - i);
            from = to;
          }
          return ids;
        });
      }
      // PostgreSQL: one statement per PG_ROWS rows, the rows as one JSON array of arrays (one
      // parameter, written by one JSON.stringify, read by json_array_elements), so neither Kysely
      // nor pg builds thousands of parameters; rows go in in array order. The json type (not
      // jsonb) keeps each element's text as it came, so `(r->0)::text` is exactly
      // JSON.stringify(features). An array parameter per column (unnest of text[], which pg
      // escapes element by element and PostgreSQL parses back) cost the server a third more CPU
      // a label; it stays for the rare batch that JSON cannot carry (see jsonReadsBack).
      return atomic(ctx, async (tx) => {
        await holdModels(tx, [modelId]);
        const ids: number[] = [];
        for (let i = 0; i < labels.length; i += PG_ROWS) {
          const to = Math.min(labels.length, i + PG_ROWS);
          const chunk = labels.slice(i, to);
          // The common batch (features and a label, one occurredAt, nothing else): two fields a
          // row, the rest bound once, as on SQLite.
          const plain = plainLabels(labels, i, to);
          const json = JSON.stringify(plain ? chunk.map((l) => [l.features, l.label]) : chunk.map((l) => [l.features, l.label, l.scoreId, l.meta ?? null, l.version ?? null, iso(l.occurredAt)]));
          const insert = !jsonReadsBack(json)
            ? sql`insert into labels (model_id, features, label, score_id, meta, version, occurred_at, received_at)
                  select ${modelId}, f, l, s, m, v, o, ${received}
                  from unnest(${chunk.map((l) => JSON.stringify(l.features))}::text[], ${chunk.map((l) => JSON.stringify(l.label))}::text[],
                              ${chunk.map((l) => l.scoreId)}::text[], ${chunk.map((l) => (l.meta ? JSON.stringify(l.meta) : null))}::text[],
                              ${chunk.map((l) => l.version ?? null)}::text[], ${chunk.map((l) => iso(l.occurredAt))}::text[])
                       with ordinality as t(f, l, s, m, v, o, n)
                  order by n
                  returning id`
            : plain
              ? sql`insert into labels (model_id, features, label, score_id, meta, version, occurred_at, received_at)
                    select ${modelId}, (r->0)::text, (r->1)::text, null, null, null, ${iso(chunk[0].occurredAt)}, ${received}
                    from json_array_elements(${json}::json) with ordinality as t(r, n)
                    order by n
                    returning id`
              : sql`insert into labels (model_id, features, label, score_id, meta, version, occurred_at, received_at)
                    select ${modelId}, (r->0)::text, (r->1)::text, r->>2, case when json_typeof(r->3) = 'null' then null else (r->3)::text end, r->>4, r->>5, ${received}
                    from json_array_elements(${json}::json) with ordinality as t(r, n)
                    order by n
                    returning id`;
          // One row back instead of one per label: one statement's rows take sequence values in the
          // order they go in, so when nothing else took values meanwhile they are lo..hi; otherwise
          // the ids come as a sorted list.
          const { rows } = await sql<{ lo: number | string; n: number | string; ids: (number | string)[] | null }>`
            with inserted as (${insert})
            select min(id) as lo, count(*) as n,
                   case when max(id) - min(id) + 1 = count(*) then null else array_agg(id order by id) end as ids
            from inserted`.execute(tx);
          const { lo, n, ids: listed } = rows[0];
          if (listed !== null) for (const id of listed) ids.push(Number(id));
          else for (let k = 0; k < Number(n); k++) ids.push(Number(lo) + k);
        }
        return ids;
      });
    },

    async labelledScoreIds(modelId, scoreIds) {
      const out = new Set<string>();
      const unique = [...new Set(scoreIds)];
      for (let i = 0; i < unique.length; i += INSERT_CHUNK) {
        const rows = await db
          .selectFrom('labels')
          .select('score_id')
          .where('model_id', '=', modelId)
          .where('score_id', 'in', unique.slice(i, i + INSERT_CHUNK))
          .execute();
        for (const r of rows) if (r.score_id !== null) out.add(r.score_id);
      }
      return out;
    },

    countLabels(modelId) {
      return countLabelsAfter(modelId, 0);
    },

    async maxLabelId(modelId) {
      const row = await db
        .selectFrom('labels')
        .select((eb) => eb.fn.max('id').as('m'))
        .where('model_id', '=', modelId)
        .executeTakeFirst();
      return Number(row?.m ?? 0);
    },

    async loadLabels(modelId, window, now) {
      return (await loadLabelsRaw(modelId, window, now)).map(parseLabelRow);
    },

    // ---- scores ----

    async insertScores(scores) {
      if (scores.length === 0) return;
      const direct = ctx.direct;
      if (direct) {
        await direct.run(db, ctx.inTransaction, () => {
          const values: unknown[] = [];
          // Requests of one turn mostly share a millisecond: format each time once.
          let lastMs = Number.NaN;
          let lastIso = '';
          const at = (d: Date) => {
            const ms = d.getTime();
            return ms === lastMs ? lastIso : ((lastMs = ms), (lastIso = iso(d)));
          };
          for (let from = 0; from < scores.length; ) {
            const to = Math.min(scores.length, from + ROWS_PER_INSERT);
            values.length = 0;
            const first = scores[from];
            if (plainScores(scores, from, to)) {
              // The common batch (one model, version and arm, served, no shadow, no error): five
              // values a row, the rest bound once per statement, as for labels.
              for (let i = from; i < to; i++) {
                const s = scores[i];
                values.push(s.id, JSON.stringify(s.features), JSON.stringify(s.score), at(s.createdAt), s.latencyMs ?? null);
              }
              direct.statement(multiRowInsert('scores', PLAIN_SCORE_ROW, to - from)).run(values, { model: first.modelId, version: first.version, arm: first.arm ?? 'champion' });
            } else {
              for (let i = from; i < to; i++) {
                const s = scores[i];
                values.push(s.id, s.modelId, s.version, JSON.stringify(s.features), JSON.stringify(s.score), at(s.createdAt), s.arm ?? 'champion', s.latencyMs ?? null, s.served === false ? 0 : 1, s.shadowOf ?? null, s.error ?? null);
              }
              direct.statement(multiRowInsert('scores', SCORE_ROW, to - from)).run(values);
            }
            from = to;
          }
        });
        return;
      }
      await atomic(ctx, async (tx) => {
        await holdModels(tx, scores.map((s) => s.modelId));
        for (let i = 0; i < scores.length; i += PG_ROWS) {
          const to = Math.min(scores.length, i + PG_ROWS);
          const chunk = scores.slice(i, to);
          // The rows as one JSON parameter, as labels go (see insertLabels).
          const plain = plainScores(scores, i, to);
          const rows = JSON.stringify(
            plain
              ? chunk.map((s) => [s.id, s.features, s.score, iso(s.createdAt), s.latencyMs ?? null])
              : chunk.map((s) => [s.id, s.modelId, s.version, s.features, s.score, iso(s.createdAt), s.arm ?? 'champion', s.latencyMs ?? null, s.served === false ? 0 : 1, s.shadowOf ?? null, s.error ?? null]),
          );
          if (!jsonReadsBack(rows)) {
            await sql`
              insert into scores (id, model_id, version, features, score, created_at, arm, latency_ms, served, shadow_of, error)
              select * from unnest(${chunk.map((s) => s.id)}::text[], ${chunk.map((s) => s.modelId)}::text[], ${chunk.map((s) => s.version)}::text[],
                                   ${chunk.map((s) => JSON.stringify(s.features))}::text[], ${chunk.map((s) => JSON.stringify(s.score))}::text[],
                                   ${chunk.map((s) => iso(s.createdAt))}::text[], ${chunk.map((s) => s.arm ?? 'champion')}::text[],
                                   ${chunk.map((s) => s.latencyMs ?? null)}::float8[], ${chunk.map((s) => (s.served === false ? 0 : 1))}::int[],
                                   ${chunk.map((s) => s.shadowOf ?? null)}::text[], ${chunk.map((s) => s.error ?? null)}::text[])`.execute(tx);
          } else if (plain) {
            // The common batch (see the SQLite path): five fields a row, the rest bound once.
            const first = chunk[0];
            await sql`
              insert into scores (id, model_id, version, features, score, created_at, arm, latency_ms, served, shadow_of, error)
              select r->>0, ${first.modelId}, ${first.version}, (r->1)::text, (r->2)::text, r->>3, ${first.arm ?? 'champion'}, (r->>4)::float8, 1, null, null
              from json_array_elements(${rows}::json) as t(r)`.execute(tx);
          } else {
            await sql`
              insert into scores (id, model_id, version, features, score, created_at, arm, latency_ms, served, shadow_of, error)
              select r->>0, r->>1, r->>2, (r->3)::text, (r->4)::text, r->>5, r->>6, (r->>7)::float8, (r->>8)::int, r->>9, r->>10
              from json_array_elements(${rows}::json) as t(r)`.execute(tx);
          }
        }
      });
    },

    async getScores(modelId, ids) {
      const out = new Map<string, Score>();
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += INSERT_CHUNK) {
        // By primary key alone: with the model in the condition too, SQLite walked the model's
        // (model_id, created_at) index instead, a cost that grew with the table (18 ms a lookup at
        // 100,000 scores). Scores of another model are dropped here.
        const rows = await db
          .selectFrom('scores')
          .selectAll()
          .where('id', 'in', unique.slice(i, i + INSERT_CHUNK))
          .execute();
        for (const r of rows) if (r.model_id === modelId) out.set(r.id, toScore(r));
      }
      return out;
    },

    async recentScores(modelId, limit) {
      // Only what callers received: shadow scores and failed attempts would count rows twice.
      const rows = await db
        .selectFrom('scores')
        .selectAll()
        .where('model_id', '=', modelId)
        .where('served', '=', 1)
        .where('error', 'is', null)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toScore);
    },

    // ---- outcomes ----

    async liveOutcomes(modelId, since, until, limit) {
      // Newest first, so that the read stops after `limit` rows (the (model_id, occurred_at) index
      // walked backwards); one more row than asked says whether there were more.
      await breathe();
      const rows = await db
        .selectFrom('labels as l')
        .innerJoin('scores as s', 's.id', 'l.score_id')
        .select(['s.version as version', 's.score as score', 'l.label as label', 'l.occurred_at as occurred_at'])
        .where('l.model_id', '=', modelId)
        .where('l.occurred_at', '>=', iso(since))
        .where('l.occurred_at', '<', iso(until))
        // A score counts once: only its latest label (a later label replaces an earlier one).
        .where(LATEST_LABEL)
        .orderBy('l.occurred_at', 'desc')
        .orderBy('l.id', 'desc')
        .limit(limit + 1)
        .execute();
      const scored = rows.map((r) => ({
        version: r.version,
        score: JSON.parse(r.score) as number | number[],
        label: JSON.parse(r.label) as LabelValue,
        occurredAt: date(r.occurred_at),
      }));
      // Outcomes of externally served models carry their version and no score.
      await breathe();
      const external = await db
        .selectFrom('labels')
        .select(['version', 'label', 'occurred_at'])
        .where('model_id', '=', modelId)
        .where('score_id', 'is', null)
        .where('version', 'is not', null)
        .where('occurred_at', '>=', iso(since))
        .where('occurred_at', '<', iso(until))
        .orderBy('occurred_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const more = external.map((r) => ({ version: r.version, score: NaN, label: JSON.parse(r.label) as LabelValue, occurredAt: date(r.occurred_at) }));
      // Both newest first: the newest `limit` of the two, then oldest first. The sort is stable, so
      // among equal times, reversed, scored outcomes come before external ones, each in id order.
      const newest = (more.length === 0 ? scored : [...more, ...scored].sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime())).slice(0, limit + 1);
      const complete = newest.length <= limit;
      return { outcomes: newest.slice(0, limit).reverse(), complete };
    },

    async rolloutOutcomes(modelId, since, { afterLabelId, limit, shadow }) {
      // The most recently received `limit` labels above the watermark (the (model_id, id) index
      // walked backwards), then their scores. A subquery with a limit is not merged into the join
      // by SQLite or PostgreSQL, so the read is bounded by `limit` labels whatever their scores.
      const recent = db
        .selectFrom('labels')
        .select(['id', 'model_id', 'score_id', 'label'])
        .where('model_id', '=', modelId)
        .where('id', '>', afterLabelId)
        .where('score_id', 'is not', null)
        .orderBy('id', 'desc')
        .limit(limit)
        .as('l');
      await breathe();
      const served = await db
        .selectFrom(recent)
        .innerJoin('scores as s', 's.id', 'l.score_id')
        .select(['s.version as version', 's.arm as arm', 's.score as score', 'l.label as label'])
        // PostgreSQL plans better knowing the score's model (it can search the rollout's scores by
        // (model_id, created_at), or probe each by key, whichever its statistics favour); SQLite,
        // told so, scanned the subquery's labels once per score of the rollout instead of probing
        // each label's score by key.
        .$if(ctx.dialect === 'postgres', (q) => q.where('s.model_id', '=', modelId))
        .where('s.created_at', '>=', iso(since))
        .where('s.error', 'is', null)
        // A score counts once: only its latest label (a later label replaces an earlier one).
        .where(LATEST_LABEL)
        .execute();
      // A shadow score shares its label with the score that was returned for the same row (only a
      // shadow rollout makes them). Joined through that served score (`s0`, by its key), which was
      // made with it: constraining the shadow score's own model and time led SQLite to scan the
      // rollout's scores for every label instead of using the shadow_of index.
      if (shadow) await breathe();
      const shadowRows = !shadow
        ? []
        : await db
            .selectFrom(recent)
            .innerJoin('scores as s0', 's0.id', 'l.score_id')
            .innerJoin('scores as s', 's.shadow_of', 'l.score_id')
            .select(['s.version as version', 's.arm as arm', 's.score as score', 'l.label as label'])
            .where('s0.created_at', '>=', iso(since))
            .where('s.error', 'is', null)
            .where(LATEST_LABEL)
            .execute();
      // Whether there were more labels than the `limit` read: one probe of the index at that depth.
      await breathe();
      const beyond = await db
        .selectFrom('labels')
        .select('id')
        .where('model_id', '=', modelId)
        .where('id', '>', afterLabelId)
        .where('score_id', 'is not', null)
        .orderBy('id', 'desc')
        .limit(1)
        .offset(limit)
        .executeTakeFirst();
      const map =
        (shadowRow: boolean) =>
        (r: { version: string | null; arm: string | null; score: string; label: string }): RolloutOutcome => ({
          version: r.version,
          arm: (r.arm ?? 'champion') as ScoreArm,
          shadow: shadowRow,
          score: JSON.parse(r.score) as number | number[],
          label: JSON.parse(r.label) as LabelValue,
        });
      return { outcomes: [...served.map(map(false)), ...shadowRows.map(map(true))], complete: beyond === undefined };
    },

    async servingStats(modelId, since, limit) {
      // The most recent attempts only (the (model_id, created_at) index walked backwards), so an
      // evaluation stays cheap however much traffic a rollout has seen; counted here.
      await breathe();
      const rows = await db
        .selectFrom('scores')
        .select(['version', 'latency_ms', sql<number>`case when error is null then 0 else 1 end`.as('failed')])
        .where('model_id', '=', modelId)
        .where('created_at', '>=', iso(since))
        .where('version', 'is not', null)
        .orderBy('created_at', 'desc')
        .limit(limit + 1)
        .execute();
      const complete = rows.length <= limit;
      const byVersion = new Map<string, { attempts: number; errors: number; latenciesMs: number[] }>();
      for (const r of complete ? rows : rows.slice(0, limit)) {
        const version = r.version as string;
        let s = byVersion.get(version);
        if (!s) byVersion.set(version, (s = { attempts: 0, errors: 0, latenciesMs: [] }));
        s.attempts++;
        if (Number(r.failed) === 1) s.errors++;
        if (r.latency_ms !== null && s.latenciesMs.length < LATENCY_SAMPLE) s.latenciesMs.push(Number(r.latency_ms));
      }
      return { stats: [...byVersion].map(([version, s]) => ({ version, ...s })), complete };
    },
  };
}
