'use strict';
// Rules of api/openapi.yaml that generated clients depend on: what the
// server always demands is required in the contract, and what it fills in
// itself is not a `default:` of a request body (openapi-typescript turns a
// field with a default into a required one, so a valid request would not
// type-check).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spec } = require('./lib/contract');

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
