'use strict';
// The database pool under trouble: a stopped database is probed by one
// connection at a time with backoff (not by every request), answered 503 at
// once from the known state, logged a few lines only, and found again within
// two seconds; and one connection may prepare every statement the service has.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer } = require('./lib/server');
const { api, expectProblem } = require('./lib/http');
const { startPgProxy } = require('./lib/pgproxy');
const R = require('./lib/records');

const servers = [];
after(async () => {
  for (const s of servers) await s.stop();
});

/*
 * A stand-in for a stopped database on a port of its own: it accepts each
 * connection and closes it at once (libpq fails fast, as against a database
 * that is going down), counting the attempts. listen() hands it the port
 * of a proxy that was cut; close() frees the port again.
 */
async function refusingDatabase(port) {
  let attempts = 0;
  const sockets = new Set();
  const server = net.createServer((s) => {
    attempts++;
    sockets.add(s);
    s.on('error', () => {});
    s.destroy();
  });
  for (let i = 0; ; i++) {
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: '127.0.0.1', port, exclusive: true }, resolve);
      });
      break;
    } catch (e) {
      if (e.code !== 'EADDRINUSE' || i >= 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    attempts: () => attempts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function metric(server, name) {
  const res = await api(server, 'GET', '/metrics');
  const m = res.text.match(new RegExp(`^${name} ([0-9.]+)$`, 'm'));
  assert.ok(m, `/metrics has ${name}: ${res.text.slice(0, 200)}`);
  return Number(m[1]);
}

test('a stopped database under load: one prober with backoff, 503 + Retry-After at once, a few log lines, back within 2 s', async () => {
  const proxy = await startPgProxy(process.env.IPS_TEST_DATABASE_URL);
  const db = await startServer({
    env: { IPS_DATABASE_URL: proxy.url, IPS_DB_POOL_SIZE: '4', IPS_DB_CHECKOUT_TIMEOUT_MS: '1000', IPS_LOG_LEVEL: 'warning' },
  });
  servers.push(db);
  // warm every pooled connection
  await Promise.all(Array.from({ length: 8 }, () => api(db, 'GET', '/v1/gminas/1604013')));
  assert.equal((await api(db, 'GET', '/v1/gminas/1604013')).status, 200);

  await proxy.cut();
  const dead = await refusingDatabase(proxy.port);
  const logBefore = db.stderr().length;
  const attemptsBefore = await metric(db, 'ips_db_connect_attempts_total');

  // 8 clients hammer a database read for 3 s
  const deadline = Date.now() + 3000;
  const answers = [];
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (Date.now() < deadline) {
      const t0 = Date.now();
      const res = await api(db, 'GET', '/v1/gminas/1604013');
      answers.push({ res, ms: Date.now() - t0 });
    }
  }));
  const late = answers.slice(Math.floor(answers.length / 4)); // past the first broken connections
  assert.ok(late.length > 50, `the clients were answered quickly enough to keep going: ${answers.length} answers`);
  for (const { res, ms } of late) {
    expectProblem(res, 503);
    assert.match(res.headers.get('retry-after') || '', /^[0-9]+$/);
    assert.ok(ms < 500, `a 503 from the known state comes at once, not after the checkout timeout: ${ms} ms`);
  }
  const ready = await api(db, 'GET', '/readyz');
  expectProblem(ready, 503);
  assert.equal(await metric(db, 'ips_db_up'), 0);

  // Backoff from 50 ms to 1 s: about ten probes in 3 s; every request trying would be thousands.
  assert.ok(dead.attempts() < 40, `connection attempts while the database was down: ${dead.attempts()}`);
  const counted = (await metric(db, 'ips_db_connect_attempts_total')) - attemptsBefore;
  assert.ok(counted < 40, `the pool counted ${counted} connect attempts`);
  const logged = db.stderr().slice(logBefore).split('\n').filter(Boolean);
  const connects = logged.filter((l) => /cannot connect|no connection free/.test(l));
  assert.ok(connects.length <= 3, `repeated failures are one line with a count: ${connects.length} lines\n${connects.join('\n')}`);
  // access lines of 503s too: one a second at most (there were hundreds of answers)
  assert.ok(logged.length <= 12, `${logged.length} log lines in 3 s of outage:\n${logged.slice(0, 20).join('\n')}`);

  await dead.close();
  await proxy.restore();
  const back = Date.now();
  let res;
  do {
    res = await api(db, 'GET', '/v1/gminas/1604013');
    if (res.status !== 200) await new Promise((r) => setTimeout(r, 20));
  } while (res.status !== 200 && Date.now() - back < 5000);
  assert.equal(res.status, 200, res.text);
  assert.ok(Date.now() - back < 2000, `first 200 ${Date.now() - back} ms after the database returned`);
  assert.equal((await api(db, 'GET', '/readyz')).status, 200);
  assert.equal(await metric(db, 'ips_db_up'), 1);
  await proxy.close();
});

