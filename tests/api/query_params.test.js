'use strict';
// One rule for query parameters on every route (DESIGN §4): a parameter the
// route does not define is 400 naming it. Walks every operation of
// api/openapi.yaml with ?bogus=1 — with an admin token, and without one,
// where the token's 401 comes first on every route that is not public
// (DESIGN §2: token, then query parameters, then the record, then the role).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const { startServer } = require('./lib/server');
const { api, expectProblem, firstErrorField } = require('./lib/http');
const { newUser } = require('./lib/users');

const SPEC = YAML.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'api', 'openapi.yaml'), 'utf8'));
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const UNKNOWN_ID = '7d444840-9dc0-11d1-b245-5ffdce74fad2';
// a value for each path parameter: the 400 comes before the record's 404
const PATH_VALUES = { id: UNKNOWN_ID, beneficiary_id: UNKNOWN_ID, teryt: '1604013', slug: 'if-match-stale' };

let server;
let admin;

before(async () => {
  server = await startServer();
  admin = await newUser(server, { role: 'admin', partner: 'byczyna', prefix: 'qpadm' });
});

after(async () => {
  if (server) await server.stop();
});

/* Every operation of the document: {method, template, url, isPublic}. */
function operations() {
  const ops = [];
  for (const [template, item] of Object.entries(SPEC.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const security = op.security || SPEC.security || [];
      // public: no requirement, or one of the alternatives is the empty one
      const isPublic = security.length === 0 || security.some((s) => Object.keys(s).length === 0);
      const url = template.replace(/\{([^}]+)\}/g, (_, name) => {
        assert.ok(PATH_VALUES[name], `a value for path parameter ${name} of ${template}`);
        return PATH_VALUES[name];
      });
      ops.push({ method: method.toUpperCase(), template, url, isPublic });
    }
  }
  return ops;
}

/* The field the problem's first error names, or undefined. */
const fieldOf = (res) => (res.json && Array.isArray(res.json.errors) && res.json.errors[0] ? res.json.errors[0].field : undefined);

/* A request body that passes the request-shape checks (valid JSON) for writes. */
const bodyFor = (method) => (['POST', 'PUT', 'PATCH'].includes(method) ? { body: {} } : {});

test('the walk covers the whole document: every path of api/openapi.yaml, public and authenticated routes among them', () => {
  const ops = operations();
  assert.ok(ops.length >= 40, `${ops.length} operations`);
  for (const must of ['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /.well-known/jwks.json', 'POST /v1/auth/token',
    'POST /v1/auth/revoke', 'GET /v1/me', 'PATCH /v1/partnership-members/{id}', 'PUT /v1/deliveries/{id}/participants/{beneficiary_id}']) {
    assert.ok(ops.some((o) => `${o.method} ${o.template}` === must), must);
  }
  assert.ok(ops.some((o) => o.isPublic) && ops.some((o) => !o.isPublic));
});

test('every route answers an unknown query parameter with 400 naming it (admin token)', async () => {
  const wrong = [];
  for (const op of operations()) {
    const res = await api(server, op.method, `${op.url}?bogus=1`, { headers: admin.headers, ...bodyFor(op.method) });
    if (res.status !== 400 || fieldOf(res) !== 'bogus') {
      wrong.push(`${op.method} ${op.template}: ${res.status} ${String(res.text).slice(0, 120)}`);
      continue;
    }
    expectProblem(res, 400);
  }
  assert.deepEqual(wrong, [], `routes that did not refuse ?bogus=1:\n${wrong.join('\n')}`);
});

test('without a token: public routes refuse the unknown parameter (400), the others answer 401 first', async () => {
  const wrong = [];
  for (const op of operations()) {
    const res = await api(server, op.method, `${op.url}?bogus=1`, bodyFor(op.method));
    const expected = op.isPublic ? 400 : 401;
    if (res.status !== expected) wrong.push(`${op.method} ${op.template}: ${res.status}, expected ${expected}`);
    else if (expected === 400) assert.equal(firstErrorField(expectProblem(res, 400)), 'bogus', op.template);
    else expectProblem(res, 401);
  }
  assert.deepEqual(wrong, [], wrong.join('\n'));
});

test('a parameter a route does define is still accepted where a route takes one', async () => {
  for (const [url, status] of [['/v1/gminas?powiat=1604', 200], ['/v1/changes?limit=1', 200], ['/healthz', 200]]) {
    const res = await api(server, 'GET', url, { headers: admin.headers });
    assert.equal(res.status, status, `${url}: ${res.text}`);
  }
});
