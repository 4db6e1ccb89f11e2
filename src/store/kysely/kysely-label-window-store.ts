import type { RawLabelRow } from '../roles/feedback-store.js';
import type { LabelWindowStore } from '../roles/label-window-store.js';
import type { KyselyContext } from './kysely-context.js';

/** Label rows per page (as the full window load reads them). */
const LABEL_PAGE = 5_000;

/** The reads of a training window kept between retrains, on Kysely. */
export function kyselyLabelWindowStore(ctx: KyselyContext): LabelWindowStore {
  const { db } = ctx;
  return {
    async labelSpan(modelId, throughId) {
      const range = () => db.selectFrom('labels').where('model_id', '=', modelId).where('id', '<=', throughId);
      // Count and sum scan the range; min and max, each alone in its query, are one index lookup
      // (together with the count they would make the scan slower still).
      const totals = await range()
        .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('id').as('total')])
        .executeTakeFirstOrThrow();
      const first = await range().select((eb) => eb.fn.min('id').as('id')).executeTakeFirst();
      const last = await range().select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      // PostgreSQL returns count and sum as strings (bigint, numeric).
      return { count: Number(totals.n), firstId: Number(first?.id ?? 0), lastId: Number(last?.id ?? 0), idSum: Number(totals.total ?? 0) };
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
