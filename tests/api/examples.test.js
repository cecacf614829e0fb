'use strict';
// Every example of api/openapi.yaml is sent to the real server (or compared
// with what it answers) and gets the answer the contract says: a request
// body example is accepted with the documented success status and shown back
// as sent; a parameter example is accepted; a property example is a value the
// server takes for that field and returns as is; a response example is what
// the server answers to the request it describes. The last test fails when
// the contract gains an example that no test here sends.
//
// Identifiers inside examples (a delivery's service_id, a refresh token)
// name records of someone else's database: they are replaced by those of
// records made here, and only those.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { spec } = require('./lib/contract');
const { startServer } = require('./lib/server');
const { newTeam } = require('./lib/team');
const { api, expectProblem } = require('./lib/http');
const tokens = require('./lib/tokens');
const { UUID, newEsEntity, newMember, newBeneficiary, seededServices } = require('./lib/records');

// A gmina no other test file asserts on (Wilków): the example flips its flag and sets it back.
const EXAMPLE_PATCHED_GMINA = '1606052';

let server;
let team;
let admin;
const doc = spec();
const covered = new Set();

before(async () => {
  server = await startServer();
  team = await newTeam(server, 'ex');
  admin = team.admin.byczyna;
});
after(async () => {
  if (server) await server.stop();
});

/* The value at the path of keys in the contract, marked as sent by a test. */
function example(...keys) {
  const value = keys.reduce((node, k) => {
    assert.ok(node && k in node, `the contract has ${keys.join(' > ')}`);
    return node[k];
  }, doc);
  // a named example (examples > name) covers its examples member too
  keys.forEach((k, i) => {
    if (k === 'example' || k === 'examples') covered.add(keys.slice(0, i + 1).join(' > '));
  });
  return value;
}

/* The example of an operation's parameter found by name (path or operation level). */
function parameterExample(path, method, name) {
  const item = doc.paths[path];
  for (const [where, list] of [[[path, 'parameters'], item.parameters], [[path, method, 'parameters'], item[method].parameters]]) {
    const i = (list || []).findIndex((p) => p.name === name);
    if (i >= 0) return example('paths', ...where, String(i), 'example');
  }
  return assert.fail(`${method} ${path} has no parameter ${name}`);
}

function requestExample(path, method, type = 'application/json') {
  return example('paths', path, method, 'requestBody', 'content', type, 'example');
}

function responseExample(path, method, status, type = 'application/json') {
  return example('paths', path, method, 'responses', String(status), 'content', type, 'example');
}

/* The examples of a property of a component schema (an array of values). */
function propertyExamples(schema, property) {
  return example('components', 'schemas', schema, 'properties', property, 'examples');
}

/* The key paths of an object, recursively (array items by their first element), sorted. */
function shape(value, where = '') {
  if (Array.isArray(value)) return value.length ? shape(value[0], `${where}[]`) : [`${where}[]`];
  if (value && typeof value === 'object') {
    return Object.keys(value).sort().flatMap((k) => [`${where}.${k}`, ...shape(value[k], `${where}.${k}`)]);
  }
  return [];
}

/* A problem without its request_id (which differs on every answer). */
function withoutRequestId(problem) {
  const { request_id: id, ...rest } = problem;
  assert.match(String(id), /^[A-Za-z0-9._-]{1,64}$/);
  return rest;
}

/*
 * POST /v1/<resource> as the admin, retried while a record of another test
 * file holds a unique value for a moment (409 naming one of the example's
 * fields); resolves to the 201 response.
 */
