'use strict';
// Rules of api/openapi.yaml that generated clients depend on: what the
// server always demands is required in the contract, and what it fills in
// itself is not a `default:` of a request body (openapi-typescript turns a
// field with a default into a required one, so a valid request would not
// type-check); an example reads the same in any YAML reader (examples.test.js
// sends every one to the server).

const fs = require('node:fs');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const YAML = require('yaml');
const { spec, SPEC_PATH, validateSchema } = require('./lib/contract');

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

/* The object a {$ref: '#/...'} points to in the spec, or obj itself. */
function resolve(doc, obj) {
  if (!obj || typeof obj.$ref !== 'string') return obj;
  return obj.$ref.slice(2).split('/').reduce((o, k) => o[k], doc);
}

/* Every [method, path, operation] of the spec. */
function operations(doc) {
  return Object.entries(doc.paths).flatMap(([p, item]) =>
    METHODS.filter((m) => item[m]).map((m) => [m.toUpperCase(), p, item[m]]));
}

/* The names of the properties of schema (through $ref, allOf, oneOf, anyOf) that have a default. */
function propertiesWithDefaults(doc, schema, seen = new Set()) {
  const s = resolve(doc, schema);
  if (!s || typeof s !== 'object' || seen.has(s)) return [];
  seen.add(s);
  const own = Object.entries(s.properties || {})
    .filter(([, prop]) => resolve(doc, prop) && 'default' in resolve(doc, prop)).map(([name]) => name);
  const nested = ['allOf', 'oneOf', 'anyOf'].flatMap((k) => (s[k] || []).flatMap((sub) => propertiesWithDefaults(doc, sub, seen)));
  return [...own, ...nested];
}

test('every operation that answers 428 without If-Match documents If-Match as a required header', () => {
  const doc = spec();
  const writes = operations(doc).filter(([, , op]) => op.responses && op.responses['428']);
  assert.ok(writes.length >= 10, `the contract documents 428 on the writes (found ${writes.length})`);
  for (const [method, p, op] of writes) {
    const ifMatch = (op.parameters || []).map((x) => resolve(doc, x)).find((x) => x.in === 'header' && x.name === 'If-Match');
    assert.ok(ifMatch, `${method} ${p} answers 428 but documents no If-Match`);
    assert.equal(ifMatch.required, true, `${method} ${p}: If-Match must be required`);
  }
});

test('no request body gives a field a default: the server fills it in, a client may leave it out', () => {
  const doc = spec();
  const found = [];
  for (const [method, p, op] of operations(doc)) {
    const body = resolve(doc, op.requestBody);
    for (const [type, media] of Object.entries((body && body.content) || {})) {
      for (const name of propertiesWithDefaults(doc, media.schema)) found.push(`${method} ${p} (${type}): ${name}`);
    }
  }
  assert.deepEqual(found, [], 'request body fields with a default');
});

/* The JSON pointers of the values in doc that are Date objects. */
function datesIn(value, where = '') {
  if (value instanceof Date) return [where];
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => datesIn(v, `${where}/${k}`));
}

test('no value of the contract reads as a date object in a YAML 1.1 reader (dates and timestamps are quoted strings)', () => {
  const doc = YAML.parse(fs.readFileSync(SPEC_PATH, 'utf8'), { schema: 'yaml-1.1' });
  assert.deepEqual(datesIn(doc), [], 'values a YAML 1.1 reader turns into dates');
});

/* [pointer, schema] of every schema object in value (depth first). */
function schemasIn(value, where = '') {
  if (!value || typeof value !== 'object') return [];
  const here = Array.isArray(value.required) ? [[where, value]] : [];
  return here.concat(Object.entries(value).flatMap(([k, v]) => schemasIn(v, `${where}/${k}`)));
}

/* The property names schema declares itself or through its allOf members. */
function declaredProperties(doc, schema) {
  const s = resolve(doc, schema) || {};
  return [...Object.keys(s.properties || {}), ...(s.allOf || []).flatMap((sub) => declaredProperties(doc, sub))];
}

test('every required key of an object is a named property of it, so that typed clients keep its name', () => {
  const doc = spec();
  const unnamed = [];
  for (const [where, schema] of schemasIn(doc)) {
    const named = new Set(declaredProperties(doc, schema));
    for (const key of schema.required) if (!named.has(key)) unnamed.push(`${where}: ${key}`);
  }
  assert.deepEqual(unnamed, [], 'required keys without a property');
});

test('a Period is a date or a timestamp, matching exactly one branch of its oneOf even where format is only an annotation', () => {
  // OpenAPI 3.1 (JSON Schema 2020-12) treats format as an annotation by
  // default: most client validators do not assert it
  const Ajv2020 = require('ajv/dist/2020');
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  const branches = spec().components.schemas.Period.oneOf.map((b) => ajv.compile(b));
  const matching = (value) => branches.filter((v) => v(value)).length;
  for (const value of ['2026-03-01', '2026-03-01T09:15:27Z', '2026-03-01T09:15:27.123456+01:00']) {
    assert.equal(matching(value), 1, `${value} matches exactly one branch`);
    const { valid, message } = validateSchema('#/components/schemas/Period', value);
    assert.ok(valid, `${value}: ${message}`);
  }
  for (const value of ['2026-03', 'yesterday']) assert.equal(matching(value), 0, `${value} matches no branch`);
});

test('every operation documents its 500 (or default) answer, the shared InternalError problem', () => {
  const doc = spec();
  const ops = operations(doc);
  assert.ok(ops.length >= 40, `${ops.length} operations`);
  const missing = ops.filter(([, , op]) => !op.responses || !(op.responses['500'] || op.responses.default))
    .map(([method, p]) => `${method} ${p}`);
  assert.deepEqual(missing, [], 'operations without a 500 or default response');
  for (const [method, p, op] of ops) {
    const answer = op.responses['500'] || op.responses.default;
    assert.equal(answer.$ref, '#/components/responses/InternalError', `${method} ${p}`);
  }
  const internal = doc.components.responses.InternalError.content['application/problem+json'];
  assert.equal(internal.example.type, '/problems/internal-error');
  assert.equal(internal.example.status, 500);
});
