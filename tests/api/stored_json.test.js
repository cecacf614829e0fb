'use strict';
// Stored representations: every engine table keeps each record's JSON as
// the API answers it (column api_json, written by a trigger that
// `ips-api migrate` generates from the resource descriptors). Reads send the
// stored text; these tests hold it to the record's columns.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const { startServer } = require('./lib/server');
const { api } = require('./lib/http');
const { psql } = require('./lib/psql');
const { createUser, signIn, strongPassword, uniqueName } = require('./lib/users');
const R = require('./lib/records');

const DB = process.env.IPS_TEST_DATABASE_URL;
// The tables and the API path of each engine resource stored there.
const STORED = {
  es_entities: 'es-entities', beneficiaries: 'beneficiaries', deliveries: 'deliveries',
  partnership_members: 'partnership-members', services: 'services', users: 'users',
};

let server;
let S;
let T;

before(async () => {
  server = await startServer();
  S = await R.staff(server, 'sj');
  T = R.tag('sj');
});

after(async () => {
  if (server) await server.stop();
});

/* Rows of table whose stored JSON differs from what its trigger builds
 * from the row's columns now: the trigger's own expression, read from its
 * function, over the table in one read-only statement (other test files
 * write meanwhile; one snapshot sees each row whole). */
async function drifted(url, table) {
  const body = await psql(url, `SELECT prosrc FROM pg_proc WHERE proname = 'api_json_${table}'`);
  const m = /NEW\.api_json := (.*)::text; RETURN NEW;/s.exec(body);
  assert.ok(m, `the trigger function of ${table}: ${body.slice(0, 200)}`);
  const expr = m[1].replace(/NEW\./g, '');
  const out = await psql(url, `SET TimeZone = 'UTC'; SELECT count(*) FROM ${table} WHERE api_json IS DISTINCT FROM (${expr})::text`);
  return Number(out.split('\n').pop());
}

/* Records of every engine resource, written in every way the API writes:
 * create, patch, soft delete, erasure, attendance, a password change. */
async function writeEveryWay() {
  const entity = await R.newEsEntity(server, S.admin, T);
  const patchedEntity = await R.patched(server, S.admin, 'es-entities', entity.id, { city: 'Opole', employees: 7 });
  assert.equal(patchedEntity.status, 200, patchedEntity.text);
  const member = await R.newMember(server, S.admin, T);
  const service = await R.newService(server, S.admin, T);
  const person = await R.newBeneficiary(server, S.coordinator.byczyna, T);
  const erased = await R.newBeneficiary(server, S.coordinator.byczyna, T);
  const erasure = await api(server, 'POST', `/v1/beneficiaries/${erased.id}/erasure`, {
    headers: { ...S.admin.headers, 'If-Match': '"1"' },
  });
  assert.equal(erasure.status, 200, erasure.text);
  const delivery = await R.newDelivery(server, S.coordinator.byczyna, T, { service_id: service.id, es_entity_id: entity.id });
  const attended = await api(server, 'PUT', `/v1/deliveries/${delivery.id}/participants/${person.id}`, {
    headers: S.coordinator.byczyna.headers, body: { attended: true },
  });
  assert.ok(attended.status === 201 || attended.status === 200, attended.text);
  const gone = await R.newService(server, S.admin, T);
  await R.removed(server, S.admin, 'services', gone.id);
  return { entity, member, service, person, erased, delivery };
}

test('every record\'s stored JSON is what its columns give now, after creates, patches, deletes, erasure and attendance', async () => {
  await writeEveryWay();
  for (const table of Object.keys(STORED)) {
    const missing = await psql(DB, `SELECT count(*) FROM ${table} WHERE api_json IS NULL`);
    assert.equal(missing, '0', `${table}: every row has its JSON stored`);
    assert.equal(await drifted(DB, table), 0, `${table}: no stored JSON differs from its columns`);
  }
});

test('the trigger that stores the JSON is the last BEFORE trigger of each table, so that it sees the row as it is written', async () => {
  // BEFORE ROW triggers fire in name order: one named after zz_api_json
  // could change the row after its JSON was stored
  const tables = Object.keys(STORED).map((t) => `'${t}'`).join(', ');
  const later = await psql(DB, `SELECT string_agg(c.relname || '.' || t.tgname, ', ')
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relname IN (${tables}) AND NOT t.tgisinternal
       AND (t.tgtype & 2) <> 0 AND (t.tgtype & 1) <> 0 AND t.tgname > 'zz_api_json'`);
  assert.equal(later, '', `BEFORE ROW triggers after zz_api_json: ${later}`);
  const installed = await psql(DB, `SELECT count(DISTINCT c.relname) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relname IN (${tables}) AND t.tgname = 'zz_api_json' AND t.tgenabled = 'O'`);
  assert.equal(installed, String(Object.keys(STORED).length), 'every engine table has it, enabled');
});

