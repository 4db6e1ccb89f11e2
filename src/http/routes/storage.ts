import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pruneResultSchema, storageReportSchema } from '../../contract/index.js';
import { pruneBody } from '../../contract/requests.js';
import { toPruneResultWire, toStorageReportWire } from '../../contract/storage-mappers.js';
import type { Refit } from '../../service/index.js';
import { actorOf } from '../access.js';

/** The database's size and the retention of scores and labels (`/api/v1/storage`, admin scope). */
export const storageRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['storage'];

  r.get(
    '/api/v1/storage',
    {
      schema: {
        tags,
        summary: 'The database size, rows and bytes of scores and labels, what retention keeps of each model and why, and the last prune',
        response: { 200: storageReportSchema },
      },
    },
    async () => toStorageReportWire(await refit.storage()),
  );

  r.post(
    '/api/v1/storage/prune',
    {
      schema: {
        tags,
        summary: 'Prune scores and labels past their retention age now (or, with dryRun, count what would go); 409 PRUNE_IN_PROGRESS while another prune runs',
        body: pruneBody,
        response: { 200: pruneResultSchema },
      },
    },
    async (req) => {
      const result = await refit.prune(req.body, actorOf(req, 'anonymous'));
      req.auditNote = { detail: { dryRun: result.dryRun, scoresDeleted: result.scoresDeleted, labelsDeleted: result.labelsDeleted } };
      return toPruneResultWire(result);
    },
  );
};
