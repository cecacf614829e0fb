'use strict';
// The whole deployment topology on loopback (tests/topology/stack.js): a
// primary archiving to pgBackRest, a streaming replica, PgBouncer, two
// instances (A and B), nginx with TLS in front. Through nginx the API test
// subset (subset.js) runs; then what a deployment must hold: a write through
// A reads back through B, an idempotent retry on the other instance replays,
// one winner among concurrent If-Match writers, the change feed without a
// gap through either instance, the indicators from the replica, no request
// lost while an instance drains, and a backup that restores every record.
// The figures are printed as a `# topology:` line.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const https = require('node:https');
const crypto = require('node:crypto');
const net = require('node:net');
const { spawn } = require('node:child_process');
const { buildTopology, run, STANZA } = require('./stack');
const { SUBSET } = require('./subset');
const { api, expectProblem } = require('../api/lib/http');
const { checkResponse } = require('../api/lib/contract');
const { createUser, signIn, uniqueName, strongPassword } = require('../api/lib/users');
const { psql } = require('../api/lib/psql');
const R = require('../api/lib/records');

const ROOT = path.resolve(__dirname, '..', '..');
const SUBSET_FILE_TIMEOUT_MS = 240000;
const STREAM_REQUESTS = 2000;
const STREAM_CONCURRENCY = 4;
const STREAM_STOP_AT = 500; // B gets SIGTERM once this many requests were sent
const INDICATORS = '/v1/reports/indicators?from=2026-01-01&to=2026-12-31';

const started = Date.now();
let t; // the topology
let admin; // an admin, signed in on A (the token holds on B: one signing key)
let agent; // keep-alive HTTPS connections to nginx, trusting the test's certificate
const figures = { requests: 0, failures: 0, replica_lag_max_s: 0, restore_s: null, subset_tests: 0, subset_failed: 0 };

/* One request through nginx (HTTPS), checked against the contract; resolves
 * to {status, headers (a Headers), text, json}. */
function front(method, urlPath, { headers = {}, body, timeoutMs = 30000, check = true } = {}) {
  figures.requests++;
  const u = new URL(t.front.url);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: u.hostname, port: u.port, method, path: urlPath, agent, timeout: timeoutMs,
      headers: { ...headers, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try {
          const text = Buffer.concat(chunks).toString('utf8');
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) h.append(k, Array.isArray(v) ? v.join(', ') : v);
          if (check) checkResponse(method, urlPath, res.statusCode, h, text);
          const json = /json/.test(h.get('content-type') || '') && text ? JSON.parse(text) : undefined;
          resolve({ status: res.statusCode, headers: h, text, json });
        } catch (e) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/* A direct request to an instance (A or B), counted in the figures. */
function direct(instance, method, urlPath, opts) {
  figures.requests++;
  return api(instance, method, urlPath, opts);
}

/* The sum of the samples of a metric (all its label sets) on an instance. */
async function metric(instance, name, filter = () => true) {
  const m = await direct(instance, 'GET', '/metrics');
  assert.equal(m.status, 200, m.text);
  return m.text.split('\n')
    .filter((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && filter(l))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/* /readyz of both instances: the replica's lag, kept for the figures. */
async function sampleLag() {
  const lags = [];
  for (const s of [t.a, t.b]) {
    const r = await direct(s, 'GET', '/readyz');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.replica.state, 'streaming', r.text);
    lags.push(r.json.replica.lag_seconds);
  }
  figures.replica_lag_max_s = Math.max(figures.replica_lag_max_s, ...lags);
  return lags;
}

function entityBody(tag, gminas) {
  return {
    name: `Spółdzielnia ${tag} ${crypto.randomBytes(3).toString('hex')}`,
    legal_form: 'social_cooperative',
    teryt_gmina: gminas[crypto.randomInt(gminas.length)],
  };
}

/* Runs one API test file through nginx; resolves to its top-level results. */
function runSubsetFile(file) {
  const env = {
    ...process.env,
    IPS_TEST_FRONT_URL: t.front.url,
    IPS_TEST_DATABASE_URL: t.primary.url,
    NODE_EXTRA_CA_CERTS: t.tls.cert,
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test-reporter=tap', path.join(ROOT, 'tests/api', file)],
      { env, cwd: path.join(ROOT, 'tests/api'), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), SUBSET_FILE_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const lines = out.split('\n');
      const passed = lines.filter((l) => /^ok \d+/.test(l) && !l.includes('# SKIP')).length;
      const failed = lines.filter((l) => /^not ok \d+/.test(l)).map((l) => l.replace(/^not ok \d+ - /, ''));
      resolve({ code, signal, passed, failed, out, err });
    });
  });
}

