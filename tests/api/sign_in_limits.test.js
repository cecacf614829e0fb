'use strict';
// Sign-in under pressure: the bound on argon2id checks running at once (503
// with Retry-After beyond it, memory stays small), the same cost for every
// path of the password grant, and the limit of failed sign-ins per client
// address (429), with X-Forwarded-For believed only from trusted proxies.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { startServer } = require('./lib/server');
const { api, expectProblem } = require('./lib/http');
const { uniqueName, strongPassword, createUser, newUser } = require('./lib/users');

const CLIENT_LIMIT = 20;
const AT_ONCE = 30;
const ROUNDS = 5; // a burst is retried at most this often before a test gives up

let busy; // IPS_PASSWORD_CHECKS=1 and no wait: a second check at once is refused
let proxied; // trusts 127.0.0.1 as a proxy; CLIENT_LIMIT failures per client
let proxied2; // another instance like proxied, on the same database
let direct; // trusts no proxy; CLIENT_LIMIT failures per client
let admin; // on busy

before(async () => {
  const limited = { IPS_SIGN_IN_CLIENT_FAILURES: String(CLIENT_LIMIT) };
  [busy, proxied, proxied2, direct] = await Promise.all([
    startServer({ env: { IPS_PASSWORD_CHECKS: '1', IPS_PASSWORD_CHECK_WAIT_MS: '0' } }),
    startServer({ env: { ...limited, IPS_TRUSTED_PROXIES: '127.0.0.1, ::1' } }),
    startServer({ env: { ...limited, IPS_TRUSTED_PROXIES: '127.0.0.0/8' } }),
    startServer({ env: limited }),
  ]);
  admin = await newUser(busy, { role: 'admin' });
});

after(async () => {
  await Promise.all([busy, proxied, proxied2, direct].filter(Boolean).map((s) => s.stop()));
});

function signInRequest(srv, username, password, headers = {}) {
  return api(srv, 'POST', '/v1/auth/token', { body: { grant_type: 'password', username, password }, headers });
}

/* The server's peak resident memory in MiB (VmHWM of /proc/PID/status). */
function peakMiB(srv) {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${srv.pid}/status`, 'utf8'));
  assert.ok(m, 'VmHWM in /proc/PID/status');
  return Number(m[1]) / 1024;
}

/* A 503 problem with a whole-second Retry-After. */
function expectBusy(res) {
  expectProblem(res, 503);
  const retry = res.headers.get('retry-after') || '';
  assert.match(retry, /^[1-9][0-9]*$/, `Retry-After ${retry}`);
}

/*
 * Fires AT_ONCE sign-ins at once (makeBody(i) -> [username, password]) on
 * busy, again up to ROUNDS times until one is a 503; every answer must be one
 * of allowed. Resolves to the statuses of the last round.
 */
async function burstUntilBusy(makeBody, allowed) {
  let statuses = [];
  for (let round = 0; round < ROUNDS && !statuses.includes(503); round++) {
    const answers = await Promise.all(Array.from({ length: AT_ONCE }, (_, i) => signInRequest(busy, ...makeBody(i))));
    for (const res of answers) {
      assert.ok(allowed.includes(res.status), `status ${res.status} is one of ${allowed}: ${res.text}`);
      if (res.status === 503) expectBusy(res);
      else expectProblem(res, res.status);
    }
    statuses = answers.map((r) => r.status);
  }
  return statuses;
}

/* A random address of the benchmarking range 198.18.0.0/15: no real client. */
function randomClient() {
  const b = crypto.randomBytes(2);
  return `198.18.${b[0]}.${b[1]}`;
}

// ---- the bound on password checks ----

test('30 sign-ins at once with IPS_PASSWORD_CHECKS=1: some are 503 with Retry-After, the rest 200, and memory stays small', async (t) => {
  const u = { username: uniqueName('flood'), password: strongPassword() };
  await createUser({ ...u, role: 'auditor' });
  let seen503 = false;
  let seen200 = false;
  for (let round = 0; round < ROUNDS && !(seen503 && seen200); round++) {
    const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => signInRequest(busy, u.username, u.password)));
    for (const res of answers) {
      if (res.status === 503) {
        expectBusy(res);
        seen503 = true;
      } else {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.token_type, 'Bearer');
        seen200 = true;
      }
    }
  }
  assert.ok(seen503, `some of ${AT_ONCE} sign-ins at once were refused with 503`);
  assert.ok(seen200, 'some sign-ins went through');
  // Each argon2id check holds 19 MiB: 30 at once would be over 570 MiB.
  const peak = peakMiB(busy);
  t.diagnostic(`peak RSS of the server: ${peak.toFixed(1)} MiB`);
  assert.ok(peak < 200, `the server's peak RSS ${peak.toFixed(1)} MiB stays under 200 MiB`);
  // Once the burst is over, a sign-in goes through again.
  const after = await signInRequest(busy, u.username, u.password);
  assert.equal(after.status, 200, after.text);
});

// ---- every path of the password grant costs a check ----
// With one check at a time and no wait, a sign-in that makes a check is
// refused (503) while another runs; one that answers without a check never
// is. So a path that skipped the argon2id work would never see a 503.

test('an unknown username costs a password check like a known one (it is refused 503 when the checks are busy)', async () => {
  const statuses = await burstUntilBusy(() => [uniqueName('ghost'), strongPassword()], [401, 503]);
  assert.ok(statuses.includes(503), `statuses: ${statuses}`);
});

