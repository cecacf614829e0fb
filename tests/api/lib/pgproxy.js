'use strict';
// A TCP proxy in front of PostgreSQL, so that a test can make the database
// look down (cut) and come back (restore) without touching the real server.

const net = require('node:net');

/*
 * Parses the host and port (or Unix socket directory) of a libpq URI:
 * postgresql://user:pw@host:port/db?host=/run/postgresql&port=5432
 */
function upstreamOf(databaseUrl) {
  const u = new URL(databaseUrl);
  const qhost = u.searchParams.get('host');
  const qport = u.searchParams.get('port');
  const port = Number(qport || u.port || 5432);
  const host = qhost || decodeURIComponent(u.hostname) || '/var/run/postgresql';
  if (host.startsWith('/')) return { path: `${host}/.s.PGSQL.${port}` };
  return { host: host.replace(/^\[|\]$/g, ''), port };
}

/*
 * Starts the proxy on 127.0.0.1 (a free port). Resolves to
 *   url        databaseUrl rewritten to go through the proxy
 *   port       the proxy's port
 *   cut()      stops listening and destroys every open connection: new
 *              connections are refused, open ones break
 *   restore()  listens again on the same port
 *   close()    cut, for good
 */
async function startPgProxy(databaseUrl) {
  const upstream = upstreamOf(databaseUrl);
  const sockets = new Set();
  let server = null;
  let port = 0;

  const track = (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  function onConnection(client) {
    track(client);
    const backend = net.connect(upstream);
    track(backend);
    client.pipe(backend);
    backend.pipe(client);
    const drop = () => {
      client.destroy();
      backend.destroy();
    };
    client.once('error', drop);
    backend.once('error', drop);
    client.once('close', drop);
    backend.once('close', drop);
  }

  function listen() {
    return new Promise((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        s.removeListener('error', reject);
        server = s;
        port = s.address().port;
        resolve();
      });
    });
  }

  async function cut() {
    const s = server;
    server = null;
    const closed = s ? new Promise((resolve) => s.close(() => resolve())) : Promise.resolve();
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    await closed;
  }

  async function restore() {
    if (server) return;
    // The port may be briefly unavailable right after the close: retry.
    for (let i = 0; ; i++) {
      try {
        await listen();
        return;
      } catch (e) {
        if (e.code !== 'EADDRINUSE' || i >= 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  await listen();
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  for (const k of ['host', 'hostaddr', 'port']) proxied.searchParams.delete(k);

  return {
    url: proxied.toString(),
    port,
    upstream,
    cut,
    restore,
    close: cut,
    connections: () => sockets.size,
  };
}

module.exports = { startPgProxy, upstreamOf };