before(async () => {
  t = await buildTopology({ bin: process.env.IPS_BIN });
  agent = new https.Agent({ keepAlive: true, maxSockets: 8, ca: fs.readFileSync(t.tls.cert) });
  const username = uniqueName('topo');
  const password = strongPassword();
  await createUser({ username, partner: 'byczyna', role: 'admin', password, databaseUrl: t.primary.url });
  const tok = await signIn(t.a, username, password);
  admin = { role: 'admin', headers: { Authorization: `Bearer ${tok.access_token}` } };
});

after(async () => {
  if (agent) agent.destroy();
  if (t) await t.stop();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`# topology: requests=${figures.requests} failures=${figures.failures} ` +
    `replica_lag_max_s=${figures.replica_lag_max_s} replica_visible_ms<=${figures.replica_visible_ms} restore_s=${figures.restore_s} ` +
    `subset_tests=${figures.subset_tests} subset_failed=${figures.subset_failed} ` +
    `front_requests=${figures.front_requests} front_retried=${figures.front_retried} duration_s=${seconds}`);
});

test('nginx answers over TLS with the test\'s certificate, adds HSTS, and sends plain http to https', async () => {
  const health = await front('GET', '/healthz');
  assert.equal(health.status, 200, health.text);
  assert.match(health.headers.get('strict-transport-security') || '', /max-age=\d+/);
  const ready = await front('GET', '/readyz');
  assert.equal(ready.status, 200, ready.text);
  const plain = await fetch(`${t.front.httpUrl}/v1/gminas`, { redirect: 'manual' });
  figures.requests++;
  assert.equal(plain.status, 301);
  assert.match(plain.headers.get('location') || '', /^https:\/\/127\.0\.0\.1\/v1\/gminas$/);
});

test('what nginx refuses itself is a problem+json answer with the request id, as the instances answer', async () => {
  // refused before its headers are read: nginx's own request id
  expectProblem(await front('GET', '/v1/gminas/1604013%00'), 400);
  expectProblem(await front('GET', `/v1/gminas/${'x'.repeat(9000)}`), 400);
  const big = await front('POST', '/v1/es-entities', {
    headers: { ...admin.headers, 'X-Request-Id': 'topology-big-1' }, body: { name: 'x'.repeat(1100000) },
  });
  assert.equal(expectProblem(big, 413).request_id, 'topology-big-1');
  // an id that is not a valid one (a quote) is replaced by nginx's own
  const forged = await front('POST', '/v1/es-entities', {
    headers: { ...admin.headers, 'X-Request-Id': 'a"b' }, body: { name: 'x'.repeat(1100000) },
  });
  assert.match(expectProblem(forged, 413).request_id, /^[0-9a-f]{32}$/);
});

// IPS_TOPOLOGY_SUBSET=a.test.js,b.test.js runs only those (a quicker loop
// while working on one file); the suite runs the whole subset
const subset = process.env.IPS_TOPOLOGY_SUBSET ? process.env.IPS_TOPOLOGY_SUBSET.split(',') : SUBSET;
for (const file of subset) {
  test(`through nginx: every test of ${file} passes`, async (tc) => {
    const r = await runSubsetFile(file);
    figures.subset_tests += r.passed + r.failed.length;
    figures.subset_failed += r.failed.length;
    tc.diagnostic(`${file}: ${r.passed} passed, ${r.failed.length} failed`);
    const lines = r.out.split('\n');
    const failures = lines.flatMap((l, i) => (/^\s*not ok /.test(l) ? lines.slice(i, i + 40) : [])).slice(0, 400);
    const why = `${file} (exit ${r.code}, signal ${r.signal}): failed: ${r.failed.join('; ') || 'none'}\n` +
      `${failures.join('\n')}\n${r.err.slice(-3000)}`;
    assert.ok(r.passed > 0, why);
    assert.deepEqual(r.failed, [], why);
    assert.equal(r.code, 0, why);
  });
}

