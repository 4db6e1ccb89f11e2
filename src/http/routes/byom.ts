import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { importStartedSchema, jobLogSchema, xgboostModelFileSchema } from '../../contract/index.js';
import { exportQuery, importQuery, jobParams, modelParams, versionParams } from '../../contract/requests.js';
import { RefitError } from '../../errors.js';
import type { Refit } from '../../service/index.js';

/** Bring your own model: imports of model files, exports, and job logs. */
export const byomRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  // Model files arrive as raw bytes; only these routes (this plugin) accept them.
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/models/:id/versions',
    {
      schema: {
        tags: ['models'],
        summary: 'Import a model file (body: application/octet-stream; ?format=xgboost-json|onnx); a job evaluates it against the champion and rolls it out like a retrain',
        params: modelParams,
        querystring: importQuery,
        response: { 202: importStartedSchema },
      },
    },
    async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) throw new RefitError('UNSUPPORTED_MEDIA_TYPE', 'Send the model file as the body, with content-type application/octet-stream.');
      const body = new Uint8Array(req.body);
      const job = await refit.importVersion(req.params.id, req.query.format, body);
      return reply.status(202).header('location', `/api/v1/jobs/${job.id}`).send({ jobId: job.id, status: job.status });
    },
  );

  r.get(
    '/api/v1/models/:id/versions/:version/export',
    { schema: { tags: ['models'], summary: 'A version as an XGBoost JSON model file (?format=xgboost-json); gbdt and XGBoost versions', params: versionParams, querystring: exportQuery, response: { 200: xgboostModelFileSchema } } },
    async (req, reply) => {
      const bytes = await refit.exportVersion(req.params.id, req.params.version, req.query.format);
      return reply
        .header('content-type', 'application/json')
        .header('content-disposition', `attachment; filename="${req.params.id.replace(/[^A-Za-z0-9_.-]/g, '_')}-${req.params.version.replace(/[^A-Za-z0-9_.-]/g, '_')}.json"`)
        // The file goes out byte for byte (Fastify does not serialize a Buffer): XGBoost tells
        // 1.0 from 1, which a parse and re-serialization would lose.
        .send(Buffer.from(bytes) as unknown as z.infer<typeof xgboostModelFileSchema>);
    },
  );

  r.get('/api/v1/jobs/:jobId/log', { schema: { tags: ['jobs'], summary: "A job's log: its command trainer's standard output and error", params: jobParams, response: { 200: jobLogSchema } } }, async (req) => {
    const { job, log } = await refit.jobLog(req.params.jobId);
    return { jobId: job.id, status: job.status, log };
  });
};