test('a user without a password costs a password check too', async () => {
  // An admin may make a user without a password (it cannot sign in yet).
  const names = [];
  for (let i = 0; i < 6; i++) {
    const made = await api(busy, 'POST', '/v1/users', {
      headers: admin.headers,
      body: { username: uniqueName('nopw'), partner: 'byczyna', role: 'advisor' },
    });
    assert.equal(made.status, 201, made.text);
    names.push(made.json.username);
  }
  // Five failures lock a username (429, no check): spread over six users.
  const statuses = await burstUntilBusy((i) => [names[i % 6], strongPassword()], [401, 429, 503]);
  assert.ok(statuses.includes(503), `statuses: ${statuses}`);
});

test('a disabled user costs a password check too', async () => {
  const users = [];
  for (let i = 0; i < 6; i++) {
    const u = { username: uniqueName('off'), password: strongPassword() };
    u.id = await createUser({ ...u, role: 'advisor' });
    users.push(u);
  }
  for (const u of users) {
    const cur = await api(busy, 'GET', `/v1/users/${u.id}`, { headers: admin.headers });
    const res = await api(busy, 'PATCH', `/v1/users/${u.id}`, {
      headers: { ...admin.headers, 'If-Match': cur.headers.get('etag') },
      body: { active: false },
    });
    assert.equal(res.status, 200, res.text);
  }
  // the right password, spread over six users: no username is locked out
  const statuses = await burstUntilBusy((i) => [users[i % 6].username, users[i % 6].password], [401, 429, 503]);
  assert.ok(statuses.includes(503), `statuses: ${statuses}`);
});

// ---- failed sign-ins per client address ----

test('40 distinct usernames from one client behind a trusted proxy: 401 up to the limit, then 429 with Retry-After, even with the right password', async () => {
  const client = randomClient();
  const from = { 'X-Forwarded-For': client };
  for (let i = 1; i <= 40; i++) {
    const res = await signInRequest(proxied, uniqueName('guess'), strongPassword(), from);
    if (i <= CLIENT_LIMIT) {
      expectProblem(res, 401);
    } else {
      expectProblem(res, 429);
      const retry = res.headers.get('retry-after') || '';
      assert.match(retry, /^[0-9]+$/, `Retry-After ${retry}`);
      assert.ok(Number(retry) >= 1 && Number(retry) <= 900, `Retry-After ${retry} is 1..900 seconds`);
      // the limits, as the IETF RateLimit fields: this client's reached
      assert.equal(res.headers.get('ratelimit-policy'), `"username";q=5;w=900, "client";q=${CLIENT_LIMIT};w=900`);
      assert.equal(res.headers.get('ratelimit'), `"client";r=0;t=${retry}`);
    }
  }
  const u = { username: uniqueName('real'), password: strongPassword() };
  await createUser({ ...u, role: 'auditor' });
  const right = await signInRequest(proxied, u.username, u.password, from);
  expectProblem(right, 429);
  assert.ok(!/access_token/.test(right.text));
  // another instance on the same database knows it too
  expectProblem(await signInRequest(proxied2, u.username, u.password, { 'X-Forwarded-For': `${client}, 127.0.0.2` }), 429);
  // another client address is another client
  const other = { 'X-Forwarded-For': randomClient() };
  const fine = await signInRequest(proxied, u.username, u.password, other);
  assert.equal(fine.status, 200, fine.text);
  expectProblem(await signInRequest(proxied, uniqueName('guess'), strongPassword(), other), 401);
});

test('a client cannot pose as another by writing X-Forwarded-For itself: the right-most untrusted entry counts', async () => {
  const client = randomClient();
  for (let i = 0; i < CLIENT_LIMIT; i++) {
    const spoof = { 'X-Forwarded-For': `${randomClient()}, ${client}` };
    expectProblem(await signInRequest(proxied, uniqueName('guess'), strongPassword(), spoof), 401);
  }
  const spoof = { 'X-Forwarded-For': `${randomClient()}, ${client}` };
  expectProblem(await signInRequest(proxied, uniqueName('guess'), strongPassword(), spoof), 429);
});

test('without a trusted proxy X-Forwarded-For is ignored: every sign-in counts for the connection\'s own address', async () => {
  // Every test connects from 127.0.0.1, so earlier failures from there may
  // have counted already: the 429 comes at the limit or sooner, then stays.
  const statuses = [];
  for (let i = 0; i < 40; i++) {
    const res = await signInRequest(direct, uniqueName('guess'), strongPassword(), { 'X-Forwarded-For': randomClient() });
    expectProblem(res, res.status);
    statuses.push(res.status);
  }
  const first = statuses.indexOf(429);
  assert.ok(first >= 0 && first <= CLIENT_LIMIT, `a 429 by attempt ${CLIENT_LIMIT + 1}: ${statuses}`);
  assert.ok(statuses.slice(first).every((s) => s === 429), `429 from then on: ${statuses}`);
  assert.ok(statuses.slice(0, first).every((s) => s === 401), `401 before: ${statuses}`);
  const u = { username: uniqueName('real'), password: strongPassword() };
  await createUser({ ...u, role: 'auditor' });
  expectProblem(await signInRequest(direct, u.username, u.password, { 'X-Forwarded-For': randomClient() }), 429);
});
