'use strict';
// auth: signing in (password and refresh grants, revoke, throttling), the
// JWT rules of DESIGN §7 (one attack a test), trusted partner issuers,
// RS256/ES256 signing and the JWKS, /v1/me, and the role checks of the
// admin-only writes (users, a gmina's high-poverty flag).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, TEST_JWT_SECRET } = require('./lib/server');
const { api, expectProblem, firstErrorField, rawRequest, until } = require('./lib/http');
const tokens = require('./lib/tokens');
const { claims, sign, hs256, decode, bearer, now } = tokens;
const { ROLES, uniqueName, strongPassword, createUser, signIn, newUser } = require('./lib/users');

const CHALLENGE = 'Bearer realm="ips-api"';
// A gmina no other test file asserts on: its flag is flipped and set back.
const PATCHED_GMINA = '1605042'; // Walce

const keyDir = tokens.tempDir();
const idpRsa = tokens.keyPair('rsa', keyDir, 'idp-rsa');
const idpEc = tokens.keyPair('ec', keyDir, 'idp-ec');
const strangerRsa = tokens.keyPair('rsa', keyDir, 'stranger-rsa');
const localRsa = tokens.keyPair('rsa', keyDir, 'local-rsa');
const localEc = tokens.keyPair('ec', keyDir, 'local-ec');
const TRUSTED_RS = { iss: 'https://login.chorzow.example/realms/ips', aud: 'ips', alg: 'RS256', key: idpRsa };
const TRUSTED_ES = { iss: 'https://sso.byczyna.example', aud: 'ips-partners', alg: 'ES256', key: idpEc };
const trustedFile = tokens.trustedIssuersFile(keyDir, [TRUSTED_RS, TRUSTED_ES].map((t) => ({
  iss: t.iss, aud: t.aud, alg: t.alg, public_key_file: t.key.publicFile,
})));

let server; // HS256, trusted issuers, token cache on (the default)
let nocache; // the same keys with IPS_AUTH_CACHE=off
const users = {}; // role -> a signed-in user of that role (on server)

// Servers only some tests need, started on first use and stopped at the end.
const lazy = new Map();
function lazyServer(name, env) {
  if (!lazy.has(name)) lazy.set(name, startServer({ env }));
  return lazy.get(name);
}
const rsServer = () => lazyServer('rs256', {
  IPS_JWT_SECRET: null, IPS_JWT_PRIVATE_KEY_FILE: localRsa.privateFile, IPS_JWT_PUBLIC_KEY_FILE: localRsa.publicFile,
});
const esServer = () => lazyServer('es256', {
  IPS_JWT_SECRET: null, IPS_JWT_PRIVATE_KEY_FILE: localEc.privateFile, IPS_JWT_PUBLIC_KEY_FILE: localEc.publicFile,
});

before(async () => {
  [server, nocache] = await Promise.all([
    startServer({ env: { IPS_TRUSTED_ISSUERS: trustedFile } }),
    startServer({ env: { IPS_TRUSTED_ISSUERS: trustedFile, IPS_AUTH_CACHE: 'off' } }),
  ]);
  const made = await Promise.all(ROLES.map((role, i) => newUser(server, { role, partner: i % 2 ? 'chorzow' : 'byczyna' })));
  for (const u of made) users[u.role] = u;
});

after(async () => {
  const stops = [];
  for (const p of lazy.values()) stops.push(p.then((s) => s.stop(), () => {}));
  if (server) stops.push(server.stop());
  if (nocache) stops.push(nocache.stop());
  await Promise.all(stops);
});

// ---- helpers ----

function me(srv, headers) {
  return api(srv, 'GET', '/v1/me', { headers });
}

/* A 401 problem; invalidToken: the challenge says error="invalid_token" (a
 * token was sent and refused), false: exactly Bearer realm="ips-api". */
function expectUnauthorized(res, { invalidToken }) {
  const p = expectProblem(res, 401);
  const challenge = res.headers.get('www-authenticate') || '';
  if (invalidToken) {
    assert.match(challenge, /^Bearer\b/, `WWW-Authenticate: ${challenge}`);
    assert.match(challenge, /error="invalid_token"/, `WWW-Authenticate: ${challenge}`);
  } else {
    assert.equal(challenge, CHALLENGE, 'WWW-Authenticate');
  }
  return p;
}

/* GET /v1/me with token on srv must be a 401 for a refused token. */
async function refused(srv, token, why) {
  const res = await me(srv, bearer(token));
  assert.equal(res.status, 401, `${why}: expected 401, got ${res.status} ${res.text}`);
  expectUnauthorized(res, { invalidToken: true });
}

/* GET /v1/me with token on srv must be a 200 for sub. */
async function accepted(srv, token, sub, why) {
  const res = await me(srv, bearer(token));
  assert.equal(res.status, 200, `${why}: expected 200, got ${res.status} ${res.text}`);
  assert.equal(res.json.sub, sub);
  return res.json;
}

/* Claims of a valid token of this service for user u, with over on top. */
function claimsOf(u, over = {}) {
  return claims({ sub: u.id, partner: u.partner, role: u.role, ...over });
}

function tokenRequest(srv, body, opts = {}) {
  return api(srv, 'POST', '/v1/auth/token', { body, ...opts });
}