test('an erased beneficiary\'s stored JSON holds none of its personal data', async () => {
  const { erased } = await writeEveryWay();
  const stored = await psql(DB, `SELECT api_json FROM beneficiaries WHERE id = '${erased.id}'`);
  for (const field of ['first_name', 'last_name', 'pesel', 'email', 'phone', 'street']) {
    assert.ok(erased[field] !== null && erased[field] !== undefined, `the beneficiary had ${field}`);
    assert.ok(!stored.includes(String(erased[field])), `${field} is gone from the stored JSON`);
  }
  assert.equal(JSON.parse(stored).erased, true);
});

test('the stored JSON is byte for byte what the API builds from the columns when a row has none', async () => {
  const made = await writeEveryWay();
  const records = {
    es_entities: made.entity.id, beneficiaries: made.person.id, deliveries: made.delivery.id,
    partnership_members: made.member.id, services: made.service.id, users: S.advisor.byczyna.id,
  };
  for (const [table, id] of Object.entries(records)) {
    const path = `/v1/${STORED[table]}/${id}`;
    const stored = await api(server, 'GET', path, { headers: S.admin.headers });
    assert.equal(stored.status, 200, `${path}: ${stored.text}`);
    // as a row loaded with triggers off would be: no stored JSON
    await psql(DB, `SET session_replication_role = replica; UPDATE ${table} SET api_json = NULL WHERE id = '${id}'`);
    const built = await api(server, 'GET', path, { headers: S.admin.headers });
    assert.equal(built.status, 200, built.text);
    assert.equal(built.text, stored.text, `${path}: the same answer from the stored and the built JSON`);
    assert.equal(built.headers.get('etag'), stored.headers.get('etag'));
    // a coordinator of the other partner still gets the record without PII
    if (table === 'beneficiaries') {
      const other = await api(server, 'GET', path, { headers: S.coordinator.chorzow.headers });
      assert.equal(other.status, 200);
      assert.equal(other.json.pesel, undefined, 'no PESEL for the other partner');
    }
    // the next write stores it again
    await psql(DB, `UPDATE ${table} SET updated_at = updated_at WHERE id = '${id}'`);
    assert.notEqual(await psql(DB, `SELECT api_json IS NULL FROM ${table} WHERE id = '${id}'`), 't');
  }
});

/* Runs `ips-api migrate` on url; resolves to {code, output}. */
function migrate(url) {
  return new Promise((resolve) => {
    execFile(process.env.IPS_BIN, ['migrate'], { env: { ...process.env, IPS_DATABASE_URL: url }, timeout: 120000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, output: `${stdout}${stderr}` }));
  });
}

test('serve refuses a database whose stored JSON is another binary\'s; migrate recomputes it and serve starts', async () => {
  // a database of its own: the others' servers keep serving meanwhile
  const name = `ips_stored_json_${process.pid}`;
  const scratch = DB.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
  await psql(DB, `DROP DATABASE IF EXISTS ${name}`);
  await psql(DB, `CREATE DATABASE ${name}`);
  try {
    const first = await migrate(scratch);
    assert.equal(first.code, 0, first.output);
    const username = uniqueName('sjadm');
    const password = strongPassword();
    await createUser({ username, partner: 'byczyna', role: 'admin', password, databaseUrl: scratch });
    // an older binary stored services in another form
    await psql(scratch, `UPDATE api_json_forms SET definition = 'an older form' WHERE table_name = 'services';
      SET session_replication_role = replica;
      UPDATE services SET api_json = '{"stale":true}'`);
    const refused = await startServer({ env: { IPS_DATABASE_URL: scratch } }).then(
      async (s) => { await s.stop(); return null; }, (e) => e);
    assert.ok(refused, 'serve does not start on stored JSON of another form');
    assert.match(refused.message, /services.*ips-api migrate/s, refused.message);
    const again = await migrate(scratch);
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /services stores its JSON/);
    assert.equal(await psql(scratch, "SELECT count(*) FROM services WHERE api_json LIKE '%stale%'"), '0');
    assert.equal(await drifted(scratch, 'services'), 0);
    const s = await startServer({ env: { IPS_DATABASE_URL: scratch } });
    try {
      const t = await signIn(s, username, password);
      const list = await api(s, 'GET', '/v1/services?limit=200', { headers: { Authorization: `Bearer ${t.access_token}` } });
      assert.equal(list.status, 200, list.text);
      assert.ok(list.json.items.length > 0);
      for (const item of list.json.items) assert.equal(item.stale, undefined);
      // a migrate with nothing changed recomputes nothing
      const third = await migrate(scratch);
      assert.equal(third.code, 0, third.output);
      assert.doesNotMatch(third.output, /stores its JSON/);
    } finally {
      await s.stop();
    }
  } finally {
    await psql(DB, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
});