test('a record written through instance A reads back through instance B at once, the same body and ETag', async () => {
  const gminas = await R.regionGminas(t.a);
  const made = await direct(t.a, 'POST', '/v1/es-entities', { headers: admin.headers, body: entityBody('topo-ab', gminas) });
  assert.equal(made.status, 201, made.text);
  const read = await direct(t.b, 'GET', `/v1/es-entities/${made.json.id}`, { headers: admin.headers });
  assert.equal(read.status, 200, read.text);
  assert.equal(read.headers.get('etag'), made.headers.get('etag'));
  assert.deepEqual(read.json, made.json);
  // how long the replica takes to have it (the reports' delay behind a write)
  const written = Date.now();
  const deadline = written + 10000;
  while (await psql(t.replica.url, `SELECT count(*) FROM es_entities WHERE id = '${made.json.id}'`) !== '1') {
    assert.ok(Date.now() < deadline, 'the replica has the write within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  figures.replica_visible_ms = Date.now() - written;
  await sampleLag();
});

test('an Idempotency-Key POST sent to A and retried on B is replayed by B: the same answer, one record', async () => {
  const gminas = await R.regionGminas(t.a);
  const body = entityBody('topo-idem', gminas);
  const key = `topology-${crypto.randomUUID()}`;
  const headers = { ...admin.headers, 'Idempotency-Key': key };
  const first = await direct(t.a, 'POST', '/v1/es-entities', { headers, body });
  assert.equal(first.status, 201, first.text);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  const retry = await direct(t.b, 'POST', '/v1/es-entities', { headers, body });
  assert.equal(retry.status, 201, retry.text);
  assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  assert.equal(retry.json.id, first.json.id);
  assert.deepEqual(retry.json, first.json);
  assert.equal(retry.headers.get('location'), first.headers.get('location'));
  const list = await direct(t.b, 'GET', `/v1/es-entities?q=${encodeURIComponent(body.name)}`, { headers: admin.headers });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.items.map((i) => i.id), [first.json.id], 'one record with that name');
  const stored = await psql(t.primary.url, `SELECT count(*) FROM es_entities WHERE name = '${body.name.replace(/'/g, "''")}'`);
  assert.equal(stored, '1');
});

test('20 concurrent If-Match writers across A and B: exactly one succeeds, 19 get 412, the version goes up by one', async () => {
  const gminas = await R.regionGminas(t.a);
  const made = await direct(t.a, 'POST', '/v1/es-entities', { headers: admin.headers, body: entityBody('topo-race', gminas) });
  assert.equal(made.status, 201, made.text);
  const etag = made.headers.get('etag');
  const cities = Array.from({ length: 20 }, (_, i) => `Miasto ${i}`);
  const answers = await Promise.all(cities.map((city, i) => direct(i % 2 ? t.b : t.a, 'PATCH', `/v1/es-entities/${made.json.id}`, {
    headers: { ...admin.headers, 'If-Match': etag, 'Content-Type': 'application/merge-patch+json' }, body: { city },
  })));
  const statuses = answers.map((a) => a.status).sort();
  const winners = answers.filter((a) => a.status === 200);
  assert.equal(winners.length, 1, `statuses: ${statuses.join(',')}`);
  assert.equal(answers.filter((a) => a.status === 412).length, 19, `statuses: ${statuses.join(',')}`);
  for (const a of answers.filter((x) => x.status === 412)) {
    assert.equal((a.headers.get('content-type') || '').split(';')[0], 'application/problem+json');
  }
  for (const s of [t.a, t.b]) {
    const now = await direct(s, 'GET', `/v1/es-entities/${made.json.id}`, { headers: admin.headers });
    assert.equal(now.status, 200, now.text);
    assert.equal(now.json.version, made.json.version + 1);
    assert.equal(now.json.city, winners[0].json.city);
    assert.equal(now.headers.get('etag'), winners[0].headers.get('etag'));
  }
});

test('the change feed read page by page through A and through B, while both write: every change, no gap, no repeat, the same sequence', async () => {
  const gminas = await R.regionGminas(t.a);
  const head = Number(await psql(t.primary.url, 'SELECT seq FROM change_counter'));
  let writing = true;
  const follow = async (instance) => {
    const seen = [];
    let after = head;
    let pages = 0;
    const deadline = Date.now() + 60000;
    for (;;) {
      const page = await direct(instance, 'GET', `/v1/changes?after=${after}&limit=7`, { headers: admin.headers });
      assert.equal(page.status, 200, page.text);
      pages++;
      seen.push(...page.json.items);
      if (page.json.items.length) assert.equal(page.json.next, page.json.items[page.json.items.length - 1].seq);
      else assert.equal(page.json.next, after);
      after = page.json.next;
      if (!writing && page.json.items.length === 0) break;
      if (page.json.items.length === 0) await new Promise((r) => setTimeout(r, 50));
      assert.ok(Date.now() < deadline, `the feed through ${instance.url} did not end within 60 s`);
    }
    return { seen, pages };
  };
  const readers = [follow(t.a), follow(t.b)];
  const ids = [];
  try {
    // 40 writes, 20 through each instance, 8 at a time
    for (let round = 0; round < 5; round++) {
      const made = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        direct(i % 2 ? t.b : t.a, 'POST', '/v1/es-entities', { headers: admin.headers, body: entityBody('topo-feed', gminas) })));
      for (const m of made) {
        assert.equal(m.status, 201, m.text);
        ids.push(m.json.id);
      }
    }
  } finally {
    writing = false;
  }
  const [viaA, viaB] = await Promise.all(readers);
  const last = Number(await psql(t.primary.url, 'SELECT seq FROM change_counter'));
  const expected = Array.from({ length: last - head }, (_, i) => head + 1 + i);
  assert.deepEqual(viaA.seen.map((c) => c.seq), expected, 'through A: every seq once, in order, none missing');
  assert.deepEqual(viaB.seen.map((c) => c.seq), expected, 'through B: every seq once, in order, none missing');
  assert.deepEqual(viaA.seen, viaB.seen, 'the same changes through both');
  const changed = new Set(viaA.seen.filter((c) => c.resource === 'es-entities').map((c) => c.id));
  for (const id of ids) assert.ok(changed.has(id), `the feed has the write of ${id}`);
  assert.ok(viaA.pages > ids.length / 7 && viaB.pages > ids.length / 7, 'read over many pages');
  await sampleLag();
});

