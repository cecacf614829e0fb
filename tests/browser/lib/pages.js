'use strict';
// A tiny static server for the test pages in ../pages, on a free port of
// 127.0.0.1: each one is an origin of its own (http://127.0.0.1:PORT), apart
// from the API's.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const PAGES_DIR = path.join(__dirname, '..', 'pages');
const CLOSE_TIMEOUT_MS = 5000;

/*
 * Serves pages/<file> at "/" (and at "/<file>"); anything else is a 404.
 * Resolves to {origin, close()} once it listens.
 */
function servePage(file) {
  const body = fs.readFileSync(path.join(PAGES_DIR, file));
  const server = http.createServer((req, res) => {
    const route = new URL(req.url, 'http://page').pathname;
    if (req.method !== 'GET' || (route !== '/' && route !== `/${file}`)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
  });
  // Idle keep-alive sockets of the browser must not hold close() up.
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ origin: `http://127.0.0.1:${port}`, close: () => closeServer(server) });
    });
  });
}

/* Stops listening and drops open connections; resolves within a bound either way. */
function closeServer(server) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    if (server.closeAllConnections) server.closeAllConnections();
  });
}

module.exports = { servePage };
