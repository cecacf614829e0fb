'use strict';
// A real browser (Debian's chromium, headless) calls the API from another
// origin, as the staff frontend does: one page on an origin the server was
// configured for (IPS_CORS_ORIGINS), one on an origin it was not. The pages
// use fetch only and write what they saw into the DOM; the test reads it
// there, in what DevTools reports of the network and in the server's log.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, test } = require('node:test');

const { startServer } = require('../api/lib/server');
const { createUser, signIn, strongPassword, uniqueName } = require('../api/lib/users');
const { api } = require('../api/lib/http');
const { servePage } = require('./lib/pages');
const { closeBrowser, launchBrowser, pageFinished, recorded, recordedPage } = require('./lib/browser');

const TEST_TIMEOUT_MS = 120000;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const ETAG = /^(W\/)?"[^"]+"$/;

let allowed; // the page server on the configured origin
let foreign; // the page server on an origin the API does not know
let server;
let browser;
let admin; // {username, password}

before(async () => {
  allowed = await servePage('app.html');
  foreign = await servePage('foreign.html');
  server = await startServer({ env: { IPS_CORS_ORIGINS: allowed.origin, IPS_LOG_LEVEL: 'info' } });
  admin = { username: uniqueName('browser'), password: strongPassword() };
  await createUser({ ...admin, role: 'admin' });
  browser = await launchBrowser();
});

after(async () => {
  // Each one is closed even when another fails to.
  const steps = [() => closeBrowser(browser), () => server && server.stop(),
    () => allowed && allowed.close(), () => foreign && foreign.close()];
  const errors = [];
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length) throw errors[0];
});

/* The server's access log lines ("access METHOD ROUTE STATUS ... id=ID") as objects. */
function accessLog() {
  const out = [];
  for (const line of server.stderr().split('\n')) {
    const m = / access (\S+) (\S+) (\d{3}) \S+ id=(\S+)/.exec(line);
    if (m) out.push({ method: m[1], route: m[2], status: Number(m[3]), id: m[4] });
  }
  return out;
}

/* Where the screenshot goes: IPS_BROWSER_ARTIFACTS (the build folder, from meson) or a temporary folder. */
function artifactPath(name) {
  const dir = process.env.IPS_BROWSER_ARTIFACTS || fs.mkdtempSync(path.join(os.tmpdir(), 'ips-browser-'));
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

/* What the page wrote as <dd id="r-NAME">, as text. */
async function shown(page, name) {
  const cell = page.locator(`#r-${name}`);
  assert.equal(await cell.count(), 1, `the page shows ${name}`);
  return cell.textContent();
}

// The allowed page runs once; the tests below read what it left.
let appRun = null;
function runAppPage() {
  if (!appRun) {
    appRun = (async () => {
      const { context, page, requests } = await recordedPage(browser);
      const hash = new URLSearchParams({ api: server.url, username: admin.username, password: admin.password });
      await page.goto(`${allowed.origin}/#${hash}`);
      const status = await pageFinished(page);
      const screenshot = artifactPath('cors-app.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      return { context, page, requests, status, screenshot };
    })();
  }
  return appRun;
}

test('a page on an allowed origin signs in, follows Link to the next page, writes with If-Match and reads the 412 problem', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, status, screenshot } = await runAppPage();
  assert.equal(status, 'done', 'the page ran to its end');
  assert.ok(fs.statSync(screenshot).size > 0, `a screenshot at ${screenshot}`);

  assert.equal(await shown(page, 'sign-in-status'), '200');

  // Paging: Link is readable from JS (exposed) and its next page is the body's next_cursor.
  assert.equal(await shown(page, 'list-status'), '200');
  const link = await shown(page, 'list-link');
  assert.match(link, /^<\/v1\/services\?limit=2&cursor=[^>]+>; rel="next"$/, 'Link read from JS');
  assert.equal(await shown(page, 'list-next-cursor'), await shown(page, 'list-body-cursor'));
  assert.equal(await shown(page, 'list-next-url'), `${server.url}${link.slice(1, link.indexOf('>'))}`,
    'the relative target resolved against the API, not the page');
  assert.equal(await shown(page, 'list-next-status'), '200');
  const firstIds = JSON.parse(await shown(page, 'list-first-ids'));
  const nextIds = JSON.parse(await shown(page, 'list-next-ids'));
  assert.equal(firstIds.length, 2);
  assert.ok(nextIds.length >= 1, 'the next page has services');
  assert.deepEqual(nextIds.filter((id) => firstIds.includes(id)), [], 'the next page repeats none of the first');

  // Create, read the ETag, write with it, write again with it.
  assert.equal(await shown(page, 'create-status'), '201');
  const location = await shown(page, 'create-location');
  assert.match(location, /^\/v1\/services\/[0-9a-f-]{36}$/, 'Location read from JS');
  assert.equal(await shown(page, 'read-status'), '200');
  const etag = await shown(page, 'read-etag');
  assert.match(etag, ETAG, 'ETag read from JS');
  assert.equal(await shown(page, 'patch-status'), '200');
  const newEtag = await shown(page, 'patch-etag');
  assert.match(newEtag, ETAG);
  assert.notEqual(newEtag, etag, 'the write moved the ETag on');
  assert.match(await shown(page, 'patch-name'), / \(renamed\)$/);

  assert.equal(await shown(page, 'stale-status'), '412');
  assert.match(await shown(page, 'stale-content-type'), /^application\/problem\+json/);
  assert.equal(await shown(page, 'stale-type'), '/problems/if-match-stale');
  assert.equal(await shown(page, 'stale-title'), 'Stale If-Match');
  assert.equal(await shown(page, 'stale-problem-status'), '412');
  const requestId = await shown(page, 'stale-request-id');
  assert.match(requestId, REQUEST_ID, 'X-Request-Id read from JS');
  const logged = accessLog().find((l) => l.id === requestId);
  assert.deepEqual(logged && { method: logged.method, route: logged.route, status: logged.status },
    { method: 'PATCH', route: '/v1/services/{id}', status: 412 }, 'the request id names the refused write in the server log');

  // The stale write changed nothing.
  const t = await signIn(server, admin.username, admin.password);
  const now = await api(server, 'GET', location, { headers: { Authorization: `Bearer ${t.access_token}` } });
  assert.equal(now.status, 200, now.text);
  assert.match(now.json.name, / \(renamed\)$/);
  assert.equal(now.headers.get('etag'), newEtag);
});