test('the indicators through nginx come from the replica: its reads counter goes up, the primary fallback does not', async (tc) => {
  const reads = async () => (await metric(t.a, 'ips_db_replica_reads_total')) + (await metric(t.b, 'ips_db_replica_reads_total'));
  const fallbacks = async () => (await metric(t.a, 'ips_db_replica_fallbacks_total')) + (await metric(t.b, 'ips_db_replica_fallbacks_total'));
  const readsBefore = await reads();
  const fallbacksBefore = await fallbacks();
  const n = 6;
  for (let i = 0; i < n; i++) {
    const r = await front('GET', INDICATORS, { headers: admin.headers });
    assert.equal(r.status, 200, r.text);
  }
  assert.equal(await reads(), readsBefore + n, 'every indicators request was read on the replica');
  assert.equal(await fallbacks(), fallbacksBefore, 'none fell back to the primary');
  for (const s of [t.a, t.b]) assert.equal(await metric(s, 'ips_db_replica_up'), 1);
  const lags = await sampleLag();
  tc.diagnostic(`replica lag on A and B: ${lags.join(', ')} s`);
});

test(`${STREAM_REQUESTS} GETs through nginx while instance B drains on SIGTERM: every one answered 200, then B serves again`, async (tc) => {
  const gminas = await R.regionGminas(t.a);
  const made = await direct(t.a, 'POST', '/v1/es-entities', { headers: admin.headers, body: entityBody('topo-stream', gminas) });
  assert.equal(made.status, 201, made.text);
  const runId = crypto.randomBytes(3).toString('hex');
  const statuses = new Map();
  const errors = [];
  let next = 0;
  let stopB = null;
  const lagSampler = setInterval(() => { sampleLag().catch(() => {}); }, 1000);
  const worker = async () => {
    while (next < STREAM_REQUESTS) {
      const i = next++;
      if (i === STREAM_STOP_AT) stopB = t.b.stop();
      try {
        const r = await front('GET', `/v1/es-entities/${made.json.id}`, {
          headers: { ...admin.headers, 'X-Request-Id': `topology-${runId}-${i}` },
        });
        statuses.set(r.status, (statuses.get(r.status) || 0) + 1);
        if (r.status !== 200) errors.push(`#${i}: ${r.status} ${r.text.slice(0, 200)}`);
      } catch (e) {
        errors.push(`#${i}: ${e.message}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: STREAM_CONCURRENCY }, worker));
  } finally {
    clearInterval(lagSampler);
  }
  await stopB; // asserts that B drained and exited 0
  figures.failures += errors.length;
  tc.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  assert.deepEqual(errors, [], `answers other than 200:\n${errors.slice(0, 20).join('\n')}`);
  assert.equal(statuses.get(200), STREAM_REQUESTS);
  // nginx's log: B answered part of the stream before it stopped, A the rest
  const mine = t.front.accessLog().filter((e) => e.requestId && e.requestId.startsWith(`topology-${runId}-`));
  assert.equal(mine.length, STREAM_REQUESTS);
  const byB = mine.filter((e) => e.upstreams.endsWith(`:${t.ports.b}`)).length;
  const retried = mine.filter((e) => e.upstreams.includes(',')).length;
  tc.diagnostic(`answered by B ${byB}, by A ${STREAM_REQUESTS - byB}, retried on the other instance ${retried}`);
  assert.ok(byB > 0, 'B served part of the stream before it was stopped');
  assert.ok(mine.slice(-200).every((e) => e.upstreams.endsWith(`:${t.ports.a}`)), 'A alone served the end of the stream');

  // B again: nginx sends it requests once its fail_timeout has passed
  await t.restartB();
  const logFrom = t.front.accessLog().length;
  const deadline = Date.now() + 30000;
  let servedByB = false;
  while (!servedByB && Date.now() < deadline) {
    const r = await front('GET', `/v1/es-entities/${made.json.id}`, { headers: admin.headers });
    assert.equal(r.status, 200, r.text);
    servedByB = t.front.accessLog().slice(logFrom).some((e) => e.status === 200 && e.upstreams === `127.0.0.1:${t.ports.b}`);
    if (!servedByB) await new Promise((res) => setTimeout(res, 200));
  }
  assert.ok(servedByB, 'the restarted B got requests from nginx within 30 s');
});

test('a pgBackRest backup of the primary, restored into a scratch cluster, has every record of every table', async (tc) => {
  const records = await psql(t.primary.url, "SELECT count(*) FROM es_entities WHERE name LIKE 'Spółdzielnia topo-%'");
  assert.ok(Number(records) >= 40, `the topology's own writes are there: ${records}`);
  await run('pgbackrest', [`--config=${t.conf}`, `--stanza=${STANZA}`, '--type=full', 'backup'], { asPg: true, timeout: 180000 });
  // the shipped drill, run as postgres from the topology's folder
  const drill = path.join(t.dir, 'restore-drill.sh');
  fs.copyFileSync(path.join(ROOT, 'deploy/backup/restore-drill.sh'), drill);
  fs.chmodSync(drill, 0o755);
  const out = await run('env', [`TMPDIR=${t.dir}`, drill, '--exact', t.conf, STANZA, t.primary.url], { asPg: true, timeout: 180000 });
  const tables = out.split('\n').filter((l) => /^[a-z_]+: primary \d+, restored \d+/.test(l));
  tc.diagnostic(tables.join(' | '));
  assert.ok(tables.length >= 20, `every table compared:\n${out}`);
  for (const l of tables) assert.match(l, /^([a-z_]+): primary (\d+), restored \2, the same content$/, out);
  const m = /restored and started in ([\d.]+) s/.exec(out);
  assert.ok(m, out);
  figures.restore_s = Number(m[1]);
  assert.match(out, /restore drill: OK/);
});

test('the front log: every request nginx answered is counted, none a 5xx but sign-ins told to retry', async () => {
  const log = t.front.accessLog();
  figures.front_requests = log.length;
  figures.front_retried = log.filter((e) => e.upstreams && e.upstreams.includes(',')).length;
  // a sign-in's 503 while every password check is busy is the service's own
  // backpressure (with Retry-After, retried by the clients): counted, not a fault
  const signInBusy = (e) => e.status === 503 && e.upstreamStatus === '503' && e.method === 'POST' && e.uri === '/v1/auth/token';
  figures.front_sign_ins_busy = log.filter(signInBusy).length;
  const bad = log.filter((e) => !(e.status < 500) && !signInBusy(e));
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} answers of 5xx or unparsed lines`);
});

test('teardown: every process of the topology stops, its ports close and its folder is removed', async () => {
  const pidOf = async (url) => Number(await psql(url, "SELECT split_part(pg_read_file('postmaster.pid'), E'\\n', 1)"));
  const pids = { primary: await pidOf(t.primary.url), replica: await pidOf(t.replica.url), nginx: t.front.pid,
    a: t.a.pid, b: t.b.pid };
  const ports = [t.primary.port, new URL(t.replica.url).port, new URL(t.bouncer.url).port,
    t.ports.a, t.ports.b, t.ports.http, t.ports.https].map(Number);
  const dir = t.dir;
  await t.stop();
  const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  const listens = (port) => new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port }, () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  });
  const deadline = Date.now() + 15000;
  let left;
  do {
    left = [];
    for (const [name, pid] of Object.entries(pids)) if (alive(pid)) left.push(`${name} (pid ${pid})`);
    for (const port of ports) if (await listens(port)) left.push(`port ${port}`);
    if (left.length) await new Promise((r) => setTimeout(r, 200));
  } while (left.length && Date.now() < deadline);
  assert.deepEqual(left, [], 'still running after the teardown');
  assert.equal(fs.existsSync(dir), false, `${dir} removed`);
});
