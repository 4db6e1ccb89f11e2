import { existsSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { problem, sendProblem } from '../problem.js';

/** Where `vite build` writes the dashboard: `<project>/web/dist` (the same from src/ and dist/). */
export const DEFAULT_WEB_ROOT: string = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** Options of the dashboard routes. */
export interface StaticRoutesOptions {
  /** Directory holding the built dashboard (index.html, assets/). Default: {@link DEFAULT_WEB_ROOT}. */
  readonly root?: string;
}

/** Paths that belong to the server, never to the dashboard: an unknown one stays a 404 problem. */
const SERVER_PATHS = /^\/(api|docs|openapi\.json|healthz)(\/|$)/;

/** Client-side routes of the dashboard, whatever their last segment looks like. */
const DASHBOARD_PATHS = /^\/models\//;

/** Shown at `/` when the dashboard was never built, instead of a bare 404. */
const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Refit</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Refit is running</h1>
<p>The dashboard has not been built. Build it with <code>npm run build:web</code> (or <code>npm run build</code>) and reload this page.</p>
<p>The HTTP API is at <a href="/api/v1/models"><code>/api/v1</code></a>; its documentation is at <a href="/docs"><code>/docs</code></a>.</p>
</body></html>
`;

function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const doc = problem('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`, request.url);
  return sendProblem(request, reply, doc);
}

/**
 * The dashboard at `/`: files of the built web app, and `index.html` for any other GET path that
 * is neither an API route nor a file name (client-side routes such as `/models/churn`). API routes
 * keep precedence because Fastify matches static routes before this wildcard.
 */
export const staticRoutes: FastifyPluginAsync<StaticRoutesOptions> = async (app, options) => {
  const root = resolve(options.root ?? DEFAULT_WEB_ROOT);
  const built = existsSync(join(root, 'index.html'));

  if (!built) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT_PAGE));
    return;
  }

  // serve: false: only the reply.sendFile decorator; the routing (and the SPA fallback) is ours.
  await app.register(fastifyStatic, { root, serve: false });

  const sendIndex = (reply: FastifyReply) =>
    // index.html names the hashed assets of the current build: never cache it.
    reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });

  app.get('/', { schema: { hide: true } }, async (_request, reply) => sendIndex(reply));
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    let path: string;
    try {
      path = decodeURIComponent(request.url.split('?')[0]);
    } catch {
      return notFound(request, reply);
    }
    if (SERVER_PATHS.test(path)) return notFound(request, reply);
    const file = resolve(root, '.' + path);
    if (file.startsWith(root + sep) && existsSync(file) && statSync(file).isFile()) {
      // Vite puts content hashes in the names under assets/, so those never change.
      const immutable = path.startsWith('/assets/');
      return reply.sendFile(file.slice(root.length + 1), { immutable, maxAge: immutable ? '365d' : 0, cacheControl: true });
    }
    // A missing file (a stale asset, /favicon.ico) is a 404; anything else is a dashboard route.
    // Paths under /models/ are always the dashboard's: version names have dots (1.2.0-2026…).
    if (extname(path) !== '' && !DASHBOARD_PATHS.test(path)) return notFound(request, reply);
    return sendIndex(reply);
  });
};