async function createRetryingUniqueness(resource, body) {
  let res;
  for (let attempt = 0; attempt < 20; attempt++) {
    res = await api(server, 'POST', `/v1/${resource}`, { headers: admin.headers, body });
    if (res.status !== 409) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(res.status, 201, `POST /v1/${resource} ${JSON.stringify(body)}: ${res.status} ${res.text}`);
  return res;
}

async function readBack(resource, id) {
  const res = await api(server, 'GET', `/v1/${resource}/${id}`, { headers: admin.headers });
  assert.equal(res.status, 200, res.text);
  return res;
}

async function remove(resource, res) {
  const gone = await api(server, 'DELETE', `/v1/${resource}/${res.json.id}`, { headers: { ...admin.headers, 'If-Match': res.headers.get('etag') } });
  assert.equal(gone.status, 204, gone.text);
}

/* PATCH /v1/<resource>/<id> with the current ETag, retried like createRetryingUniqueness. */
async function patchRetryingUniqueness(resource, id, body) {
  let res;
  for (let attempt = 0; attempt < 20; attempt++) {
    const etag = (await readBack(resource, id)).headers.get('etag');
    res = await api(server, 'PATCH', `/v1/${resource}/${id}`, {
      headers: { ...admin.headers, 'If-Match': etag, 'Content-Type': 'application/merge-patch+json' }, body,
    });
    if (res.status !== 409) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(res.status, 200, `PATCH /v1/${resource}/${id} ${JSON.stringify(body)}: ${res.status} ${res.text}`);
  return res;
}

function assertShows(record, sent, what) {
  for (const [field, value] of Object.entries(sent)) assert.deepEqual(record[field], value, `${what}: ${field}`);
}

/* The one example value of each field in schema: {field: value}. */
function exampleValues(schema, fields) {
  const values = {};
  for (const field of fields) {
    const list = propertyExamples(schema, field);
    assert.ok(Array.isArray(list) && list.length === 1, `${schema}.${field} has one example`);
    [values[field]] = list;
  }
  return values;
}

/*
 * The property examples of <Name>Create and <Name>Patch (one body of
 * values): a record created with base + those values shows each as sent
 * (201 and GET), and a record made from base alone takes them by PATCH; both
 * are deleted again, so unique values are free for the next run. The
 * examples of <Name> itself (what a read shows) are either those values or
 * one a live record has, found by the list filter of that field.
 */
async function checkPropertyExamples(resource, name, base, fields) {
  const values = exampleValues(`${name}Create`, fields);
  assert.deepEqual(exampleValues(`${name}Patch`, fields), values, `${name}Create and ${name}Patch show the same values`);
  const made = await createRetryingUniqueness(resource, { ...base, ...values });
  assertShows(made.json, values, `POST /v1/${resource}`);
  assertShows((await readBack(resource, made.json.id)).json, values, `GET /v1/${resource}/{id}`);
  for (const [field, shown] of Object.entries(exampleValues(name, fields))) {
    if (shown === values[field]) continue;
    const live = await api(server, 'GET', `/v1/${resource}?${field}=${encodeURIComponent(shown)}`, { headers: admin.headers });
    assert.equal(live.status, 200, live.text);
    assert.ok(live.json.items.some((r) => r[field] === shown), `${name}.${field}: a live record shows ${shown}`);
  }
  await remove(resource, made);

  const plain = await createRetryingUniqueness(resource, base);
  const changed = await patchRetryingUniqueness(resource, plain.json.id, values);
  assertShows(changed.json, values, `PATCH /v1/${resource}/{id}`);
  await remove(resource, changed);
}

// ---- operations without a token ----

test('the /healthz and /readyz examples are what they answer', async () => {
  for (const path of ['/healthz', '/readyz']) {
    const res = await api(server, 'GET', path);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, responseExample(path, 'get', 200), path);
  }
});

test('every metric of the /metrics example is exported, with the type the example gives it', async () => {
  const text = responseExample('/metrics', 'get', 200, 'text/plain; version=0.0.4');
  const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)];
  assert.ok(types.length >= 2, 'the example shows metrics');
  const res = await api(server, 'GET', '/metrics', { headers: admin.headers });
  assert.equal(res.status, 200, res.text);
  for (const [line, name] of types) {
    assert.ok(res.text.split('\n').includes(line), `${line} is in /metrics`);
    assert.match(res.text, new RegExp(`^${name}(\\{[^}]*\\})? \\d`, 'm'), `${name} has a sample`);
  }
  for (const [, label] of text.matchAll(/[{,]([a-z_]+)=/g)) assert.match(res.text, new RegExp(`[{,]${label}=`), `label ${label}`);
});