function refresh(srv, refreshToken) {
  return tokenRequest(srv, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

function revoke(srv, refreshToken) {
  return api(srv, 'POST', '/v1/auth/revoke', { body: { refresh_token: refreshToken } });
}

/* An admin merge-patches a user (reading its ETag first); asserts 200. */
async function adminPatchUser(id, patch) {
  const cur = await api(server, 'GET', `/v1/users/${id}`, { headers: users.admin.headers });
  assert.equal(cur.status, 200, cur.text);
  const res = await api(server, 'PATCH', `/v1/users/${id}`, {
    headers: { ...users.admin.headers, 'If-Match': cur.headers.get('etag'), 'Content-Type': 'application/merge-patch+json' },
    body: patch,
  });
  assert.equal(res.status, 200, `PATCH /v1/users/${id} ${JSON.stringify(patch)}: ${res.text}`);
  return res.json;
}

/* A fresh user (create-user), not signed in: {id, username, password, partner, role}. */
async function freshUser(role = 'advisor', partner = 'byczyna') {
  const username = uniqueName(`a-${role.slice(0, 3)}`);
  const password = strongPassword();
  const id = await createUser({ username, partner, role, password });
  return { id, username, password, partner, role };
}

/* POST body on a raw socket; a large body waits for 100 Continue (as curl does). */
function rawPost(srv, path, body) {
  const large = body.length > 64 * 1024;
  const head = Buffer.from(
    `POST ${path} HTTP/1.1\r\n` +
    'Host: 127.0.0.1\r\n' +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${body.length}\r\n` +
    (large ? 'Expect: 100-continue\r\n' : '') +
    'Connection: close\r\n\r\n', 'latin1');
  if (large) return rawRequest(srv, head, { timeoutMs: 30000, body });
  return rawRequest(srv, Buffer.concat([head, body]), { timeoutMs: 30000 });
}

/* A 4xx problem, never a 5xx. */
function expectClientError(res, what) {
  assert.ok(res.status >= 400 && res.status < 500, `${what}: expected a 4xx, got ${res.status} ${res.text}`);
  return expectProblem(res, res.status);
}

function errorFields(p) {
  assert.ok(Array.isArray(p.errors) && p.errors.length > 0, `problem has errors[]: ${JSON.stringify(p)}`);
  return p.errors.map((e) => e.field);
}

function errorFor(p, field) {
  const e = (p.errors || []).find((x) => x.field === field);
  assert.ok(e, `an error on ${field} in ${JSON.stringify(p.errors)}`);
  return e;
}

// ---- the password grant ----

test('the password grant answers 200 with a Bearer access token for 900 s and a refresh token', async () => {
  const u = await freshUser('coordinator', 'chorzow');
  const before = now();
  const res = await tokenRequest(server, { grant_type: 'password', username: u.username, password: u.password });
  assert.equal(res.status, 200, res.text);
  const t = res.json;
  assert.equal(t.token_type, 'Bearer');
  assert.equal(t.expires_in, 900);
  assert.equal(typeof t.refresh_token, 'string');
  assert.ok(t.refresh_token.length >= 32, 'the refresh token has enough entropy to be unguessable');
  const { header, payload } = decode(t.access_token);
  assert.equal(header.alg, 'HS256');
  assert.equal(payload.sub, u.id);
  assert.equal(payload.iss, 'ips-api');
  assert.ok(payload.aud === 'ips' || (Array.isArray(payload.aud) && payload.aud.includes('ips')), `aud ${JSON.stringify(payload.aud)}`);
  assert.equal(payload.partner, 'chorzow');
  assert.equal(payload.role, 'coordinator');
  assert.equal(typeof payload.jti, 'string');
  assert.ok(payload.jti.length > 0);
  assert.ok(Number.isInteger(payload.iat) && Number.isInteger(payload.exp));
  assert.ok(payload.iat >= before - 5 && payload.iat <= now() + 5, `iat ${payload.iat} is now`);
  assert.equal(payload.exp - payload.iat, 900, 'access tokens live 15 minutes');
  const other = await signIn(server, u.username, u.password);
  assert.notEqual(decode(other.access_token).payload.jti, payload.jti, 'every token has its own jti');
  assert.notEqual(other.refresh_token, t.refresh_token);
});

test('GET /v1/me answers the token\'s sub, partner, role, iss and exp', async () => {
  const u = users.advisor;
  const res = await me(server, u.headers);
  assert.equal(res.status, 200, res.text);
  const { payload } = decode(u.token);
  assert.deepEqual(res.json, { sub: u.id, partner: u.partner, role: 'advisor', iss: 'ips-api', exp: payload.exp });
  assert.ok(Number.isInteger(res.json.exp));
});

test('every role\'s /v1/me shows its role and partner', async () => {
  for (const role of ROLES) {
    const u = users[role];
    const res = await me(server, u.headers);
    assert.equal(res.status, 200, `${role}: ${res.text}`);
    assert.equal(res.json.role, role);
    assert.equal(res.json.partner, u.partner);
    assert.equal(res.json.sub, u.id);
    assert.equal(res.json.iss, 'ips-api');
    assert.ok(Number.isInteger(res.json.exp) && res.json.exp > now(), `${role}: exp ${res.json.exp} in the future`);
  }
});

test('usernames are case-insensitive at sign-in', async () => {
  const u = await freshUser('auditor');
  for (const name of [u.username.toUpperCase(), u.username[0].toUpperCase() + u.username.slice(1)]) {
    const t = await signIn(server, name, u.password);
    assert.equal(decode(t.access_token).payload.sub, u.id, name);
  }
});

test('a wrong password is a 401 problem with WWW-Authenticate: Bearer realm="ips-api"', async () => {
  const u = await freshUser('auditor');
  const res = await tokenRequest(server, { grant_type: 'password', username: u.username, password: `${u.password}x` });
  expectUnauthorized(res, { invalidToken: false });
  assert.ok(!/access_token|refresh_token/.test(res.text), 'no token in the answer');
});

test('an unknown username is the same 401 as a wrong password', async () => {
  const res = await tokenRequest(server, { grant_type: 'password', username: uniqueName('nobody'), password: strongPassword() });
  expectUnauthorized(res, { invalidToken: false });
});

test('a disabled user cannot sign in (401), even with the right password', async () => {
  const u = await freshUser('coordinator');
  await signIn(server, u.username, u.password);
  await adminPatchUser(u.id, { active: false });
  const res = await tokenRequest(server, { grant_type: 'password', username: u.username, password: u.password });
  expectUnauthorized(res, { invalidToken: false });
});

test('a SQL-looking username is a plain 401', async () => {
  for (const username of ["admin' OR '1'='1", "x'; DROP TABLE users; --", '%', '_', "' UNION SELECT 1 --"]) {
    const res = await tokenRequest(server, { grant_type: 'password', username, password: strongPassword() });
    expectUnauthorized(res, { invalidToken: false });
  }
});

test('a 1000-character password is a 401, not a 5xx', async () => {
  const u = await freshUser('auditor');
  const res = await tokenRequest(server, { grant_type: 'password', username: u.username, password: 'p'.repeat(1000) });
  expectUnauthorized(res, { invalidToken: false });
  const unknown = await tokenRequest(server, { grant_type: 'password', username: uniqueName('nobody'), password: 'q'.repeat(1000) });
  expectUnauthorized(unknown, { invalidToken: false });
  // The limit is 1024 bytes of UTF-8: 500 two-byte letters are within it.
  const polish = await tokenRequest(server, { grant_type: 'password', username: u.username, password: 'ł'.repeat(500) });
  expectUnauthorized(polish, { invalidToken: false });
});

// ---- throttling ----

test('five failed sign-ins within 15 minutes make the next attempt 429 with Retry-After, even with the right password', async () => {
  const u = await freshUser('auditor');
  for (let i = 1; i <= 5; i++) {
    const res = await tokenRequest(server, { grant_type: 'password', username: u.username, password: `wrong-password-${i}` });
    expectUnauthorized(res, { invalidToken: false });
  }
  const locked = await tokenRequest(server, { grant_type: 'password', username: u.username, password: u.password });
  expectProblem(locked, 429);
  const retry = locked.headers.get('retry-after');
  assert.match(retry || '', /^[0-9]+$/, `Retry-After ${retry}`);
  assert.ok(Number(retry) >= 1 && Number(retry) <= 900, `Retry-After ${retry} is 1..900 seconds`);
  assert.match(locked.headers.get('ratelimit-policy') || '', /^"username";q=5;w=900, "client";q=[0-9]+;w=900$/);
  assert.equal(locked.headers.get('ratelimit'), `"username";r=0;t=${retry}`);
  assert.ok(!/access_token/.test(locked.text));
  const wrongAgain = await tokenRequest(server, { grant_type: 'password', username: u.username, password: 'wrong-password-6' });
  expectProblem(wrongAgain, 429);
  const upper = await tokenRequest(server, { grant_type: 'password', username: u.username.toUpperCase(), password: u.password });
  expectProblem(upper, 429);
  // Another instance shares the count: it lives in the database.
  const elsewhere = await tokenRequest(nocache, { grant_type: 'password', username: u.username, password: u.password });
  expectProblem(elsewhere, 429);
});

test('locking out one username leaves another unaffected', async () => {
  const victim = await freshUser('auditor');
  const bystander = await freshUser('auditor');
  for (let i = 0; i < 6; i++) {
    await tokenRequest(server, { grant_type: 'password', username: victim.username, password: `guess-${i}-aaaaaaaa` });
  }
  const locked = await tokenRequest(server, { grant_type: 'password', username: victim.username, password: victim.password });
  expectProblem(locked, 429);
  const t = await signIn(server, bystander.username, bystander.password);
  assert.equal(decode(t.access_token).payload.sub, bystander.id);
});

test('four failures and then the right password signs in', async () => {
  const u = await freshUser('auditor');
  for (let i = 0; i < 4; i++) {
    expectUnauthorized(await tokenRequest(server, { grant_type: 'password', username: u.username, password: `nope-${i}-xxxxxxxx` }), { invalidToken: false });
  }
  const t = await signIn(server, u.username, u.password);
  assert.equal(decode(t.access_token).payload.sub, u.id);
});

// ---- refresh and revoke ----

test('the refresh grant answers a new refresh token and a working access token', async () => {
  const u = await freshUser('advisor', 'chorzow');
  const first = await signIn(server, u.username, u.password);
  const res = await refresh(server, first.refresh_token);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.token_type, 'Bearer');
  assert.equal(res.json.expires_in, 900);
  assert.notEqual(res.json.refresh_token, first.refresh_token, 'the refresh token is rotated');
  assert.notEqual(res.json.access_token, first.access_token);
  const who = await accepted(server, res.json.access_token, u.id, 'the refreshed access token');
  assert.equal(who.role, 'advisor');
  assert.equal(who.partner, 'chorzow');
  const again = await refresh(server, res.json.refresh_token);
  assert.equal(again.status, 200, `the new refresh token works once: ${again.text}`);
});

test('a used refresh token presented again is 401 and revokes its whole family', async () => {
  const u = await freshUser('advisor');
  const first = await signIn(server, u.username, u.password);
  const second = await refresh(server, first.refresh_token);
  assert.equal(second.status, 200, second.text);
  const reuse = await refresh(server, first.refresh_token);
  expectUnauthorized(reuse, { invalidToken: false });
  const heir = await refresh(server, second.json.refresh_token);
  expectUnauthorized(heir, { invalidToken: false });
  // Another sign-in is another family: it is not affected.
  const other = await signIn(server, u.username, u.password);
  assert.equal((await refresh(server, other.refresh_token)).status, 200);
});

test('an unknown refresh token is 401', async () => {
  for (const t of ['x', tokens.b64url(Buffer.alloc(32, 7)), 'a'.repeat(128)]) {
    expectUnauthorized(await refresh(server, t), { invalidToken: false });
  }
});

// A refresh token the server never issued is 401 like any unknown one,
// whatever its length or characters: the answer tells nothing of its shape.
const NEVER_ISSUED = [
  '', ' ', 'a'.repeat(129), 'b'.repeat(5000), 'ż'.repeat(43), `${'+/='.repeat(14)}x`,
  '!@#$%^&*()', 'tab\there', 'line\nbreak', "' OR '1'='1", '\u0001\u001f', 'emoji 😀 token',
];

test('a refresh token the server never issued is 401, whatever its length or characters', async () => {
  const u = await freshUser('advisor');
  const real = (await signIn(server, u.username, u.password)).refresh_token;
  // a real token with one character more, or one changed, is not it
  for (const t of [...NEVER_ISSUED, `${real}A`, real.slice(0, -1), `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`]) {
    const res = await refresh(server, t);
    assert.equal(res.status, 401, `refresh_token ${JSON.stringify(t.slice(0, 40))} (${t.length} chars): ${res.status} ${res.text}`);
    expectUnauthorized(res, { invalidToken: false });
  }
  // and the real one still works
  assert.equal((await refresh(server, real)).status, 200);
});

test('a disabled user\'s refresh token is 401', async () => {
  const u = await freshUser('coordinator');
  const t = await signIn(server, u.username, u.password);
  await adminPatchUser(u.id, { active: false });
  expectUnauthorized(await refresh(server, t.refresh_token), { invalidToken: false });
});

test('POST /v1/auth/revoke answers 204 and the token no longer refreshes', async () => {
  const u = await freshUser('auditor');
  const t = await signIn(server, u.username, u.password);
  const res = await revoke(server, t.refresh_token);
  assert.equal(res.status, 204, res.text);
  assert.equal(res.text, '');
  expectUnauthorized(await refresh(server, t.refresh_token), { invalidToken: false });
  const twice = await revoke(server, t.refresh_token);
  assert.equal(twice.status, 204, 'revoking again is 204 too');
});

test('revoke ends the whole family: the token rotated from the revoked one stops too', async () => {
  const u = await freshUser('auditor');
  const first = await signIn(server, u.username, u.password);
  const second = await refresh(server, first.refresh_token);
  assert.equal(second.status, 200, second.text);
  assert.equal((await revoke(server, first.refresh_token)).status, 204);
  expectUnauthorized(await refresh(server, second.json.refresh_token), { invalidToken: false });
});

test('revoking an unknown refresh token is 204 too', async () => {
  for (const t of ['never-issued', tokens.b64url(Buffer.alloc(32, 1)), ...NEVER_ISSUED]) {
    const res = await revoke(server, t);
    assert.equal(res.status, 204, res.text);
  }
});

test('revoke without refresh_token is 422 naming it; a wrong-typed one 422; an unknown member 422', async () => {
  const missing = expectProblem(await api(server, 'POST', '/v1/auth/revoke', { body: {} }), 422);
  assert.equal(firstErrorField(missing), 'refresh_token');
  assert.equal(missing.errors[0].code, 'required');
  for (const bad of [42, true, ['x'], { a: 1 }]) {
    const p = expectProblem(await api(server, 'POST', '/v1/auth/revoke', { body: { refresh_token: bad } }), 422);
    assert.equal(firstErrorField(p), 'refresh_token', JSON.stringify(bad));
  }
  const unknown = expectProblem(await api(server, 'POST', '/v1/auth/revoke', { body: { refresh_token: 'x', token_type_hint: 'refresh_token' } }), 422);
  assert.equal(errorFor(unknown, 'token_type_hint').code, 'unknown_field');
});

// ---- bad input on the auth routes: always a 4xx problem ----

const AUTH_ROUTES = ['/v1/auth/token', '/v1/auth/revoke'];

test('a body that is not a JSON object is 400 on every auth route', async () => {
  for (const path of AUTH_ROUTES) {
    for (const raw of ['[]', '"password"', '42', 'null', 'true', '[{"grant_type":"password"}]']) {
      const res = await api(server, 'POST', path, { rawBody: raw, headers: { 'Content-Type': 'application/json' } });
      expectProblem(res, 400);
    }
    expectProblem(await api(server, 'POST', path), 400);
    expectProblem(await api(server, 'POST', path, { rawBody: '{"grant_type":', headers: { 'Content-Type': 'application/json' } }), 400);
  }
});

test('grant_type missing or not a string is 422 naming grant_type', async () => {
  const missing = expectProblem(await tokenRequest(server, { username: 'a', password: 'b' }), 422);
  assert.equal(firstErrorField(missing), 'grant_type');
  for (const bad of [1, null, true, ['password'], { type: 'password' }]) {
    const p = expectProblem(await tokenRequest(server, { grant_type: bad, username: 'a', password: 'b' }), 422);
    assert.equal(firstErrorField(p), 'grant_type', JSON.stringify(bad));
  }
});

test('an unknown grant_type is 400 with code unsupported_grant_type', async () => {
  for (const g of ['client_credentials', 'authorization_code', 'PASSWORD', '', 'password ']) {
    const p = expectProblem(await tokenRequest(server, { grant_type: g, username: 'a', password: 'b' }), 400);
    assert.equal(firstErrorField(p), 'grant_type', g);
    assert.equal(p.errors[0].code, 'unsupported_grant_type', g);
  }
});

test('the password grant without username and password is 422 listing both', async () => {
  const p = expectProblem(await tokenRequest(server, { grant_type: 'password' }), 422);
  assert.deepEqual(errorFields(p).sort(), ['password', 'username']);
  assert.ok(p.errors.every((e) => e.code === 'required'), JSON.stringify(p.errors));
  for (const e of p.errors) assert.equal(e.pointer, `/${e.field}`);
});

test('empty or wrong-typed username and password are 422 naming each', async () => {
  const cases = [
    [{ username: '', password: 'x' }, ['username']],
    [{ username: 'someone', password: '' }, ['password']],
    [{ username: 42, password: 'x' }, ['username']],
    [{ username: 'someone', password: 123456789012 }, ['password']],
    [{ username: ['a'], password: { p: 1 } }, ['password', 'username']],
    [{ username: null, password: null }, ['password', 'username']],
    [{ username: true, password: false }, ['password', 'username']],
  ];
  for (const [body, fields] of cases) {
    const p = expectProblem(await tokenRequest(server, { grant_type: 'password', ...body }), 422);
    assert.deepEqual(errorFields(p).sort(), fields, JSON.stringify(body));
  }
});

test('a username over 64 characters or a password over 1024 is 422 too_long', async () => {
  const longName = expectProblem(await tokenRequest(server, { grant_type: 'password', username: 'a'.repeat(65), password: 'x' }), 422);
  assert.equal(errorFor(longName, 'username').code, 'too_long');
  const longPassword = expectProblem(await tokenRequest(server, { grant_type: 'password', username: 'someone', password: 'x'.repeat(1025) }), 422);
  assert.equal(errorFor(longPassword, 'password').code, 'too_long');
  const both = expectProblem(await tokenRequest(server, { grant_type: 'password', username: 'b'.repeat(200), password: 'y'.repeat(5000) }), 422);
  assert.deepEqual(errorFields(both).sort(), ['password', 'username']);
  // 64 characters is still a username (an unknown one): 401.
  expectUnauthorized(await tokenRequest(server, { grant_type: 'password', username: 'c'.repeat(64), password: 'x' }), { invalidToken: false });
});

test('an unknown member of a grant is 422 unknown_field', async () => {
  const p = expectProblem(await tokenRequest(server, { grant_type: 'password', username: 'someone', password: 'x', scope: 'admin' }), 422);
  assert.equal(errorFor(p, 'scope').code, 'unknown_field');
  const r = expectProblem(await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: 'x', username: 'someone' }), 422);
  assert.equal(errorFor(r, 'username').code, 'unknown_field');
});

test('the refresh grant without a refresh_token, or with a wrong-typed one, is 422', async () => {
  const missing = expectProblem(await tokenRequest(server, { grant_type: 'refresh_token' }), 422);
  assert.equal(firstErrorField(missing), 'refresh_token');
  for (const bad of [1, null, true, ['x'], {}]) {
    const p = expectProblem(await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: bad }), 422);
    assert.equal(firstErrorField(p), 'refresh_token', JSON.stringify(bad));
  }
});

test('a text/plain body on an auth route is 415', async () => {
  for (const path of AUTH_ROUTES) {
    const res = await api(server, 'POST', path, { rawBody: 'grant_type=password&username=a&password=b', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expectProblem(res, 415);
    expectProblem(await api(server, 'POST', path, { rawBody: '{}', headers: { 'Content-Type': 'text/plain' } }), 415);
  }
});

test('a 10 MB password is 413 (the default body limit is 1 MiB)', async () => {
  const body = Buffer.from(JSON.stringify({ grant_type: 'password', username: 'someone', password: 'a'.repeat(10 * 1024 * 1024) }));
  const res = await rawPost(server, '/v1/auth/token', body);
  expectProblem(res, 413);
  const revokeRes = await rawPost(server, '/v1/auth/revoke', Buffer.from(JSON.stringify({ refresh_token: 'r'.repeat(2 * 1024 * 1024) })));
  expectProblem(revokeRes, 413);
});

test('non-UTF-8 bytes in an auth request on a raw socket are 400', async () => {
  const latin2 = Buffer.from([0xa3, 0xf3, 0x64, 0xbc]); // Łódź in ISO-8859-2
  const token = Buffer.concat([Buffer.from('{"grant_type":"password","username":"'), latin2, Buffer.from('","password":"x"}')]);
  expectProblem(await rawPost(server, '/v1/auth/token', token), 400);
  const pw = Buffer.concat([Buffer.from('{"grant_type":"password","username":"someone","password":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]);
  expectProblem(await rawPost(server, '/v1/auth/token', pw), 400);
  const rv = Buffer.concat([Buffer.from('{"refresh_token":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
  expectProblem(await rawPost(server, '/v1/auth/revoke', rv), 400);
});

test('a NUL in a string of an auth request is a 4xx problem, never a 5xx', async () => {
  const bodies = [
    ['/v1/auth/token', '{"grant_type":"password","username":"a\\u0000b","password":"xxxxxxxxxxxx"}'],
    ['/v1/auth/token', '{"grant_type":"password","username":"someone","password":"abc\\u0000def"}'],
    ['/v1/auth/token', '{"grant_type":"pass\\u0000word","username":"a","password":"b"}'],
    ['/v1/auth/token', '{"grant_type":"refresh_token","refresh_token":"\\u0000"}'],
    ['/v1/auth/revoke', '{"refresh_token":"ab\\u0000cd"}'],
    ['/v1/auth/token', Buffer.from('{"grant_type":"password","username":"a\u0000b","password":"x"}', 'utf8')],
  ];
  for (const [path, raw] of bodies) {
    const res = await api(server, 'POST', path, { rawBody: raw, headers: { 'Content-Type': 'application/json' } });
    expectClientError(res, `${path} ${raw}`);
  }
});

test('an auth request nested 100 levels deep is 400', async () => {
  const deep = `{"grant_type":"password","username":${'['.repeat(100)}${']'.repeat(100)},"password":"x"}`;
  expectProblem(await api(server, 'POST', '/v1/auth/token', { rawBody: deep, headers: { 'Content-Type': 'application/json' } }), 400);
  const deepRevoke = `{"refresh_token":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`;
  expectProblem(await api(server, 'POST', '/v1/auth/revoke', { rawBody: deepRevoke, headers: { 'Content-Type': 'application/json' } }), 400);
});

test('duplicate members in a token request are a 4xx problem', async () => {
  const raw = '{"grant_type":"password","username":"someone","username":"admin","password":"x"}';
  const res = await api(server, 'POST', '/v1/auth/token', { rawBody: raw, headers: { 'Content-Type': 'application/json' } });
  expectClientError(res, raw);
});

// ---- the bearer token on protected routes ----

test('a protected route without a token is 401 with WWW-Authenticate: Bearer realm="ips-api"', async () => {
  const requests = [
    ['GET', '/v1/me', {}],
    ['GET', '/v1/users', {}],
    ['POST', '/v1/users', { body: { username: 'x1', partner: 'byczyna', role: 'admin' } }],
    ['GET', '/v1/users/00000000-0000-4000-8000-000000000000', {}],
    ['PATCH', '/v1/users/00000000-0000-4000-8000-000000000000', { body: { active: false }, headers: { 'If-Match': '"1"' } }],
    ['PATCH', `/v1/gminas/${PATCHED_GMINA}`, { body: { high_poverty: true }, headers: { 'If-Match': '"1"' } }],
  ];
  for (const [method, path, opts] of requests) {
    const res = await api(server, method, path, opts);
    assert.equal(res.status, 401, `${method} ${path}: ${res.status} ${res.text}`);
    expectUnauthorized(res, { invalidToken: false });
  }
});

test('a token signed with the configured secret for an active user is accepted', async () => {
  const u = users.integration;
  const c = claimsOf(u);
  const who = await accepted(server, hs256(c), u.id, 'a well-formed token');
  assert.deepEqual(who, { sub: u.id, partner: u.partner, role: u.role, iss: 'ips-api', exp: c.exp });
});

test('a refused token is a 401 problem with WWW-Authenticate error="invalid_token" on every protected route', async () => {
  const bad = hs256(claimsOf(users.admin), 'another-secret-of-at-least-32-bytes!!');
  for (const [method, path, opts] of [
    ['GET', '/v1/me', {}],
    ['GET', '/v1/users', {}],
    ['POST', '/v1/users', { body: { username: 'x1', partner: 'byczyna', role: 'admin' } }],
    ['PATCH', `/v1/gminas/${PATCHED_GMINA}`, { body: { high_poverty: true }, headers: { 'If-Match': '"1"' } }],
  ]) {
    const res = await api(server, method, path, { ...opts, headers: { ...(opts.headers || {}), ...bearer(bad) } });
    assert.equal(res.status, 401, `${method} ${path}: ${res.status} ${res.text}`);
    expectUnauthorized(res, { invalidToken: true });
  }
});

// One attack of DESIGN §7 a test; each starts from the claims of a token
// that is accepted (the test above) and breaks one thing.

test('attack: alg none without a signature is 401', async () => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    await refused(server, sign(claimsOf(users.admin), { alg }), `alg ${alg}, empty signature`);
    const noDot = sign(claimsOf(users.admin), { alg }).replace(/\.$/, '');
    await refused(server, noDot, `alg ${alg}, no third segment`);
  }
});

test('attack: alg none with a signature is 401', async () => {
  await refused(server, sign(claimsOf(users.admin), { alg: 'none', signAs: 'HS256' }), 'alg none with an HMAC signature');
  await refused(server, sign(claimsOf(users.admin), { alg: 'none', signAs: 'HS256', key: 'x' }), 'alg none with a junk signature');
});

test('attack: an HS256 token whose secret is the server\'s RSA public key is 401 on an RS256 server (HS/RS confusion)', async () => {
  const rs = await rsServer();
  const u = await newUser(rs, { role: 'admin' });
  // The server's own token is fine...
  await accepted(rs, u.token, u.id, 'the RS256 server\'s own token');
  // ...an HMAC with its public key as the secret is not, in any spelling of the PEM.
  const pem = localRsa.publicPem;
  for (const secret of [pem, pem.trim(), Buffer.from(pem), localRsa.publicKey.export({ type: 'spki', format: 'der' })]) {
    await refused(rs, hs256(claimsOf(u), secret), 'HS256 signed with the public key');
    await refused(rs, sign(claimsOf(u), { alg: 'HS256', key: secret, header: { kid: decode(u.token).header.kid } }), 'HS256 with the kid');
  }
  await refused(rs, hs256(claimsOf(u), TEST_JWT_SECRET), 'HS256 with the shared test secret');
});

test('attack: a bad signature is 401', async () => {
  const c = claimsOf(users.admin);
  await refused(server, hs256(c, 'another-secret-of-at-least-32-bytes!!'), 'signed with another secret');
  const good = hs256(c);
  const [h, p, s] = good.split('.');
  const flipped = `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
  await refused(server, flipped, 'a signature byte changed');
  await refused(server, `${h}.${p}.${s.slice(0, 20)}`, 'a truncated signature');
  // The signature of one payload on another.
  const forged = tokens.b64url({ ...c, role: 'admin', sub: users.auditor.id });
  await refused(server, `${h}.${forged}.${s}`, 'the payload swapped under a valid signature');
  await refused(server, sign(c, { alg: 'RS256', key: strangerRsa.privateKey }), 'RS256 on an HS256 server');
});

test('attack: a token expired beyond the leeway (30 s) is 401', async () => {
  const t = now();
  await refused(server, hs256(claimsOf(users.admin, { iat: t - 1000, exp: t - 120 })), 'expired 120 s ago');
  await refused(server, hs256(claimsOf(users.admin, { iat: t - 5000, exp: t - 3600 })), 'expired an hour ago');
});

test('a token expired within the leeway is accepted', async () => {
  const t = now();
  await accepted(server, hs256(claimsOf(users.auditor, { iat: t - 600, exp: t - 10 })), users.auditor.id, 'expired 10 s ago');
});

test('attack: a token whose nbf is in the future is 401', async () => {
  const t = now();
  await refused(server, hs256(claimsOf(users.admin, { nbf: t + 600 })), 'nbf in 10 minutes');
  await refused(server, hs256(claimsOf(users.admin, { nbf: String(t - 10) })), 'nbf not an integer');
  await accepted(server, hs256(claimsOf(users.admin, { nbf: t - 5 })), users.admin.id, 'nbf in the past');
});

test('attack: a token whose iat is in the future is 401', async () => {
  const t = now();
  await refused(server, hs256(claimsOf(users.admin, { iat: t + 600, exp: t + 900 })), 'iat in 10 minutes');
});

test('attack: a token without iat, or with a non-integer iat, is 401', async () => {
  await refused(server, hs256(claimsOf(users.admin, { iat: undefined })), 'no iat');
  await refused(server, hs256(claimsOf(users.admin, { iat: String(now()) })), 'iat a string');
});

test('attack: a token of another issuer is 401', async () => {
  for (const iss of ['ips-api-evil', 'IPS-API', 'ips-api ', TRUSTED_RS.iss]) {
    await refused(server, hs256(claimsOf(users.admin, { iss })), `iss ${iss}`);
  }
  await refused(server, hs256(claimsOf(users.admin, { iss: undefined })), 'no iss');
});

test('attack: a token for another audience is 401', async () => {
  for (const aud of ['other', 'IPS', ['other'], [], '']) {
    await refused(server, hs256(claimsOf(users.admin, { aud })), `aud ${JSON.stringify(aud)}`);
  }
  await refused(server, hs256(claimsOf(users.admin, { aud: undefined })), 'no aud');
});

test('a token whose aud is an array containing ours is accepted', async () => {
  await accepted(server, hs256(claimsOf(users.auditor, { aud: ['other', 'ips'] })), users.auditor.id, 'aud [other, ips]');
});

test('attack: a token without exp, or with a non-integer exp, is 401', async () => {
  await refused(server, hs256(claimsOf(users.admin, { exp: undefined })), 'no exp');
  await refused(server, hs256(claimsOf(users.admin, { exp: String(now() + 300) })), 'exp a string');
  await refused(server, hs256(claimsOf(users.admin, { exp: now() + 300.5 })), 'exp a fraction');
});

test('attack: a token without jti is 401', async () => {
  await refused(server, hs256(claimsOf(users.admin, { jti: undefined })), 'no jti');
});

test('attack: a token with an unknown role is 401', async () => {
  for (const role of ['superadmin', 'Admin', 'root', '', 'admin ']) {
    await refused(server, hs256(claimsOf(users.admin, { role })), `role ${JSON.stringify(role)}`);
  }
  await refused(server, hs256(claimsOf(users.admin, { role: ['admin'] })), 'role an array');
});

test('attack: a token with an unknown partner is 401', async () => {
  for (const partner of ['nowhere', 'BYCZYNA', 'byczyna ', '', "byczyna' OR '1'='1"]) {
    await refused(server, hs256(claimsOf(users.admin, { partner })), `partner ${JSON.stringify(partner)}`);
  }
});

test('attack: a token of this service whose partner is not the user\'s is 401', async () => {
  const u = users.admin;
  await refused(server, hs256(claimsOf(u, { partner: u.partner === 'byczyna' ? 'chorzow' : 'byczyna' })), 'the other partner');
  await refused(server, hs256(claimsOf(users.auditor, { role: 'admin' })), 'an auditor claiming admin');
});

test('attack: a token of this service whose sub is no user is 401', async () => {
  for (const sub of ['00000000-0000-4000-8000-000000000000', 'admin', "' OR 1=1 --", users.admin.id.toUpperCase().replace(/-/g, '')]) {
    await refused(server, hs256(claimsOf(users.admin, { sub })), `sub ${sub}`);
  }
  await refused(server, hs256(claimsOf(users.admin, { sub: undefined })), 'no sub');
});

test('attack: a disabled user\'s access token is refused at once with IPS_AUTH_CACHE=off', async () => {
  const u = await newUser(nocache, { role: 'coordinator' });
  await accepted(nocache, u.token, u.id, 'before');
  await adminPatchUser(u.id, { active: false });
  await refused(nocache, u.token, 'the disabled user\'s token');
  await refused(nocache, hs256(claimsOf(u)), 'a freshly signed token of the disabled user');
});

test('with the token cache on, a disabled user\'s access token stops working within 15 s', async () => {
  const u = await newUser(server, { role: 'coordinator' });
  await accepted(server, u.token, u.id, 'before');
  await accepted(server, u.token, u.id, 'before, from the cache');
  await adminPatchUser(u.id, { active: false });
  const started = Date.now();
  const res = await until(async () => {
    const r = await me(server, u.headers);
    return { ok: r.status === 401, value: r, describe: `${r.status} ${r.text}` };
  }, { timeoutMs: 15000, intervalMs: 500, what: 'the disabled user\'s token refused' });
  expectUnauthorized(res, { invalidToken: true });
  assert.ok(Date.now() - started <= 15000);
});

test('attack: the old token of a user whose role an admin changed is 401', async () => {
  const u = await newUser(nocache, { role: 'coordinator' });
  await accepted(nocache, u.token, u.id, 'before');
  await adminPatchUser(u.id, { role: 'advisor' });
  await refused(nocache, u.token, 'the coordinator token of a user who is now an advisor');
  const t = await signIn(nocache, u.username, u.password);
  const who = await accepted(nocache, t.access_token, u.id, 'a new sign-in');
  assert.equal(who.role, 'advisor');
});

test('attack: the old token of a user whose partner an admin changed is 401', async () => {
  const u = await newUser(nocache, { role: 'advisor', partner: 'byczyna' });
  await adminPatchUser(u.id, { partner: 'chorzow' });
  await refused(nocache, u.token, 'a byczyna token of a user now with chorzow');
  const who = await accepted(nocache, (await signIn(nocache, u.username, u.password)).access_token, u.id, 'a new sign-in');
  assert.equal(who.partner, 'chorzow');
});

test('malformed token: two segments is 401', async () => {
  const [h, p] = hs256(claimsOf(users.admin)).split('.');
  await refused(server, `${h}.${p}`, 'header.payload');
  await refused(server, `${h}.${p}.`, 'header.payload.');
  await refused(server, `${hs256(claimsOf(users.admin))}.extra`, 'four segments');
  await refused(server, h, 'one segment');
});

test('malformed token: garbage base64 is 401', async () => {
  const s = hs256(claimsOf(users.admin)).split('.')[2];
  for (const t of ['!!!.@@@.###', `${tokens.b64url('not json')}.${tokens.b64url('{}')}.${s}`,
    `${tokens.b64url('{"alg":"HS256"}')}.${tokens.b64url('[1,2,3]')}.${s}`, '...', 'ey.ey.ey',
    `${tokens.b64url('{"alg":"HS256","alg":"none"}')}.${tokens.b64url(claimsOf(users.admin))}.${s}`]) {
    await refused(server, t, `token ${t.slice(0, 60)}`);
  }
});

test('malformed token: a 9000-character token is 401', async () => {
  const big = hs256(claimsOf(users.admin, { pad: 'x'.repeat(9000) }));
  assert.ok(big.length > 9000);
  await refused(server, big, 'a 12 kB signed token');
  await refused(server, 'a'.repeat(9000), '9000 letters');
});

test('malformed token: Bearer with nothing after it is 401', async () => {
  for (const value of ['Bearer', 'Bearer ', 'Bearer    ']) {
    const res = await me(server, { Authorization: value });
    assert.equal(res.status, 401, `${JSON.stringify(value)}: ${res.text}`);
    const p = expectProblem(res, 401);
    assert.ok(p);
    assert.match(res.headers.get('www-authenticate') || '', /^Bearer realm="ips-api"/);
  }
});

test('malformed token: the Basic scheme is 401', async () => {
  const u = users.admin;
  for (const value of [`Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`, u.token, `Token ${u.token}`, `Bearer${u.token}`]) {
    const res = await me(server, { Authorization: value });
    assert.equal(res.status, 401, `${value.slice(0, 40)}: ${res.text}`);
    expectProblem(res, 401);
    assert.match(res.headers.get('www-authenticate') || '', /^Bearer realm="ips-api"/);
  }
});

test('the Bearer scheme name is case-insensitive', async () => {
  const res = await me(server, { Authorization: `bearer ${users.auditor.token}` });
  assert.equal(res.status, 200, res.text);
});

// ---- trusted partner issuers ----

function trustedClaims(issuer, over = {}) {
  return claims({ iss: issuer.iss, aud: issuer.aud, sub: 'partner-system-42', partner: 'chorzow', role: 'integration', ...over });
}

test('a trusted issuer\'s RS256 token is accepted without a local user: /v1/me shows its iss and sub', async () => {
  const c = trustedClaims(TRUSTED_RS);
  const token = sign(c, { alg: 'RS256', key: TRUSTED_RS.key.privateKey, header: { kid: 'idp-key-1' } });
  const who = await accepted(server, token, 'partner-system-42', 'the trusted RS256 issuer');
  assert.deepEqual(who, { sub: 'partner-system-42', partner: 'chorzow', role: 'integration', iss: TRUSTED_RS.iss, exp: c.exp });
  const long = 's'.repeat(63);
  await accepted(server, sign(trustedClaims(TRUSTED_RS, { sub: long }), { alg: 'RS256', key: TRUSTED_RS.key.privateKey }), long, 'a 63-character sub');
});

test('a trusted issuer\'s claims signed with a key that is not configured are 401', async () => {
  await refused(server, sign(trustedClaims(TRUSTED_RS), { alg: 'RS256', key: strangerRsa.privateKey }), 'another RSA key');
  await refused(server, sign(trustedClaims(TRUSTED_RS), { alg: 'RS256', key: localRsa.privateKey }), 'yet another RSA key');
});

test('a trusted RS256 issuer\'s token signed with HS256 (its public key or the shared secret) is 401', async () => {
  await refused(server, hs256(trustedClaims(TRUSTED_RS), TRUSTED_RS.key.publicPem), 'HS256 with the issuer\'s public key');
  await refused(server, hs256(trustedClaims(TRUSTED_RS), TEST_JWT_SECRET), 'HS256 with the local secret');
  await refused(server, sign(trustedClaims(TRUSTED_RS), { alg: 'none' }), 'alg none');
});

test('an ES256 issuer\'s token whose header says RS256 (signed with an RSA key) is 401', async () => {
  await refused(server, sign(trustedClaims(TRUSTED_ES), { alg: 'RS256', key: strangerRsa.privateKey }), 'RS256 for an ES256 issuer');
  await refused(server, sign(trustedClaims(TRUSTED_ES), { alg: 'RS256', key: idpRsa.privateKey }), 'RS256 with the other trusted issuer\'s key');
  await refused(server, sign(trustedClaims(TRUSTED_ES), { alg: 'ES256', key: TRUSTED_RS.key.privateKey, signAs: 'RS256' }), 'header ES256, RSA signature');
});

test('a trusted ES256 issuer\'s token is accepted', async () => {
  const c = trustedClaims(TRUSTED_ES, { sub: 'byczyna-sso|anna', partner: 'byczyna', role: 'coordinator' });
  const who = await accepted(server, sign(c, { alg: 'ES256', key: TRUSTED_ES.key.privateKey }), 'byczyna-sso|anna', 'the trusted ES256 issuer');
  assert.equal(who.iss, TRUSTED_ES.iss);
  assert.equal(who.role, 'coordinator');
  assert.equal(who.partner, 'byczyna');
});

test('a trusted issuer\'s token for another audience than the one configured for it is 401', async () => {
  await refused(server, sign(trustedClaims(TRUSTED_ES, { aud: 'ips' }), { alg: 'ES256', key: TRUSTED_ES.key.privateKey }), 'this service\'s audience, not the issuer\'s');
  await accepted(server, sign(trustedClaims(TRUSTED_ES, { aud: ['x', TRUSTED_ES.aud] }), { alg: 'ES256', key: TRUSTED_ES.key.privateKey }), 'partner-system-42', 'an array with its audience');
});

test('a trusted issuer\'s token with an unknown partner or role, expired, or without jti is 401', async () => {
  const k = { alg: 'RS256', key: TRUSTED_RS.key.privateKey };
  const t = now();
  await refused(server, sign(trustedClaims(TRUSTED_RS, { partner: 'nowhere' }), k), 'unknown partner');
  await refused(server, sign(trustedClaims(TRUSTED_RS, { role: 'superadmin' }), k), 'unknown role');
  await refused(server, sign(trustedClaims(TRUSTED_RS, { iat: t - 1000, exp: t - 120 }), k), 'expired');
  await refused(server, sign(trustedClaims(TRUSTED_RS, { jti: undefined }), k), 'no jti');
  await refused(server, sign(trustedClaims(TRUSTED_RS, { sub: 's'.repeat(64) }), k), 'a 64-character sub');
});

test('a trusted issuer\'s token keeps to its role: integration may not list users', async () => {
  const token = sign(trustedClaims(TRUSTED_RS), { alg: 'RS256', key: TRUSTED_RS.key.privateKey });
  const res = await api(server, 'GET', '/v1/users', { headers: bearer(token) });
  expectProblem(res, 403);
  const auditor = sign(trustedClaims(TRUSTED_RS, { role: 'auditor' }), { alg: 'RS256', key: TRUSTED_RS.key.privateKey });
  assert.equal((await api(server, 'GET', '/v1/users?limit=1', { headers: bearer(auditor) })).status, 200);
});

// ---- signing keys and the JWKS ----

test('with HS256, /.well-known/jwks.json is an empty key set', async () => {
  const res = await api(server, 'GET', '/.well-known/jwks.json');
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type') || '', /^application\/jwk-set\+json/);
  assert.deepEqual(res.json, { keys: [] });
  assert.ok(!res.text.includes(TEST_JWT_SECRET), 'the secret is never published');
});

test('with RS256 key files, /.well-known/jwks.json publishes the RSA public key', async () => {
  const rs = await rsServer();
  const res = await api(rs, 'GET', '/.well-known/jwks.json');
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type') || '', /^application\/jwk-set\+json/);
  assert.equal(res.json.keys.length, 1);
  const [k] = res.json.keys;
  assert.equal(k.kty, 'RSA');
  assert.equal(k.alg, 'RS256');
  assert.equal(k.use, 'sig');
  assert.equal(typeof k.kid, 'string');
  assert.equal(k.n, localRsa.jwk.n, 'the modulus of IPS_JWT_PUBLIC_KEY_FILE');
  assert.equal(k.e, localRsa.jwk.e);
  assert.ok(!('d' in k) && !('p' in k), 'no private part');
});

test('with RS256 key files, sign-in issues RS256 tokens that verify with the published key and name its kid', async () => {
  const rs = await rsServer();
  const [jwk] = (await api(rs, 'GET', '/.well-known/jwks.json')).json.keys;
  const u = await newUser(rs, { role: 'auditor', partner: 'chorzow' });
  const { header, payload } = decode(u.token);
  assert.equal(header.alg, 'RS256');
  assert.equal(header.kid, jwk.kid);
  assert.equal(payload.sub, u.id);
  assert.ok(tokens.verifySignature(u.token, jwk, 'RS256'), 'the signature verifies with the JWKS key');
  const who = await accepted(rs, u.token, u.id, 'the RS256 token');
  assert.equal(who.iss, 'ips-api');
  await accepted(rs, sign(claimsOf(u), { alg: 'RS256', key: localRsa.privateKey }), u.id, 'a token signed with the private key');
  await refused(rs, sign(claimsOf(u), { alg: 'RS256', key: strangerRsa.privateKey }), 'another RSA key');
  await refused(rs, sign(claimsOf(u), { alg: 'none' }), 'alg none on the RS256 server');
  await refused(rs, sign(claimsOf(u), { alg: 'ES256', key: localEc.privateKey }), 'ES256 on the RS256 server');
});

test('with ES256 key files, jwks publishes the P-256 key and sign-in issues ES256 tokens that verify with it', async () => {
  const es = await esServer();
  const res = await api(es, 'GET', '/.well-known/jwks.json');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.keys.length, 1);
  const [k] = res.json.keys;
  assert.equal(k.kty, 'EC');
  assert.equal(k.crv, 'P-256');
  assert.equal(k.alg, 'ES256');
  assert.equal(k.use, 'sig');
  assert.equal(k.x, localEc.jwk.x);
  assert.equal(k.y, localEc.jwk.y);
  assert.ok(!('d' in k), 'no private part');
  const u = await newUser(es, { role: 'integration' });
  const { header, signature } = decode(u.token);
  assert.equal(header.alg, 'ES256');
  assert.equal(header.kid, k.kid);
  assert.equal(signature.length, 64, 'an ES256 signature is R || S, 32 bytes each (RFC 7518 §3.4)');
  assert.ok(tokens.verifySignature(u.token, k, 'ES256'), 'the signature verifies with the JWKS key');
  await accepted(es, u.token, u.id, 'the ES256 token');
  await refused(es, hs256(claimsOf(u), localEc.publicPem), 'HS256 with the EC public key');
  await refused(es, sign(claimsOf(u), { alg: 'RS256', key: strangerRsa.privateKey }), 'RS256 on the ES256 server');
});

test('an empty IPS_JWT_SECRET counts as unset: a server with RS256 key files starts and signs with them', async () => {
  let srv = null;
  try {
    srv = await startServer({
      env: { IPS_JWT_SECRET: '', IPS_JWT_PRIVATE_KEY_FILE: localRsa.privateFile, IPS_JWT_PUBLIC_KEY_FILE: localRsa.publicFile },
    });
    const res = await api(srv, 'GET', '/.well-known/jwks.json');
    assert.equal(res.status, 200);
    assert.equal(res.json.keys.length, 1);
    assert.equal(res.json.keys[0].alg, 'RS256');
  } finally {
    if (srv) await srv.stop();
  }
});

// ---- roles: admin-only writes ----

const NON_ADMIN = ROLES.filter((r) => r !== 'admin');

test('GET /v1/users: admin and auditor 200; coordinator, advisor and integration 403', async () => {
  for (const role of ROLES) {
    const res = await api(server, 'GET', '/v1/users?limit=2', { headers: users[role].headers });
    if (role === 'admin' || role === 'auditor') {
      assert.equal(res.status, 200, `${role}: ${res.text}`);
      assert.ok(Array.isArray(res.json.items));
    } else {
      expectProblem(res, 403);
    }
  }
});

test('POST /v1/users is 403 for every role but admin', async () => {
  for (const role of NON_ADMIN) {
    const res = await api(server, 'POST', '/v1/users', {
      headers: users[role].headers,
      body: { username: uniqueName('nope'), partner: users[role].partner, role: 'admin', password: strongPassword() },
    });
    expectProblem(res, 403);
  }
});

test('PATCH /v1/users/{id} is 403 for every role but admin, even on its own user', async () => {
  for (const role of NON_ADMIN) {
    const u = users[role];
    for (const id of [u.id, users.admin.id]) {
      const res = await api(server, 'PATCH', `/v1/users/${id}`, {
        headers: { ...u.headers, 'If-Match': '"1"', 'Content-Type': 'application/merge-patch+json' },
        body: { role: 'admin' },
      });
      expectProblem(res, 403);
    }
  }
  const self = await me(server, users.coordinator.headers);
  assert.equal(self.json.role, 'coordinator', 'nothing changed');
});

test('PATCH /v1/gminas/{teryt} is 403 for every role but admin', async () => {
  const etag = (await api(server, 'GET', `/v1/gminas/${PATCHED_GMINA}`)).headers.get('etag');
  for (const role of NON_ADMIN) {
    const res = await api(server, 'PATCH', `/v1/gminas/${PATCHED_GMINA}`, {
      headers: { ...users[role].headers, 'If-Match': etag },
      body: { high_poverty: true },
    });
    expectProblem(res, 403);
  }
  const after = await api(server, 'GET', `/v1/gminas/${PATCHED_GMINA}`);
  assert.equal(after.headers.get('etag'), etag, 'the gmina did not change');
});

// ---- PATCH /v1/gminas/{teryt} (admin) ----

function patchGmina(teryt, body, headers = {}) {
  return api(server, 'PATCH', `/v1/gminas/${teryt}`, { headers: { ...users.admin.headers, ...headers }, body });
}

test('an admin sets a gmina\'s high_poverty with If-Match; GET shows it and the new ETag', async () => {
  const before = await api(server, 'GET', `/v1/gminas/${PATCHED_GMINA}`);
  assert.equal(before.status, 200);
  const original = before.json.high_poverty;
  let etag = before.headers.get('etag');
  try {
    const res = await patchGmina(PATCHED_GMINA, { high_poverty: !original }, { 'If-Match': etag, 'Content-Type': 'application/merge-patch+json' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.high_poverty, !original);
    assert.equal(res.json.teryt, PATCHED_GMINA);
    assert.equal(res.json.name, before.json.name);
    assert.equal(res.json.version, before.json.version + 1);
    assert.equal(res.headers.get('etag'), `"${res.json.version}"`);
    etag = res.headers.get('etag');
    const read = await api(server, 'GET', `/v1/gminas/${PATCHED_GMINA}`);
    assert.deepEqual(read.json, res.json);
    assert.equal(read.headers.get('etag'), etag);
    const listed = await api(server, 'GET', `/v1/gminas?powiat=${PATCHED_GMINA.slice(0, 4)}`);
    assert.equal(listed.json.items.find((g) => g.teryt === PATCHED_GMINA).high_poverty, !original);
  } finally {
    const back = await patchGmina(PATCHED_GMINA, { high_poverty: original }, { 'If-Match': etag });
    assert.equal(back.status, 200, `setting it back: ${back.text}`);
    assert.equal(back.json.high_poverty, original);
  }
});

test('PATCH /v1/gminas/{teryt} without If-Match is 428, with a stale one 412', async () => {
  const cur = await api(server, 'GET', `/v1/gminas/${PATCHED_GMINA}`);
  expectProblem(await patchGmina(PATCHED_GMINA, { high_poverty: cur.json.high_poverty }), 428);
  expectProblem(await patchGmina(PATCHED_GMINA, { high_poverty: cur.json.high_poverty }, { 'If-Match': `"${cur.json.version + 100}"` }), 412);
  const after = await api(server, 'GET', `/v1/gminas/${PATCHED_GMINA}`);
  assert.equal(after.json.version, cur.json.version, 'neither changed the gmina');
});

test('PATCH /v1/gminas/{teryt} with another member is 422 unknown_field, with a non-boolean 422', async () => {
  const cur = await api(server, 'GET', `/v1/gminas/${PATCHED_GMINA}`);
  const h = { 'If-Match': cur.headers.get('etag') };
  for (const body of [{ high_poverty: true, name: 'Elsewhere' }, { name: 'Elsewhere' }, { kind: 'urban' }, { version: 7, high_poverty: false }]) {
    const p = expectProblem(await patchGmina(PATCHED_GMINA, body, h), 422);
    const extra = Object.keys(body).find((k) => k !== 'high_poverty');
    assert.ok(p.errors.some((e) => e.field === extra && ['unknown_field', 'read_only'].includes(e.code)), `${JSON.stringify(body)}: ${JSON.stringify(p.errors)}`);
  }
  for (const v of ['true', 1, 0, null, [], {}]) {
    const p = expectProblem(await patchGmina(PATCHED_GMINA, { high_poverty: v }, h), 422);
    assert.equal(firstErrorField(p), 'high_poverty', JSON.stringify(v));
  }
  const p = expectProblem(await patchGmina(PATCHED_GMINA, {}, h), 422);
  assert.equal(firstErrorField(p), 'high_poverty');
  const after = await api(server, 'GET', `/v1/gminas/${PATCHED_GMINA}`);
  assert.equal(after.json.version, cur.json.version, 'nothing changed');
});

test('PATCH /v1/gminas/{teryt} of an unknown or malformed code is 404', async () => {
  for (const teryt of ['1234567', '2463011', 'abc']) {
    expectProblem(await patchGmina(teryt, { high_poverty: true }, { 'If-Match': '"1"' }), 404);
  }
  // 404 before 403: a non-admin learns nothing more than an admin.
  const res = await api(server, 'PATCH', '/v1/gminas/1234567', { headers: { ...users.advisor.headers, 'If-Match': '"1"' }, body: { high_poverty: true } });
  expectProblem(res, 404);
});

test('PATCH /v1/gminas/{teryt} with a body that is not a JSON object is 400', async () => {
  const cur = await api(server, 'GET', `/v1/gminas/${PATCHED_GMINA}`);
  expectProblem(await patchGmina(PATCHED_GMINA, undefined, { 'If-Match': cur.headers.get('etag') }), 400);
  for (const raw of ['true', '[]', '"x"', '{"high_poverty":']) {
    const r = await api(server, 'PATCH', `/v1/gminas/${PATCHED_GMINA}`, {
      headers: { ...users.admin.headers, 'If-Match': cur.headers.get('etag'), 'Content-Type': 'application/json' },
      rawBody: raw,
    });
    expectProblem(r, 400);
  }
});
