'use strict';
// The contract check: every response a test sees is validated against
// api/openapi.yaml (OpenAPI 3.1). checkResponse() throws a ContractError that
// says which rule of the document the response broke.

const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const SPEC_PATH = path.join(REPO_ROOT, 'api', 'openapi.yaml');
// The id under which the whole document is registered with Ajv, so that a
// schema anywhere in it is `${DOC_ID}#/json/pointer` and its `$ref`s to
// `#/components/...` resolve inside the document.
const DOC_ID = 'https://ips-api.invalid/openapi.yaml';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// What a request may get on a path that exists but not with its method, or on
// a path that does not exist: checked against these shared responses. Request
// shape (413, 415, 400) is checked before routing, the database can be down.
const UNDOCUMENTED_METHOD_RESPONSES = {
  400: 'BadRequest', 405: 'MethodNotAllowed', 413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType', 503: 'ServiceUnavailable',
};
const UNKNOWN_ROUTE_RESPONSES = {
  400: 'BadRequest', 404: 'NotFound', 413: 'PayloadTooLarge', 415: 'UnsupportedMediaType',
};
// A CORS preflight is not an operation of the document: 204 with no body, or
// a refusal through the shared responses.
const PREFLIGHT_REFUSALS = { 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed' };

class ContractError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ContractError';
  }
}

let state = null;

function load() {
  if (state) return state;
  const doc = YAML.parse(fs.readFileSync(SPEC_PATH, 'utf8'));
  if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.1')) {
    throw new Error(`${SPEC_PATH}: expected OpenAPI 3.1, got ${doc.openapi}`);
  }
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema(doc, DOC_ID);
  const routes = Object.keys(doc.paths || {}).map((template) => {
    const names = [];
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const m = /^\{([^}]+)\}$/.exec(part);
        if (m) {
          names.push(m[1]);
          return '([^/]+)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    return { template, names, regex: new RegExp(`^${source}$`) };
  });
  // Literal paths win over templated ones (/v1/x/export before /v1/x/{id}).
  routes.sort((a, b) => a.names.length - b.names.length);
  state = { doc, ajv, routes, validators: new Map() };
  return state;
}

function escapePointer(token) {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

function getAt(doc, pointer) {
  if (!pointer.startsWith('#')) throw new Error(`only local references are supported: ${pointer}`);
  let node = doc;
  for (const raw of pointer.slice(1).split('/').slice(1)) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(token in node)) {
      throw new Error(`unresolvable reference ${pointer}`);
    }
    node = node[token];
  }
  return node;
}

// Follows OpenAPI-level $refs (responses, parameters, headers). Returns the
// object and the JSON pointer of where it really lives in the document.
function deref(doc, node, pointer) {
  let seen = 0;
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    if (++seen > 32) throw new Error(`reference loop at ${pointer}`);
    pointer = node.$ref;
    node = getAt(doc, pointer);
  }
  return { node, pointer };
}

function validatorAt(pointer) {
  const st = load();
  let v = st.validators.get(pointer);
  if (!v) {
    v = st.ajv.compile({ $ref: `${DOC_ID}${pointer}` });
    st.validators.set(pointer, v);
  }
  return v;
}

function formatErrors(errors) {
  return (errors || [])
    .slice(0, 12)
    .map((e) => `  ${e.instancePath || '(root)'} ${e.message}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`)
    .join('\n');
}

// Headers from fetch's Headers, a Map, or a plain object -> {lower-case: value}.
function normalizeHeaders(headers) {
  const out = {};
  if (!headers) return out;
  const add = (k, v) => {
    const key = k.toLowerCase();
    const value = Array.isArray(v) ? v.join(', ') : String(v);
    out[key] = key in out ? `${out[key]}, ${value}` : value;
  };
  if (typeof headers.forEach === 'function' && !Array.isArray(headers)) {
    headers.forEach((v, k) => add(k, v));
  } else {
    for (const [k, v] of Object.entries(headers)) add(k, v);
  }
  return out;
}

