'use strict';
// The contract and its documentation, served by the binary itself:
// /openapi.yaml, /openapi.json, /docs and the files the page loads; then a
// real browser (Debian's Chromium, driven by playwright-core) renders /docs.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const YAML = require('yaml');
const { chromium } = require('playwright-core');
const { startServer } = require('./lib/server');
const { api: httpApi, expectProblem } = require('./lib/http');

// These tests are about the documents as they are (identity): compression.test.js
// checks their gzip-coded form, which fetch would otherwise ask for.
function api(srv, method, p, opts = {}) {
  return httpApi(srv, method, p, { ...opts, headers: { 'Accept-Encoding': 'identity', ...(opts.headers || {}) } });
}
const { SPEC_PATH, REPO_ROOT } = require('./lib/contract');

const BUNDLE_PATH = path.join(REPO_ROOT, 'api', 'docs', 'node_modules', 'redoc', 'bundles', 'redoc.standalone.js');
const DOCUMENTS = ['/openapi.yaml', '/openapi.json', '/docs', '/docs/docs.js', '/docs/redoc.standalone.js'];
const STRONG_ETAG = /^"[0-9a-f]{32}"$/;
const RENDER_TIMEOUT_MS = 60000;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  if (server) await server.stop();
});

function cspDirectives(header) {
  const out = {};
  for (const part of String(header || '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out[name.toLowerCase()] = sources;
  }
  return out;
}

/* Every src, href and spec-url of the HTML text. */
function referencedUrls(html) {
  const re = /\s(src|href|spec-url)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;
  return [...html.matchAll(re)].map((m) => ({ attribute: m[1], value: m[2] ?? m[3] ?? m[4] }));
}

/* Where the screenshot goes: $IPS_TEST_ARTIFACTS (meson's build folder), else a temporary folder. */
function artifactsDir() {
  const dir = process.env.IPS_TEST_ARTIFACTS || fs.mkdtempSync(path.join(os.tmpdir(), 'ips-api-artifacts-'));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

test('GET /openapi.yaml is api/openapi.yaml byte for byte, application/yaml, public and cached for five minutes', async () => {
  const res = await api(server, 'GET', '/openapi.yaml');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/yaml');
  assert.equal(Number(res.headers.get('content-length')), fs.statSync(SPEC_PATH).size);
  assert.equal(res.text, fs.readFileSync(SPEC_PATH, 'utf8'));
  assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
  assert.match(res.headers.get('etag'), STRONG_ETAG);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
});

test('GET /openapi.json is the same contract as JSON: deep-equal to api/openapi.yaml as a YAML reader reads it', async () => {
  const res = await api(server, 'GET', '/openapi.json');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.deepEqual(res.json, YAML.parse(fs.readFileSync(SPEC_PATH, 'utf8')));
  assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
  assert.match(res.headers.get('etag'), STRONG_ETAG);
  const yaml = await api(server, 'GET', '/openapi.yaml');
  assert.notEqual(res.headers.get('etag'), yaml.headers.get('etag'), 'each representation has its own tag');
});

test('every document answers 304 to If-None-Match naming its ETag (alone, in a list, weak), and 200 to another tag', async () => {
  for (const p of DOCUMENTS) {
    const first = await api(server, 'GET', p);
    const etag = first.headers.get('etag');
    assert.match(etag, STRONG_ETAG, `${p}: ETag`);
    for (const given of [etag, `"0000", ${etag}`, `W/${etag}`, '*']) {
      const again = await api(server, 'GET', p, { headers: { 'If-None-Match': given } });
      assert.equal(again.status, 304, `${p} with If-None-Match: ${given}`);
      assert.equal(again.text, '', `${p}: a 304 has no body`);
      assert.equal(again.headers.get('etag'), etag, `${p}: the 304 names the tag`);
      assert.equal(again.headers.get('cache-control'), first.headers.get('cache-control'), `${p}: the 304 renews the caching`);
    }
    const other = await api(server, 'GET', p, { headers: { 'If-None-Match': '"00000000000000000000000000000000"' } });
    assert.equal(other.status, 200, `${p} with another tag`);
    assert.equal(other.text, first.text, `${p}: the same body`);
  }
});

test('HEAD of every document has the headers of GET and no body', async () => {
  for (const p of DOCUMENTS) {
    const get = await api(server, 'GET', p);
    const head = await api(server, 'HEAD', p);
    assert.equal(head.status, 200, p);
    assert.equal(head.text, '', `${p}: no body`);
    for (const h of ['content-type', 'content-length', 'etag', 'cache-control', 'content-security-policy']) {
      assert.equal(head.headers.get(h), get.headers.get(h), `${p}: ${h}`);
    }
  }
});

test('the documents need no token, refuse a query parameter (400) and another method (405 with Allow)', async () => {
  const res = await api(server, 'GET', '/docs', { headers: { Authorization: 'Bearer not-a-token' } });
  assert.equal(res.status, 200);
  const p = expectProblem(await api(server, 'GET', '/openapi.json?format=yaml'), 400);
  assert.equal(p.errors[0].field, 'format');
  const post = await api(server, 'POST', '/openapi.yaml', { body: {} });
  expectProblem(post, 405);
  assert.match(post.headers.get('allow'), /\bGET\b/);
});

test('GET /docs is HTML whose every src and href is of this origin, with a CSP of self only (and what Redoc needs)', async () => {
  const res = await api(server, 'GET', '/docs');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(res.text, /^<!DOCTYPE html>/i);
  const urls = referencedUrls(res.text);
  assert.deepEqual(urls.map((u) => u.value).sort(),
    ['/docs/docs.js', '/docs/redoc.standalone.js', '/openapi.json', 'data:,'].sort(), 'what the page refers to');
  const origin = new URL(server.url).origin;
  for (const { attribute, value } of urls) {
    const url = new URL(value, `${server.url}/docs`);
    assert.ok(url.protocol === 'data:' || url.origin === origin, `${attribute}="${value}" is of this origin`);
  }
  const csp = cspDirectives(res.headers.get('content-security-policy'));
  assert.deepEqual(csp['default-src'], ["'none'"]);
  assert.deepEqual(csp['script-src'], ["'self'"], 'scripts only from this origin, none inline');
  assert.deepEqual(csp['connect-src'], ["'self'"]);
  assert.deepEqual(csp['style-src'], ["'self'", "'unsafe-inline'"]);
  assert.deepEqual(csp['img-src'], ["'self'", 'data:']);
  assert.deepEqual(csp['worker-src'], ['blob:']);
  assert.deepEqual(csp['frame-ancestors'], ["'none'"]);
  for (const [name, sources] of Object.entries(csp)) {
    for (const s of sources) assert.ok(!/^(https?:|\*|'unsafe-eval')/.test(s), `${name} allows ${s}`);
  }
});

test('the Redoc bundle is JavaScript, byte-equal to the one api/docs/package-lock.json pins, cached for a day', async () => {
  const res = await fetch(`${server.url}/docs/redoc.standalone.js`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'public, max-age=86400');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const served = Buffer.from(await res.arrayBuffer());
  assert.ok(served.equals(fs.readFileSync(BUNDLE_PATH)), `the bytes of ${BUNDLE_PATH} (${served.length} served)`);
  const script = await api(server, 'GET', '/docs/docs.js');
  assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(script.text, fs.readFileSync(path.join(REPO_ROOT, 'src', 'docs', 'docs.js'), 'utf8'));
});

test('Chromium renders /docs: the contract\'s title and an operation, search works, nothing from another origin, no error', { timeout: 180000 }, async () => {
  const executablePath = process.env.IPS_TEST_CHROMIUM || '/usr/bin/chromium';
  assert.ok(fs.existsSync(executablePath), `Chromium at ${executablePath} (deploy/test.sh installs Debian's chromium)`);
  const title = YAML.parse(fs.readFileSync(SPEC_PATH, 'utf8')).info.title;
  // Chromium's sandbox cannot start as root: only then without it.
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath, args, timeout: RENDER_TIMEOUT_MS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const origin = new URL(server.url).origin;
    const requests = [];
    const problems = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure() && r.failure().errorText})`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // injected by the browser itself, so the page's CSP does not stop it
    await page.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.cspViolations.push(`${e.violatedDirective} refused ${e.blockedURI}`));
    });

    const res = await page.goto(`${server.url}/docs`, { timeout: RENDER_TIMEOUT_MS });
    assert.equal(res.status(), 200);
    await page.getByRole('heading', { level: 1, name: new RegExp(`^${title}`) }).waitFor({ timeout: RENDER_TIMEOUT_MS });
    await page.getByRole('heading', { name: 'One gmina' }).first().waitFor({ state: 'attached', timeout: RENDER_TIMEOUT_MS });
    // the search index lives in a worker made from a blob: URL
    await page.getByPlaceholder('Search...').fill('gmina');
    await page.locator('[data-role="search:results"]').waitFor({ timeout: RENDER_TIMEOUT_MS });
    const shot = path.join(artifactsDir(), 'docs.png');
    await page.screenshot({ path: shot });
    assert.ok(fs.statSync(shot).size > 10000, `a screenshot in ${shot}`);

    const foreign = requests.filter((u) => {
      const url = new URL(u);
      return !['data:', 'blob:'].includes(url.protocol) && url.origin !== origin;
    });
    assert.deepEqual(foreign, [], 'requests to another origin');
    for (const p of ['/docs', '/docs/docs.js', '/docs/redoc.standalone.js', '/openapi.json']) {
      assert.ok(requests.includes(origin + p), `the page loaded ${p}: ${requests.join(', ')}`);
    }
    assert.deepEqual(await page.evaluate(() => window.cspViolations), [], 'CSP violations');
    assert.deepEqual(problems, [], 'console errors, page errors and failed requests');
  } finally {
    await browser.close();
  }
});
