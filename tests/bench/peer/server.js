'use strict';
// A minimal Fastify 5 + pg service doing the read path of ips-api with the
// least work a hand-written Node service would do: verify an HS256 Bearer
// token, run one prepared statement that builds the JSON in PostgreSQL, send
// the text as it came. tests/bench/engine.sh runs it beside the server as the
// figure to beat. Not a product: no policy, no problem+json, no ETags.
//
//   PEER_PORT=8090 PEER_POOL_SIZE=16 IPS_DATABASE_URL=postgresql://... \
//   IPS_JWT_SECRET=... node server.js
//
// Prints "listening on http://127.0.0.1:PORT" when ready; stops on SIGTERM
// or SIGINT.
const crypto = require('node:crypto');
const fastify = require('fastify');
const { Pool } = require('pg');

const need = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return v;
};
const secret = need('IPS_JWT_SECRET');
const issuer = process.env.IPS_JWT_ISSUER || 'ips-api';
const audience = process.env.IPS_JWT_AUDIENCE || 'ips';
const pool = new Pool({
  connectionString: need('IPS_DATABASE_URL'),
  max: Number(process.env.PEER_POOL_SIZE || 16),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GET_SQL = 'SELECT row_to_json(e)::text AS body FROM es_entities e WHERE id = $1 AND deleted_at IS NULL';
const LIST_SQL =
  'SELECT coalesce(json_agg(e), \'[]\')::text AS body FROM (SELECT * FROM es_entities ' +
  'WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $1) e';

// The claims of a valid HS256 token of this issuer and audience, or null.
function verify(header) {
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return null;
  const parts = header.slice(7).split('.');
  if (parts.length !== 3) return null;
  try {
    const head = JSON.parse(Buffer.from(parts[0], 'base64url'));
    if (head.alg !== 'HS256') return null;
    const want = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
    const got = Buffer.from(parts[2], 'base64url');
    if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) return null;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url'));
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== issuer || !aud.includes(audience)) return null;
    if (!Number.isInteger(claims.exp) || claims.exp < Date.now() / 1000) return null;
    return claims;
  } catch {
    return null;
  }
}

const app = fastify({ logger: false });

app.addHook('onRequest', async (req, reply) => {
  if (verify(req.headers.authorization) === null) reply.code(401).send({ title: 'Unauthorized' });
});

app.get('/v1/es-entities/:id', async (req, reply) => {
  if (!UUID.test(req.params.id)) return reply.code(400).send({ title: 'Bad Request' });
  const r = await pool.query({ name: 'get', text: GET_SQL, values: [req.params.id] });
  if (r.rows.length === 0) return reply.code(404).send({ title: 'Not Found' });
  return reply.type('application/json').send(r.rows[0].body);
});

app.get('/v1/es-entities', async (req, reply) => {
  const limit = Number(req.query.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) return reply.code(400).send({ title: 'Bad Request' });
  const r = await pool.query({ name: 'list', text: LIST_SQL, values: [limit] });
  return reply.type('application/json').send(r.rows[0].body);
});

async function stop() {
  await app.close();
  await pool.end();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

app.listen({ host: '127.0.0.1', port: Number(process.env.PEER_PORT || 0) }).then(
  (address) => console.log(`listening on ${address}`),
  (err) => {
    console.error(err.message);
    process.exit(1);
  },
);