function parseMediaType(value) {
  const [base, ...params] = String(value).split(';');
  const out = { type: base.trim().toLowerCase(), params: {} };
  for (const p of params) {
    const i = p.indexOf('=');
    if (i < 0) continue;
    const k = p.slice(0, i).trim().toLowerCase();
    let v = p.slice(i + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    out.params[k] = v;
  }
  return out;
}

function mediaTypeMatches(documented, actual) {
  const d = parseMediaType(documented);
  const a = parseMediaType(actual);
  const [dt, ds] = d.type.split('/');
  const [at, as] = a.type.split('/');
  if (!(dt === '*' || dt === at) || !(ds === '*' || ds === as)) return false;
  return Object.entries(d.params).every(([k, v]) => a.params[k] !== undefined && a.params[k].toLowerCase() === v.toLowerCase());
}

function isJsonMediaType(type) {
  const t = parseMediaType(type).type;
  return t === 'application/json' || /^application\/[^/]+\+json$/.test(t);
}

// Header values are strings on the wire: turn them into what the header's
// schema says before validating.
function coerceHeaderValue(schema, value) {
  const types = [].concat(schema && schema.type ? schema.type : []);
  if ((types.includes('integer') || types.includes('number')) && /^-?[0-9]+(\.[0-9]+)?$/.test(value.trim())) {
    return Number(value.trim());
  }
  if (types.includes('boolean') && /^(true|false)$/.test(value.trim())) return value.trim() === 'true';
  return value;
}

function describe(method, pathWithQuery, status) {
  return `${method.toUpperCase()} ${pathWithQuery} -> ${status}`;
}

// Validates one response object of the document (already dereferenced, at
// pointer) against what was received.
function checkAgainstResponse(where, st, response, pointer, headers, bodyText, method) {
  const problems = [];
  // Headers the document declares for this response.
  for (const [name, rawHeader] of Object.entries(response.headers || {})) {
    if (name.toLowerCase() === 'content-type') continue;
    const { node: header, pointer: hp } = deref(st.doc, rawHeader, `${pointer}/headers/${escapePointer(name)}`);
    const value = headers[name.toLowerCase()];
    if (value === undefined) {
      if (header.required) problems.push(`missing required header ${name}`);
      continue;
    }
    if (header.schema) {
      const v = validatorAt(`${hp}/schema`);
      if (!v(coerceHeaderValue(header.schema, value))) {
        problems.push(`header ${name}: ${JSON.stringify(value)} does not match its schema:\n${formatErrors(v.errors)}`);
      }
    }
  }

  const content = response.content || {};
  const mediaTypes = Object.keys(content);
  const hasBody = bodyText !== undefined && bodyText !== null && bodyText.length > 0;
  const contentType = headers['content-type'];
  if (mediaTypes.length === 0) {
    if (hasBody) problems.push(`the document declares no body, got ${bodyText.length} bytes (${contentType || 'no Content-Type'})`);
  } else if (method.toLowerCase() !== 'head') {
    if (!contentType) {
      problems.push(`missing Content-Type; documented: ${mediaTypes.join(', ')}`);
    } else {
      const mt = mediaTypes.find((m) => mediaTypeMatches(m, contentType));
      if (!mt) {
        problems.push(`Content-Type ${contentType} is not documented; documented: ${mediaTypes.join(', ')}`);
      } else if (isJsonMediaType(mt) || isJsonMediaType(contentType)) {
        let body;
        try {
          body = JSON.parse(bodyText);
        } catch (e) {
          problems.push(`body is not valid JSON (${e.message}): ${String(bodyText).slice(0, 200)}`);
        }
        if (body !== undefined && content[mt].schema) {
          const v = validatorAt(`${pointer}/content/${escapePointer(mt)}/schema`);
          if (!v(body)) {
            problems.push(`body does not match ${pointer}/content/${mt}/schema:\n${formatErrors(v.errors)}\n  body: ${String(bodyText).slice(0, 500)}`);
          }
        }
      } else if (content[mt].schema && !hasBody && content[mt].schema.minLength) {
        problems.push('empty body');
      }
    }
  }
  if (problems.length) {
    throw new ContractError(`contract violation: ${where} (checked against ${pointer}):\n- ${problems.join('\n- ')}`);
  }
}

function checkShared(where, st, name, headers, bodyText, method) {
  const pointer = `#/components/responses/${name}`;
  const response = getAt(st.doc, pointer);
  checkAgainstResponse(where, st, response, pointer, headers, bodyText, method);
}

/*
 * Checks one response against api/openapi.yaml. Throws a ContractError naming
 * the request, the rule and the part of the document it broke; returns
 * {template, operation} (template null for an unknown route) when it conforms.
 *   method         'GET', 'POST', ...
 *   pathWithQuery  '/v1/gminas?limit=2' (no scheme/host)
 *   status         the HTTP status
 *   headers        fetch Headers, a Map or a plain object
 *   bodyText       the body as text ('' when none)
 */
function checkResponse(method, pathWithQuery, status, headers, bodyText) {
  const st = load();
  const m = method.toLowerCase();
  const where = describe(method, pathWithQuery, status);
  const hdrs = normalizeHeaders(headers);
  const pathOnly = String(pathWithQuery).split('?')[0].split('#')[0];
  const route = st.routes.find((r) => r.regex.test(pathOnly));
  const preflight = m === 'options';

  if (!route) {
    const name = UNKNOWN_ROUTE_RESPONSES[status];
    if (!name) {
      throw new ContractError(`contract violation: ${where}: no path of the document matches ${pathOnly}, so only ${Object.keys(UNKNOWN_ROUTE_RESPONSES).join('/')} (#/components/responses/NotFound for the route itself) may answer`);
    }
    checkShared(where, st, name, hdrs, bodyText, method);
    return { template: null, operation: null };
  }

  const pathItem = st.doc.paths[route.template];
  // HEAD is GET without the body (RFC 9110 9.3.2) unless documented itself.
  const opMethod = m === 'head' && !pathItem.head && pathItem.get ? 'get' : m;
  const operation = METHODS.includes(opMethod) ? pathItem[opMethod] : undefined;
  if (!operation) {
    if (preflight && (status === 204 || status === 200)) {
      const problems = [];
      if (bodyText && bodyText.length) problems.push(`a preflight answer has no body, got ${bodyText.length} bytes`);
      const rid = hdrs['x-request-id'];
      const v = validatorAt('#/components/headers/XRequestId/schema');
      if (rid === undefined) problems.push('missing required header X-Request-Id');
      else if (!v(rid)) problems.push(`header X-Request-Id: ${JSON.stringify(rid)} does not match its schema`);
      if (problems.length) throw new ContractError(`contract violation: ${where} (CORS preflight):\n- ${problems.join('\n- ')}`);
      return { template: route.template, operation: null };
    }
    const table = preflight ? { ...UNDOCUMENTED_METHOD_RESPONSES, ...PREFLIGHT_REFUSALS } : UNDOCUMENTED_METHOD_RESPONSES;
    const name = table[status];
    if (!name) {
      const documented = METHODS.filter((x) => pathItem[x]).map((x) => x.toUpperCase()).join(', ');
      throw new ContractError(`contract violation: ${where}: ${route.template} documents ${documented} only, so ${method.toUpperCase()} may only get ${Object.keys(table).join('/')}${preflight ? ' or a 204 preflight' : ''}`);
    }
    checkShared(where, st, name, hdrs, bodyText, method);
    if (status === 405) {
      const allow = (hdrs.allow || '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
      const documented = METHODS.filter((x) => pathItem[x] && x !== 'options' && x !== 'head').map((x) => x.toUpperCase());
      const missing = documented.filter((x) => !allow.includes(x));
      if (missing.length) {
        throw new ContractError(`contract violation: ${where}: Allow ${JSON.stringify(hdrs.allow)} lacks the documented method(s) ${missing.join(', ')} of ${route.template}`);
      }
    }
    return { template: route.template, operation: null };
  }

  if (m === 'head' && bodyText && bodyText.length) {
    throw new ContractError(`contract violation: ${where}: a HEAD answer has no body, got ${bodyText.length} bytes`);
  }
  const opPointer = `#/paths/${escapePointer(route.template)}/${opMethod}`;
  const responses = operation.responses || {};
  const s = String(status);
  const key = [s, `${s[0]}XX`, `${s[0]}xx`, 'default'].find((k) => k in responses);
  if (!key) {
    throw new ContractError(`contract violation: ${where}: status ${status} is not documented for ${opMethod.toUpperCase()} ${route.template} (documented: ${Object.keys(responses).join(', ')})\n  body: ${String(bodyText || '').slice(0, 500)}`);
  }
  const { node: response, pointer } = deref(st.doc, responses[key], `${opPointer}/responses/${escapePointer(key)}`);
  checkAgainstResponse(where, st, response, pointer, hdrs, bodyText, method);
  return { template: route.template, operation };
}

/*
 * Validates a value against a schema of the document, e.g.
 * validateSchema('#/components/schemas/Gmina', obj). Returns {valid, errors}.
 */
function validateSchema(pointer, value) {
  const v = validatorAt(pointer);
  const valid = v(value);
  return { valid, errors: valid ? [] : v.errors, message: valid ? '' : formatErrors(v.errors) };
}

function spec() {
  return load().doc;
}

/*
 * True when api/openapi.yaml documents method on a path matching
 * pathWithQuery (its query ignored), e.g. documents('GET', '/v1/audit?x=1').
 */
function documents(method, pathWithQuery) {
  const st = load();
  const pathOnly = String(pathWithQuery).split('?')[0].split('#')[0];
  const route = st.routes.find((r) => r.regex.test(pathOnly));
  return Boolean(route && st.doc.paths[route.template][String(method).toLowerCase()]);
}

module.exports = { checkResponse, validateSchema, spec, documents, ContractError, SPEC_PATH, REPO_ROOT };
