'use strict';
// Debian's chromium, driven headless by playwright-core, and what its
// network layer saw (read through the DevTools protocol, which also reports
// the CORS preflights and the CORS verdict on each request).

const { chromium } = require('playwright-core');

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_TIMEOUT_MS = 30000;
const ACTION_TIMEOUT_MS = 30000;
const CLOSE_TIMEOUT_MS = 10000;

/* The headless browser; the caller closes it with closeBrowser(). */
async function launchBrowser() {
  // Chromium's own sandbox refuses to start as root.
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: asRoot ? ['--no-sandbox'] : [],
    timeout: LAUNCH_TIMEOUT_MS,
  });
}

/* Closes the browser; kills it when it does not close in time. */
async function closeBrowser(browser) {
  if (!browser) return;
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve('late'), CLOSE_TIMEOUT_MS);
  });
  const outcome = await Promise.race([browser.close().catch(() => 'failed'), late]);
  clearTimeout(timer);
  if (outcome !== undefined) {
    const proc = browser.process && browser.process();
    if (proc) proc.kill('SIGKILL');
  }
}

/*
 * A new page in a context of its own, with every request its network layer
 * makes recorded by DevTools request id:
 *   {method, url, type, requestHeaders, status, responseHeaders,
 *    failed (errorText), corsError}
 * Header names are lower-cased. Resolves to {context, page, requests (a Map)}.
 */
async function recordedPage(browser) {
  const context = await browser.newContext();
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  const requests = new Map();
  const entry = (id) => {
    if (!requests.has(id)) requests.set(id, { requestHeaders: {}, responseHeaders: {} });
    return requests.get(id);
  };
  const lower = (headers) => Object.fromEntries(Object.entries(headers || {}).map(([k, v]) => [k.toLowerCase(), v]));
  const cdp = await context.newCDPSession(page);
  cdp.on('Network.requestWillBeSent', (e) => {
    Object.assign(entry(e.requestId), { method: e.request.method, url: e.request.url, type: e.type });
    Object.assign(entry(e.requestId).requestHeaders, lower(e.request.headers));
  });
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
    Object.assign(entry(e.requestId).requestHeaders, lower(e.headers));
  });
  cdp.on('Network.responseReceivedExtraInfo', (e) => {
    Object.assign(entry(e.requestId), { status: e.statusCode, responseHeaders: lower(e.headers) });
  });
  cdp.on('Network.loadingFailed', (e) => {
    Object.assign(entry(e.requestId), {
      failed: e.errorText,
      corsError: e.corsErrorStatus ? e.corsErrorStatus.corsError : undefined,
    });
  });
  await cdp.send('Network.enable');
  return { context, page, requests };
}

/* Waits (bounded) for the page's #status to leave "running"; resolves to its text. */
async function pageFinished(page, timeoutMs = ACTION_TIMEOUT_MS) {
  await page.waitForFunction(() => document.getElementById('status').textContent !== 'running', null,
    { timeout: timeoutMs });
  return page.textContent('#status');
}

/*
 * Polls (every 100 ms, at most timeoutMs) until pick(requests) gives a
 * truthy value, and resolves to it; rejects with what was recorded when it
 * does not come. DevTools may report a response a moment after the page
 * has read it.
 */
async function recorded(requests, what, pick, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = pick([...requests.values()]);
    if (found) return found;
    if (Date.now() >= deadline) {
      const seen = [...requests.values()].map((r) => `${r.method} ${r.url} ${r.status} ${r.failed || ''}`);
      throw new Error(`the browser never recorded ${what}; it saw:\n${seen.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

module.exports = { CHROMIUM, launchBrowser, closeBrowser, recordedPage, pageFinished, recorded };
