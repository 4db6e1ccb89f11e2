import type { Kysely, Transaction } from 'kysely';
import type { ArtifactStore } from './artifact-store.js';
import { kyselyAuthStore } from './kysely/kysely-auth-store.js';
import { kyselyDeliveryStore } from './kysely/kysely-delivery-store.js';
import { kyselyFeedbackStore } from './kysely/kysely-feedback-store.js';
import { kyselyJobStore } from './kysely/kysely-job-store.js';
import { kyselyLabelWindowStore } from './kysely/kysely-label-window-store.js';
import { kyselyOutboxStore } from './kysely/kysely-outbox-store.js';
import { kyselyRegistryStore } from './kysely/kysely-registry-store.js';
import { kyselyRetentionStore } from './kysely/kysely-retention-store.js';
import { kyselyRolloutStore } from './kysely/kysely-rollout-store.js';
import { kyselyScheduleStore } from './kysely/kysely-schedule-store.js';
import type { KyselyContext } from './kysely/kysely-context.js';
import type { Dialect } from './migrations/index.js';
import type { Database } from './schema.js';
import type { SqliteDirect } from './sqlite-connection.js';
import type { Store } from './store.js';

/** An artifact store bound to one connection; for a transaction, with what to do once it commits. */
export interface BoundArtifacts {
  readonly artifacts: ArtifactStore;
  /** Work that must wait for the commit (e.g. removing files). Default: none. */
  readonly afterCommit?: () => Promise<void>;
}

/** How the store binds its artifact store to the pool (`inTransaction` false) or to a transaction. */
export type ArtifactBinding = (db: Kysely<Database>, inTransaction: boolean) => BoundArtifacts;

function compose(db: Kysely<Database>, dialect: Dialect, bind: ArtifactBinding, artifacts: ArtifactStore, inTransaction: boolean, direct: SqliteDirect | undefined): Store {
  const ctx: KyselyContext = { db, dialect, inTransaction, artifacts, ...(direct ? { direct } : {}) };
  const store: Store = {
    dialect,
    artifacts,
    ...kyselyRegistryStore(ctx),
    ...kyselyFeedbackStore(ctx),
    ...kyselyLabelWindowStore(ctx),
    ...kyselyJobStore(ctx),
    ...kyselyScheduleStore(ctx),
    ...kyselyRolloutStore(ctx),
    ...kyselyOutboxStore(ctx),
    ...kyselyAuthStore(ctx),
    ...kyselyDeliveryStore(ctx),
    ...kyselyRetentionStore(ctx),

    async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
      if (inTransaction) return fn(store);
      let bound: BoundArtifacts | undefined;
      const result = await db.transaction().execute((trx: Transaction<Database>) => {
        bound = bind(trx, true);
        return fn(compose(trx, dialect, bind, bound.artifacts, true, direct));
      });
      await bound?.afterCommit?.();
      return result;
    },

    ...(direct ? { dataVersion: () => direct.dataVersion() } : {}),

    async close(): Promise<void> {
      await db.destroy();
    },
  };
  return store;
}

/**
 * The Store on Kysely: one implementation per role (src/store/kysely/*), composed over one
 * connection; the same code runs on SQLite and PostgreSQL.
 */
export function createKyselyStore(db: Kysely<Database>, dialect: Dialect, bind: ArtifactBinding, direct?: SqliteDirect): Store {
  return compose(db, dialect, bind, bind(db, false).artifacts, false, direct);
}