test('the preflight of the allowed origin succeeds without a token', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { requests, status } = await runAppPage();
  assert.equal(status, 'done', 'the page ran to its end');
  const preflight = await recorded(requests, 'the preflight of the PATCH', (all) => all.find((r) =>
    r.method === 'OPTIONS' && /\/v1\/services\/[0-9a-f-]{36}$/.test(r.url) &&
    /patch/i.test(r.requestHeaders['access-control-request-method'] || '') && r.status !== undefined));
  assert.equal(preflight.requestHeaders.authorization, undefined, 'a preflight carries no token');
  assert.equal(preflight.requestHeaders.origin, allowed.origin);
  const asked = (preflight.requestHeaders['access-control-request-headers'] || '').toLowerCase().split(/\s*,\s*/);
  for (const h of ['authorization', 'content-type', 'if-match']) assert.ok(asked.includes(h), `the browser asks for ${h}: ${asked}`);

  assert.equal(preflight.status, 204);
  const h = preflight.responseHeaders;
  assert.equal(h['access-control-allow-origin'], allowed.origin);
  assert.match(h['access-control-allow-methods'], /\bPATCH\b/);
  const granted = h['access-control-allow-headers'].toLowerCase().split(/\s*,\s*/);
  for (const name of asked) assert.ok(granted.includes(name), `the server allows ${name}: ${granted}`);

  // The server's side: it answered the preflights itself, before any token check.
  const options = accessLog().filter((l) => l.method === 'OPTIONS');
  assert.ok(options.some((l) => l.route === '/v1/services/{id}' && l.status === 204), JSON.stringify(options));
  assert.deepEqual(options.filter((l) => l.status !== 204), [], 'every preflight answered 204');
});

test('a page on an origin not configured cannot read the answer: fetch rejects, the server sent no Access-Control-Allow-Origin', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { context, page, requests } = await recordedPage(browser);
  try {
    await page.goto(`${foreign.origin}/#${new URLSearchParams({ api: server.url })}`);
    assert.equal(await pageFinished(page), 'done');
    assert.equal(await page.textContent('#outcome'), 'rejected');
    assert.equal(await page.textContent('#error'), 'TypeError: Failed to fetch', 'a network (CORS) failure, not a timeout');

    const call = await recorded(requests, 'the GET of /v1/gminas', (all) => all.find((r) =>
      r.method === 'GET' && r.url === `${server.url}/v1/gminas?limit=1` && r.status !== undefined && r.failed));
    assert.equal(call.requestHeaders.origin, foreign.origin);
    assert.equal(call.status, 200, 'the server answered');
    assert.equal(call.responseHeaders['access-control-allow-origin'], undefined, JSON.stringify(call.responseHeaders));
    assert.equal(call.corsError, 'MissingAllowOriginHeader', 'the browser refused it for CORS');
  } finally {
    await context.close();
  }

  // The same request outside the browser: no grant for this origin, one for the configured one.
  const refused = await api(server, 'GET', '/v1/gminas?limit=1', { headers: { Origin: foreign.origin } });
  assert.equal(refused.status, 200);
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
  const granted = await api(server, 'GET', '/v1/gminas?limit=1', { headers: { Origin: allowed.origin } });
  assert.equal(granted.headers.get('access-control-allow-origin'), allowed.origin);
  assert.match(granted.headers.get('access-control-expose-headers'), /\bLink\b/);
});