test('the gminas examples: the powiat and q parameters, the list and the one gmina they show', async () => {
  const powiat = parameterExample('/v1/gminas', 'get', 'powiat');
  const q = parameterExample('/v1/gminas', 'get', 'q');
  const byPowiat = await api(server, 'GET', `/v1/gminas?powiat=${encodeURIComponent(powiat)}&limit=200`);
  assert.equal(byPowiat.status, 200, byPowiat.text);
  assert.ok(byPowiat.json.items.length > 1 && byPowiat.json.items.every((g) => g.powiat === powiat), 'the gminas of the powiat');
  const byName = await api(server, 'GET', `/v1/gminas?q=${encodeURIComponent(q)}`);
  assert.equal(byName.status, 200, byName.text);
  assert.ok(byName.json.items.length > 0 && byName.json.items.every((g) => g.name.toLowerCase().includes(q.toLowerCase())), `gminas named like ${q}`);

  // the list example is the answer to its own gmina's name within its powiat
  const list = responseExample('/v1/gminas', 'get', 200);
  const [shown] = list.items;
  const listed = await api(server, 'GET', `/v1/gminas?powiat=${shown.powiat}&q=${encodeURIComponent(shown.name)}`);
  assert.equal(listed.status, 200, listed.text);
  const versionless = (g) => ({ ...g, version: 'any' });
  assert.deepEqual({ ...listed.json, items: listed.json.items.map(versionless) }, { ...list, items: list.items.map(versionless) });

  const teryt = parameterExample('/v1/gminas/{teryt}', 'get', 'teryt');
  const one = await api(server, 'GET', `/v1/gminas/${teryt}`);
  assert.equal(one.status, 200, one.text);
  assert.ok(Number.isInteger(one.json.version) && one.json.version >= 1);
  assert.deepEqual(versionless(one.json), versionless(responseExample('/v1/gminas/{teryt}', 'get', 200)));
  assert.deepEqual(propertyExamples('Gmina', 'teryt'), [one.json.teryt]);
  assert.deepEqual(propertyExamples('Gmina', 'name'), [one.json.name]);
  assert.deepEqual(propertyExamples('Gmina', 'powiat'), [one.json.powiat]);
});

test('the PATCH /v1/gminas/{teryt} example is taken by an admin: 200 showing it', async () => {
  const body = requestExample('/v1/gminas/{teryt}', 'patch');
  // a gmina no other test file asserts on; its flag is set back
  const target = (await api(server, 'GET', `/v1/gminas/${EXAMPLE_PATCHED_GMINA}`)).json;
  const res = await api(server, 'PATCH', `/v1/gminas/${target.teryt}`, {
    headers: { ...admin.headers, 'If-Match': `"${target.version}"` }, body,
  });
  try {
    assert.equal(res.status, 200, res.text);
    assertShows(res.json, body, 'PATCH gmina');
  } finally {
    const back = await api(server, 'PATCH', `/v1/gminas/${target.teryt}`, {
      headers: { ...admin.headers, 'If-Match': res.headers.get('etag') || `"${target.version}"` }, body: { high_poverty: target.high_poverty },
    });
    assert.equal(back.status, 200, back.text);
  }
});

test('with RS256 keys, /.well-known/jwks.json has the shape of its example', async () => {
  const dir = tokens.tempDir();
  const rsa = tokens.keyPair('rsa', dir, 'examples-rsa');
  const rs = await startServer({ env: { IPS_JWT_SECRET: null, IPS_JWT_PRIVATE_KEY_FILE: rsa.privateFile, IPS_JWT_PUBLIC_KEY_FILE: rsa.publicFile } });
  try {
    const res = await api(rs, 'GET', '/.well-known/jwks.json');
    assert.equal(res.status, 200, res.text);
    const documented = responseExample('/.well-known/jwks.json', 'get', 200, 'application/jwk-set+json');
    assert.deepEqual(shape(res.json), shape(documented));
    for (const k of ['kty', 'use', 'alg', 'e']) assert.equal(res.json.keys[0][k], documented.keys[0][k], k);
  } finally {
    await rs.stop();
  }
});

test('the example slug of /problems/{slug} is a page the server serves', async () => {
  const slug = parameterExample('/problems/{slug}', 'get', 'slug');
  const res = await api(server, 'GET', `/problems/${slug}`);
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.ok(res.text.includes(slug));
});

