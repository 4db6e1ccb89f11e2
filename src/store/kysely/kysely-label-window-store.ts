import type { RawLabelRow } from '../roles/feedback-store.js';
import type { LabelWindowStore } from '../roles/label-window-store.js';
import type { KyselyContext } from './kysely-context.js';

/** Label rows per page (as the full window load reads them). */
const LABEL_PAGE = 5_000;

/** Ids per slice of labelSpan's scan (at most this many rows per query). */
const SPAN_SLICE = 100_000;

/** The reads of a training window kept between retrains, on Kysely. */
export function kyselyLabelWindowStore(ctx: KyselyContext): LabelWindowStore {
  const { db } = ctx;
  return {
    async labelSpan(modelId, throughId) {
      const range = () => db.selectFrom('labels').where('model_id', '=', modelId).where('id', '<=', throughId);
      // Min and max, each alone in its query, are one index lookup.
      const first = await range().select((eb) => eb.fn.min('id').as('id')).executeTakeFirst();
      const last = await range().select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      const firstId = Number(first?.id ?? 0);
      const lastId = Number(last?.id ?? 0);
      if (lastId === 0) return { count: 0, firstId: 0, lastId: 0, idSum: 0 };
      // Count and sum scan the rows: in slices of ids, so that no single query (synchronous on
      // SQLite) holds the event loop for long on a big window; a slice that held few rows (other
      // models' labels in between) doubles the next one.
      let count = 0;
      let idSum = 0;
      let step = SPAN_SLICE;
      for (let after = firstId - 1; after < lastId; ) {
        const upTo = Math.min(lastId, after + step);
        const row = await db
          .selectFrom('labels')
          .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('id').as('total')])
          .where('model_id', '=', modelId)
          .where('id', '>', after)
          .where('id', '<=', upTo)
          .executeTakeFirstOrThrow();
        // PostgreSQL returns count and sum as strings (bigint, numeric).
        const n = Number(row.n);
        count += n;
        idSum += Number(row.total ?? 0);
        after = upTo;
        if (n < step / 4) step *= 2;
        if (after < lastId) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return { count, firstId, lastId, idSum };
    },

    async loadLabelsRawBetween(modelId, afterId, throughId) {
      const out: RawLabelRow[] = [];
      let after = afterId;
      for (;;) {
        const rows = await db
          .selectFrom('labels')
          .select(['id', 'features', 'label', 'score_id', 'meta'])
          .where('model_id', '=', modelId)
          .where('id', '>', after)
          .where('id', '<=', throughId)
          .orderBy('id', 'asc')
          .limit(LABEL_PAGE)
          .execute();
        for (const r of rows) out.push({ id: Number(r.id), features: r.features, label: r.label, scoreId: r.score_id, meta: r.meta });
        if (rows.length < LABEL_PAGE) return out;
        after = Number(rows[rows.length - 1].id);
        // A big gap of new labels: let the event loop breathe between pages.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
  };
}
