'use strict';
// A streaming replica for the reports (IPS_REPLICA_DATABASE_URL): made
// with pg_basebackup from the test database's cluster, it answers the
// indicators while it streams; stopped, the reports go to the primary and
// /readyz says so, and the instance stays ready.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { startReplica } = require('./lib/clusters');
const { api, until } = require('./lib/http');
const { newUser } = require('./lib/users');

const PRIMARY = new URL(process.env.IPS_TEST_DATABASE_URL);

let replica;
let server;

async function metric(name) {
  const m = await api(server, 'GET', '/metrics');
  const line = m.text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

before(async () => {
  replica = await startReplica(PRIMARY);
  server = await startServer({ env: { IPS_REPLICA_DATABASE_URL: replica.url } });
});

after(async () => {
  if (server) await server.stop();
  if (replica) await replica.stop();
});

test('while the replica streams, /readyz shows its lag and the indicators come from it, with the primary\'s writes', async () => {
  const ready = await api(server, 'GET', '/readyz');
  assert.equal(ready.status, 200, ready.text);
  assert.equal(ready.json.replica.state, 'streaming', ready.text);
  assert.equal(typeof ready.json.replica.lag_seconds, 'number');
  const admin = await newUser(server, { role: 'admin' });
  const before = await metric('ips_db_replica_reads_total');
  const res = await api(server, 'GET', '/v1/reports/indicators?from=2026-01-01&to=2026-12-31', { headers: admin.headers });
  assert.equal(res.status, 200, res.text);
  assert.equal(await metric('ips_db_replica_reads_total'), before + 1, 'the replica answered the indicators');
  assert.equal(await metric('ips_db_replica_up'), 1);
  // a user made on the primary signs in through the primary and reads the
  // report from the replica once it has replayed that far
  const later = await newUser(server, { role: 'auditor' });
  const seen = await until(async () => {
    const r = await api(server, 'GET', '/v1/reports/indicators?from=2026-01-01&to=2026-12-31', { headers: later.headers });
    return { ok: r.status === 200, value: r, describe: `${r.status} ${r.text.slice(0, 200)}` };
  }, { timeoutMs: 10000, what: 'the indicators for a new user' });
  assert.equal(seen.status, 200);
});

test('with the replica stopped the reports go to the primary, /readyz says it is unavailable and the instance stays ready', async () => {
  const admin = await newUser(server, { role: 'admin' });
  await replica.halt();
  const fallbacks = await metric('ips_db_replica_fallbacks_total');
  const res = await api(server, 'GET', '/v1/reports/indicators?from=2026-01-01&to=2026-12-31', { headers: admin.headers });
  assert.equal(res.status, 200, `${res.text}\n${server.stderr().slice(-1500)}`);
  assert.ok(await metric('ips_db_replica_fallbacks_total') > fallbacks, 'the primary answered instead');
  const csv = await api(server, 'GET', '/v1/reports/participants.csv?from=2026-01-01&to=2026-01-31', { headers: admin.headers });
  assert.equal(csv.status, 200, csv.text.slice(0, 200));
  const ready = await api(server, 'GET', '/readyz');
  assert.equal(ready.status, 200, ready.text);
  assert.equal(ready.json.replica.state, 'unavailable', ready.text);
  assert.equal(await metric('ips_db_replica_up'), 0);
});