// ---- users and tokens: the examples make one user and use it ----

test('the users and token examples: create the user, sign in, refresh, read /v1/me, revoke, deactivate', async () => {
  const userBody = requestExample('/v1/users', 'post');
  assert.deepEqual(example('components', 'schemas', 'Username', 'examples'), [userBody.username]);
  const made = await api(server, 'POST', '/v1/users', { headers: admin.headers, body: userBody });
  assert.equal(made.status, 201, made.text);
  const createdExample = responseExample('/v1/users', 'post', 201);
  assert.deepEqual(shape(made.json), shape(createdExample));
  for (const k of ['username', 'partner', 'role', 'active', 'version']) assert.equal(made.json[k], createdExample[k], k);
  assert.match(made.json.id, UUID);

  const [signIn, refresh] = ['password', 'refresh'].map((name) => example('paths', '/v1/auth/token', 'post', 'requestBody', 'content', 'application/json', 'examples', name).value);
  const signedIn = await api(server, 'POST', '/v1/auth/token', { body: signIn });
  assert.equal(signedIn.status, 200, signedIn.text);
  const tokenExample = responseExample('/v1/auth/token', 'post', 200);
  assert.deepEqual(shape(signedIn.json), shape(tokenExample));
  for (const k of ['token_type', 'expires_in']) assert.equal(signedIn.json[k], tokenExample[k], k);

  const refreshed = await api(server, 'POST', '/v1/auth/token', { body: { ...refresh, refresh_token: signedIn.json.refresh_token } });
  assert.equal(refreshed.status, 200, refreshed.text);
  assert.deepEqual(shape(refreshed.json), shape(tokenExample));

  const me = await api(server, 'GET', '/v1/me', { headers: tokens.bearer(refreshed.json.access_token) });
  assert.equal(me.status, 200, me.text);
  const meExample = responseExample('/v1/me', 'get', 200);
  assert.deepEqual(shape(me.json), shape(meExample));
  assert.equal(me.json.sub, made.json.id);
  for (const k of ['partner', 'role', 'iss']) assert.equal(me.json[k], meExample[k], k);

  const revokeBody = requestExample('/v1/auth/revoke', 'post');
  const revoked = await api(server, 'POST', '/v1/auth/revoke', { body: { ...revokeBody, refresh_token: refreshed.json.refresh_token } });
  assert.equal(revoked.status, 204, revoked.text);
  expectProblem(await api(server, 'POST', '/v1/auth/token', { body: { ...refresh, refresh_token: refreshed.json.refresh_token } }), 401);

  const patch = requestExample('/v1/users/{id}', 'patch', 'application/merge-patch+json');
  const patched = await api(server, 'PATCH', `/v1/users/${made.json.id}`, {
    headers: { ...admin.headers, 'If-Match': made.headers.get('etag'), 'Content-Type': 'application/merge-patch+json' }, body: patch,
  });
  assert.equal(patched.status, 200, patched.text);
  assertShows(patched.json, patch, 'PATCH user');
});