test('one connection prepares the statements of every route: walking them on a pool of one gives no 5xx', async () => {
  const db = await startServer({ env: { IPS_DB_POOL_SIZE: '1' } });
  servers.push(db);
  const S = await R.staff(db, 'pp');
  const admin = S.admin;
  const t = R.tag('pp');
  const failures = [];
  const check = (what, res) => { if (res.status >= 500) failures.push(`${what}: ${res.status} ${res.text}`); };
  const sorts = {
    users: ['username'], 'partnership-members': ['name'], 'es-entities': ['name'], services: ['name'],
    beneficiaries: ['last_name'], deliveries: ['started_at'],
  };
  for (const [resource, own] of Object.entries(sorts)) {
    for (const field of ['created_at', 'updated_at', ...own]) {
      for (const sort of [field, `-${field}`]) {
        for (const who of [admin, S.integration]) {
          const res = await api(db, 'GET', `/v1/${resource}?sort=${sort}&limit=2`, { headers: who.headers, check: false });
          check(`${who.label} GET ${resource} sort=${sort}`, res);
        }
      }
    }
  }
  for (const sort of ['name', '-name', 'created_at', '-created_at', 'updated_at', '-updated_at']) {
    check(`public sort=${sort}`, await api(db, 'GET', `/v1/public/es-entities?sort=${sort}`, { check: false }));
  }
  // every write of the engine, and the routes beside it
  const services = await R.seededServices(db, admin);
  const entity = await R.newEsEntity(db, admin, t);
  const member = await R.newMember(db, admin, t);
  const service = await R.newService(db, admin, t);
  const person = await R.newBeneficiary(db, admin, t);
  const delivery = await R.newDelivery(db, admin, t, { service_id: services.advisory.id, es_entity_id: entity.id });
  for (const [resource, rec] of [['es-entities', entity], ['partnership-members', member], ['services', service],
    ['beneficiaries', person], ['deliveries', delivery]]) {
    check(`GET ${resource}`, await api(db, 'GET', `/v1/${resource}/${rec.id}`, { headers: admin.headers, check: false }));
    check(`GET ${resource} as integration`, await api(db, 'GET', `/v1/${resource}/${rec.id}`, { headers: S.integration.headers, check: false }));
    const body = resource === 'deliveries' ? { topic: `${t} zmiana` } : resource === 'beneficiaries' ? { last_name: 'Zmieniona' } : { name: `${t} zmiana` };
    check(`PATCH ${resource}`, await api(db, 'PATCH', `/v1/${resource}/${rec.id}`, {
      headers: R.mergePatchHeaders(admin, '"1"'), body, check: false,
    }));
  }
  check('PUT attendance', await api(db, 'PUT', `/v1/deliveries/${delivery.id}/participants/${person.id}`, {
    headers: R.jsonHeaders(admin), body: { attended: true }, check: false,
  }));
  check('GET attendance', await api(db, 'GET', `/v1/deliveries/${delivery.id}/participants`, { headers: admin.headers, check: false }));
  check('DELETE attendance', await api(db, 'DELETE', `/v1/deliveries/${delivery.id}/participants/${person.id}`, {
    headers: admin.headers, check: false,
  }));
  for (const path of ['/v1/reports/indicators', '/v1/reports/targets', '/v1/changes?limit=1', '/v1/audit?limit=1',
    `/v1/beneficiaries/${person.id}/deliveries`, '/v1/gminas?limit=1', '/readyz', '/v1/users?limit=1']) {
    check(`GET ${path}`, await api(db, 'GET', path, { headers: admin.headers, check: false }));
  }
  for (const [resource, rec] of [['deliveries', delivery], ['es-entities', entity], ['partnership-members', member],
    ['services', service]]) {
    check(`DELETE ${resource}`, await api(db, 'DELETE', `/v1/${resource}/${rec.id}`, {
      headers: { ...admin.headers, 'If-Match': '"2"' }, check: false,
    }));
  }
  // sign-in, refresh and revoke; a keyed create and its replay; the admin's own writes
  check('refresh', await api(db, 'POST', '/v1/auth/token', {
    headers: { 'Content-Type': 'application/json' }, body: { grant_type: 'refresh_token', refresh_token: admin.refresh }, check: false,
  }));
  check('revoke', await api(db, 'POST', '/v1/auth/revoke', {
    headers: { 'Content-Type': 'application/json' }, body: { refresh_token: admin.refresh }, check: false,
  }));
  const keyed = { name: `${t} keyed`, kind: 'ngo' };
  for (let i = 0; i < 2; i++) {
    check('keyed create', await api(db, 'POST', '/v1/partnership-members', {
      headers: R.jsonHeaders(admin, { 'Idempotency-Key': `${t}-key` }), body: keyed, check: false,
    }));
  }
  check('users create', await api(db, 'POST', '/v1/users', {
    headers: R.jsonHeaders(admin), body: { username: `${t}-u`, partner: 'byczyna', role: 'auditor' }, check: false,
  }));
  check('csv', await api(db, 'GET', '/v1/reports/participants.csv', { headers: admin.headers, check: false }));
  check('targets', await api(db, 'PATCH', '/v1/reports/targets', {
    headers: R.mergePatchHeaders(admin, (await api(db, 'GET', '/v1/reports/targets', { headers: admin.headers })).headers.get('etag')),
    body: { seminars: 4 }, check: false,
  }));
  const g = await api(db, 'GET', '/v1/gminas/1604013');
  check('gmina patch', await api(db, 'PATCH', '/v1/gminas/1604013', {
    headers: R.mergePatchHeaders(admin, g.headers.get('etag')), body: { high_poverty: g.json.high_poverty }, check: false,
  }));
  for (const path of ['/v1/es-entities?q=a', '/v1/beneficiaries?q=a', '/v1/beneficiaries?pesel=44051401359',
    '/v1/partnership-members?partner=byczyna', '/v1/deliveries?kind=training', '/v1/gminas?powiat=1604&q=by',
    '/v1/changes?limit=1&after=0', '/v1/audit?resource=auth&limit=1']) {
    check(`GET ${path}`, await api(db, 'GET', path, { headers: admin.headers, check: false }));
  }
  for (const sort of ['name', '-name', 'teryt', '-teryt']) {
    check(`gminas sort=${sort}`, await api(db, 'GET', `/v1/gminas?sort=${sort}&limit=1`, { check: false }));
  }
  // a PATCH that changes nothing, on every resource (the engine looks the record up again)
  for (const [resource, rec] of [['es-entities', entity], ['partnership-members', member], ['services', service],
    ['beneficiaries', person], ['deliveries', delivery]]) {
    const now = await api(db, 'GET', `/v1/${resource}/${rec.id}`, { headers: admin.headers });
    check(`no-op PATCH ${resource}`, await api(db, 'PATCH', `/v1/${resource}/${rec.id}`, {
      headers: R.mergePatchHeaders(admin, now.headers.get('etag')), body: {}, check: false,
    }));
  }
  const user = await api(db, 'GET', '/v1/users?limit=1', { headers: admin.headers });
  const u = user.json.items[0];
  check('users get', await api(db, 'GET', `/v1/users/${u.id}`, { headers: admin.headers, check: false }));
  check('users patch', await api(db, 'PATCH', `/v1/users/${u.id}`, {
    headers: R.mergePatchHeaders(admin, `"${u.version}"`), body: { active: u.active }, check: false,
  }));
  for (const attended of [true, true, false]) {
    check('PUT attendance again', await api(db, 'PUT', `/v1/deliveries/${delivery.id}/participants/${person.id}`, {
      headers: R.jsonHeaders(admin), body: { attended }, check: false,
    }));
  }
  check('wrong password', await api(db, 'POST', '/v1/auth/token', {
    headers: { 'Content-Type': 'application/json' }, body: { grant_type: 'password', username: admin.username, password: 'not the password at all' }, check: false,
  }));
  check('refresh reused', await api(db, 'POST', '/v1/auth/token', {
    headers: { 'Content-Type': 'application/json' }, body: { grant_type: 'refresh_token', refresh_token: admin.refresh }, check: false,
  }));
  check('entity founded_on', await api(db, 'PATCH', `/v1/es-entities/${entity.id}`, {
    headers: R.mergePatchHeaders(admin, (await api(db, 'GET', `/v1/es-entities/${entity.id}`, { headers: admin.headers })).headers.get('etag')),
    body: { founded_on: '2020-01-01' }, check: false,
  }));
  const erase = await api(db, 'POST', `/v1/beneficiaries/${person.id}/erasure`, { headers: { ...admin.headers, 'If-Match': '"2"' }, check: false });
  check('erasure', erase);
  assert.deepEqual(failures, []);
  // one connection served all of it (the unit test test_pool goes past any fixed table)
  const prepared = await metric(db, 'ips_db_prepared_statements');
  assert.ok(prepared > 100, `the walk prepared most of the service's statements on one connection: ${prepared}`);
  assert.doesNotMatch(db.stderr(), /cannot prepare/);
});

