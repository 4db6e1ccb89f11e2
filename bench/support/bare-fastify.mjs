// The anchor of bench:score: a bare Fastify route that parses the same JSON body and answers a
// constant, on 127.0.0.1 at a free port (printed as `listening on URL`).
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const answer = { items: [{ scoreId: '00000000-0000-7000-8000-000000000000', score: 0.5, version: 'v1', arm: 'champion' }] };
app.post('/score', async () => answer);
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address();
console.log(`listening on http://127.0.0.1:${port}`);