test('the 400 example of POST /v1/auth/token is the answer to an unsupported grant_type', async () => {
  const res = await api(server, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials' } });
  expectProblem(res, 400);
  assert.deepEqual(withoutRequestId(res.json), withoutRequestId(responseExample('/v1/auth/token', 'post', 400, 'application/problem+json')));
});

test('the shared BadRequest example is the answer the server sends for a bad query parameter', async () => {
  const documented = example('components', 'responses', 'BadRequest', 'content', 'application/problem+json', 'example');
  const res = await api(server, 'GET', '/v1/gminas?limit=500');
  expectProblem(res, 400);
  assert.deepEqual(withoutRequestId(res.json), withoutRequestId(documented));
});

test('the partner examples (PartnerCode, PartnerFilter, the users partner parameter) filter lists to that partner', async () => {
  const values = [
    ...example('components', 'schemas', 'PartnerCode', 'examples'),
    example('components', 'parameters', 'PartnerFilter', 'example'),
    parameterExample('/v1/users', 'get', 'partner'),
  ];
  await newEsEntity(server, admin, 'expart');
  await newBeneficiary(server, admin, 'expart');
  for (const partner of new Set(values)) {
    assert.equal(partner, admin.partner, 'the records just made are the admin\'s partner\'s');
    for (const path of ['/v1/users', '/v1/es-entities', '/v1/beneficiaries']) {
      const res = await api(server, 'GET', `${path}?partner=${encodeURIComponent(partner)}&limit=50`, { headers: admin.headers });
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.ok(res.json.items.length > 0 && res.json.items.every((r) => r.partner === partner), `${path}: only ${partner}`);
    }
  }
});

// ---- the records: create bodies and property examples ----

for (const resource of ['partnership-members', 'es-entities', 'services', 'beneficiaries']) {
  test(`the POST /v1/${resource} example is accepted: 201 with the record it describes`, async () => {
    const body = requestExample(`/v1/${resource}`, 'post');
    const res = await createRetryingUniqueness(resource, body);
    assertShows(res.json, body, `POST /v1/${resource}`);
    assertShows((await readBack(resource, res.json.id)).json, body, `GET /v1/${resource}/{id}`);
    await remove(resource, res);
  });
}

test('the partnership members\' property examples are taken on create and on patch and shown as sent', async () => {
  await checkPropertyExamples('partnership-members', 'PartnershipMember', { name: `Przykład ${crypto.randomBytes(3).toString('hex')}`, kind: 'ngo' },
    ['code', 'nip', 'regon', 'krs', 'teryt_gmina', 'postal_code', 'email', 'phone']);
});

test('the ES entities\' property examples are taken on create and on patch and shown as sent', async () => {
  await checkPropertyExamples('es-entities', 'EsEntity', { name: `Spółdzielnia przykładowa ${crypto.randomBytes(3).toString('hex')}`, legal_form: 'social_cooperative', teryt_gmina: '1604013' },
    ['krs', 'nip', 'regon', 'teryt_gmina', 'postal_code', 'email', 'phone', 'website']);
});

test('the service code examples: the seeded one a read shows, the create and patch ones are taken', async () => {
  await checkPropertyExamples('services', 'Service', { code: `ex-${crypto.randomBytes(3).toString('hex')}`, name: 'Usługa z przykładu', kind: 'advisory' }, ['code']);
});

test('the beneficiaries\' property examples are taken on create and on patch and shown as sent', async () => {
  await checkPropertyExamples('beneficiaries', 'Beneficiary', {
    first_name: 'Ewa', last_name: `Przykładowa ${crypto.randomBytes(3).toString('hex')}`, gender: 'female', teryt_gmina: '1604013', consent_on: '2026-02-01',
    education: 'upper_secondary', labour_status: 'unemployed',
  }, ['pesel', 'teryt_gmina', 'postal_code', 'email', 'phone']);
});

test('the deliveries examples: the create body (with ids of real records), hours, the period filter, attendance', async () => {
  const services = await seededServices(server, admin);
  const entity = await newEsEntity(server, admin, 'exd');
  const body = requestExample('/v1/deliveries', 'post');
  assert.match(body.service_id, UUID);
  assert.match(body.es_entity_id, UUID);
  const sent = { ...body, service_id: services.advisory.id, es_entity_id: entity.id };
  const made = await createRetryingUniqueness('deliveries', sent);
  const { started_at: at, ...rest } = sent;
  assertShows(made.json, rest, 'POST delivery');
  assert.equal(Date.parse(made.json.started_at), Date.parse(at), 'started_at is the same instant');

  const from = parameterExample('/v1/deliveries', 'get', 'from');
  const to = parameterExample('/v1/deliveries', 'get', 'to');
  const inPeriod = await api(server, 'GET', `/v1/deliveries?from=${from}&to=${to}&es_entity_id=${entity.id}`, { headers: admin.headers });
  assert.equal(inPeriod.status, 200, inPeriod.text);
  assert.deepEqual(inPeriod.json.items.map((d) => d.id), [made.json.id], 'the example delivery is within the example period');

  const hours = new Set(['Delivery', 'DeliveryCreate', 'DeliveryPatch'].flatMap((s) => propertyExamples(s, 'hours')));
  for (const h of hours) {
    const withHours = await createRetryingUniqueness('deliveries', { ...sent, hours: h });
    assert.equal(withHours.json.hours, h);
    assert.equal((await readBack('deliveries', withHours.json.id)).json.hours, h);
    const changed = await patchRetryingUniqueness('deliveries', made.json.id, { hours: h });
    assert.equal(changed.json.hours, h);
    await remove('deliveries', withHours);
  }

  // attendance: the example beneficiary id is no one's here; a real one takes the example body
  const unknown = parameterExample('/v1/deliveries/{id}/participants/{beneficiary_id}', 'put', 'beneficiary_id');
  const attendance = requestExample('/v1/deliveries/{id}/participants/{beneficiary_id}', 'put');
  const nobody = await api(server, 'PUT', `/v1/deliveries/${made.json.id}/participants/${unknown}`, { headers: admin.headers, body: attendance });
  assert.deepEqual(expectProblem(nobody, 422).errors.map((e) => e.field), ['beneficiary_id']);
  const person = await newBeneficiary(server, admin, 'exd');
  const put = await api(server, 'PUT', `/v1/deliveries/${made.json.id}/participants/${person.id}`, { headers: admin.headers, body: attendance });
  assert.equal(put.status, 201, put.text);
  assertShows(put.json, attendance, 'PUT participant');
  const removed = await api(server, 'DELETE', `/v1/deliveries/${made.json.id}/participants/${unknown}`, { headers: admin.headers });
  expectProblem(removed, 404);
});

// ---- audit, changes and the shared parameters ----

test('the audit examples: an update of an ES entity\'s name and email is the entry they describe, found by the period filter', async () => {
  const entity = await newEsEntity(server, admin, 'exa');
  const etag = (await readBack('es-entities', entity.id)).headers.get('etag');
  const [fields] = propertyExamples('AuditEntry', 'fields');
  const patch = Object.fromEntries(fields.map((f) => [f, f === 'email' ? 'biuro@example.pl' : `Spółdzielnia po zmianie ${crypto.randomBytes(3).toString('hex')}`]));
  const res = await api(server, 'PATCH', `/v1/es-entities/${entity.id}`, {
    headers: { ...admin.headers, 'If-Match': etag, 'Content-Type': 'application/merge-patch+json' }, body: patch,
  });
  assert.equal(res.status, 200, res.text);

  const [action] = propertyExamples('AuditEntry', 'action');
  const [resource] = propertyExamples('AuditEntry', 'resource');
  const [someId] = propertyExamples('AuditEntry', 'resource_id');
  const q = new URLSearchParams({ resource, resource_id: entity.id, limit: '50' });
  const entries = await api(server, 'GET', `/v1/audit?${q}`, { headers: admin.headers });
  assert.equal(entries.status, 200, entries.text);
  const entry = entries.json.items.find((e) => e.action === action);
  assert.ok(entry, `an ${action} entry: ${entries.text}`);
  assert.deepEqual([...entry.fields].sort(), [...fields].sort());

  const from = parameterExample('/v1/audit', 'get', 'from');
  const to = parameterExample('/v1/audit', 'get', 'to');
  const inPeriod = await api(server, 'GET', `/v1/audit?from=${from}&to=${to}&resource_id=${someId}`, { headers: admin.headers });
  assert.equal(inPeriod.status, 200, inPeriod.text);
  assert.deepEqual(inPeriod.json.items, [], 'no entry for the example\'s id, which names no record here');
});

test('the change feed example has the shape of a real page: the upsert of an ES entity\'s second version', async () => {
  const documented = responseExample('/v1/changes', 'get', 200);
  const entity = await newEsEntity(server, admin, 'exc');
  await patchRetryingUniqueness('es-entities', entity.id, { city: 'Byczyna' }); // the example shows a second version
  let found;
  let page;
  let after = 0;
  for (let i = 0; i < 1000 && !found; i++) {
    page = await api(server, 'GET', `/v1/changes?after=${after}&limit=1000`, { headers: admin.headers });
    assert.equal(page.status, 200, page.text);
    if (page.json.items.length === 0) break;
    found = page.json.items.find((c) => c.id === entity.id && c.version === 2);
    after = page.json.next;
  }
  assert.ok(found, 'the new entity is in the feed');
  assert.deepEqual(shape({ ...page.json, items: [found] }), shape(documented));
  for (const k of ['resource', 'op', 'version']) assert.equal(found[k], documented.items[0][k], k);
});

test('the shared parameter examples: RecordId, UpdatedSince, a Timestamp, If-Match and If-None-Match', async () => {
  const id = example('components', 'parameters', 'RecordId', 'example');
  expectProblem(await api(server, 'GET', `/v1/es-entities/${id}`, { headers: admin.headers }), 404);

  const since = [example('components', 'parameters', 'UpdatedSince', 'example'), ...example('components', 'schemas', 'Timestamp', 'examples')];
  for (const value of since) {
    const res = await api(server, 'GET', `/v1/es-entities?updated_since=${encodeURIComponent(value)}&limit=5`, { headers: admin.headers });
    assert.equal(res.status, 200, `${value}: ${res.text}`);
  }

  // a record at the version the examples name: If-Match takes it, If-None-Match finds it unchanged
  const ifMatch = example('components', 'parameters', 'IfMatch', 'example');
  const ifNoneMatch = example('components', 'parameters', 'IfNoneMatch', 'example');
  const version = Number(JSON.parse(ifMatch)) - 1;
  const member = await newMember(server, admin, 'exp');
  for (let v = 1; v < version; v++) await patchRetryingUniqueness('partnership-members', member.id, { city: `Miasto ${v}` });
  assert.equal((await readBack('partnership-members', member.id)).headers.get('etag'), `"${version}"`);
  const res = await api(server, 'PATCH', `/v1/partnership-members/${member.id}`, {
    headers: { ...admin.headers, 'If-Match': `"${version}"`, 'Content-Type': 'application/merge-patch+json' }, body: { city: 'Byczyna' },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('etag'), ifMatch);
  const again = await api(server, 'PATCH', `/v1/partnership-members/${member.id}`, {
    headers: { ...admin.headers, 'If-Match': ifMatch, 'Content-Type': 'application/merge-patch+json' }, body: { city: 'Chorzów' },
  });
  assert.equal(again.status, 200, again.text);
  const unchanged = await api(server, 'GET', `/v1/partnership-members/${member.id}`, { headers: { ...admin.headers, 'If-None-Match': `"${Number(JSON.parse(ifMatch)) + 1}"` } });
  assert.equal(unchanged.status, 304);
  const stale = await api(server, 'GET', `/v1/partnership-members/${member.id}`, { headers: { ...admin.headers, 'If-None-Match': ifNoneMatch } });
  assert.equal(stale.status, 200, 'an older version is not a match');
});

test('the FieldError code example is a code the server sends for a field of the wrong type', async () => {
  const [code] = propertyExamples('FieldError', 'code');
  const res = await api(server, 'POST', '/v1/es-entities', { headers: admin.headers, body: { name: 'X', legal_form: 'social_cooperative', teryt_gmina: 1604013 } });
  const problem = expectProblem(res, 422);
  assert.deepEqual(problem.errors.map((e) => [e.field, e.code]), [['teryt_gmina', code]]);
});

// ---- last: nothing left unsent ----

/* The key paths of every example and examples member in value. */
function examplesIn(value, keys = []) {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...((k === 'example' || k === 'examples') && !(keys.at(-1) === 'properties') ? [[...keys, k].join(' > ')] : []),
    ...examplesIn(v, [...keys, k]),
  ]);
}

// The problem examples of the shared responses are compared with real
// answers by problem_types.test.js, which makes every kind of problem (and
// asserts that it compared each of them).
const SHARED_PROBLEM_EXAMPLE = /^components > responses > [A-Za-z]+ > content > application\/problem\+json > example$/;

test('every example of the contract was sent or compared by a test of this file (or, for the shared problems, of problem_types.test.js)', () => {
  const all = examplesIn(doc);
  assert.ok(all.length > 50, `the contract has examples (${all.length})`);
  assert.deepEqual(all.filter((k) => !covered.has(k) && !SHARED_PROBLEM_EXAMPLE.test(k)), [], 'examples no test sends');
});
