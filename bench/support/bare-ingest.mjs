// The anchor of bench:ingest: a bare Fastify route that takes the same label batches and writes
// them to SQLite (WAL, synchronous NORMAL) with one prepared statement in one transaction per
// batch, as a hand-written script would; on 127.0.0.1 at a free port (printed as `listening on URL`).
// usage: node bare-ingest.mjs FILE.db
import Database from 'better-sqlite3';
import Fastify from 'fastify';

const db = new Database(process.argv[2]);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('create table labels (id integer primary key autoincrement, model_id text not null, features text not null, label text not null, occurred_at text not null)');
const insert = db.prepare('insert into labels (model_id, features, label, occurred_at) values (?, ?, ?, ?)');
const write = db.transaction((items, at) => {
  const ids = [];
  for (const item of items) ids.push(Number(insert.run('bench', JSON.stringify(item.features), JSON.stringify(item.label), at).lastInsertRowid));
  return ids;
});
const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
app.post('/labels', async (req) => {
  const ids = write(req.body.items, new Date().toISOString());
  return { accepted: ids.length, ids };
});
await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on http://127.0.0.1:${app.server.address().port}`);
