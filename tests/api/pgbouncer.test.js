'use strict';
// The service behind PgBouncer in transaction mode (Debian's pgbouncer),
// configured as deploy/pgbouncer/pgbouncer.ini says: prepared statements
// off, timestamps in UTC on every server connection, and the long polls'
// LISTEN on a direct connection (IPS_DIRECT_DATABASE_URL). (A long poll
// also looks again once a second, so the second test holds without the
// direct connection too, only later: it checks the answer, not the path.)

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn } = require('node:child_process');
const { startServer } = require('./lib/server');
const { freePort } = require('./lib/ports');
const { api } = require('./lib/http');
const { newUser } = require('./lib/users');
const R = require('./lib/records');

const DB = new URL(process.env.IPS_TEST_DATABASE_URL);
const PGBOUNCER = '/usr/sbin/pgbouncer';
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/;

let bouncer;
let bouncerUrl;
let dir;
let server;

async function listening(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const up = await new Promise((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port }, () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const read = (f) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
  throw new Error(`pgbouncer did not listen on ${port}: ${read('pgbouncer.stderr')} ${read('pgbouncer.log')}`);
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ips-pgbouncer-'));
  fs.chmodSync(dir, 0o777);
  const port = await freePort();
  const dbname = DB.pathname.slice(1);
  const user = decodeURIComponent(DB.username);
  fs.writeFileSync(path.join(dir, 'users.txt'), `"${user}" ""\n`);
  fs.writeFileSync(path.join(dir, 'pgbouncer.ini'), `[databases]
${dbname} = host=${DB.hostname} port=${DB.port} dbname=${dbname} timezone=UTC
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${dir}/users.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 4
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = ${dir}/pgbouncer.log
pidfile = ${dir}/pgbouncer.pid
`);
  for (const f of ['users.txt', 'pgbouncer.ini']) fs.chmodSync(path.join(dir, f), 0o644);
  // PgBouncer refuses to run as root
  const asRoot = process.getuid && process.getuid() === 0;
  const [cmd, args] = asRoot ? ['runuser', ['-u', 'postgres', '--', PGBOUNCER, `${dir}/pgbouncer.ini`]]
    : [PGBOUNCER, [`${dir}/pgbouncer.ini`]];
  const errors = fs.openSync(path.join(dir, 'pgbouncer.stderr'), 'w');
  bouncer = spawn(cmd, args, { stdio: ['ignore', 'ignore', errors] });
  await listening(port, 10000);
  bouncerUrl = `postgresql://${user}@127.0.0.1:${port}/${dbname}`;
  server = await startServer({
    env: { IPS_DATABASE_URL: bouncerUrl, IPS_DB_PREPARED_STATEMENTS: 'off', IPS_DIRECT_DATABASE_URL: DB.toString() },
  });
});

after(async () => {
  if (server) await server.stop();
  if (bouncer) bouncer.kill('SIGTERM');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('through PgBouncer in transaction mode: created, read alone and many at once, listed and patched, timestamps in UTC', async () => {
  const admin = await newUser(server, { role: 'admin' });
  const T = R.tag('pgb');
  const entity = await R.newEsEntity(server, admin, T);
  assert.match(entity.created_at, RFC3339_UTC);
  const one = await api(server, 'GET', `/v1/es-entities/${entity.id}`, { headers: admin.headers });
  assert.equal(one.status, 200, one.text);
  assert.equal(one.json.name, entity.name);
  // more readers than PgBouncer has server connections
  const many = await Promise.all(Array.from({ length: 30 }, () =>
    api(server, 'GET', `/v1/es-entities/${entity.id}`, { headers: admin.headers })));
  for (const r of many) {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, entity.id);
    assert.match(r.json.updated_at, RFC3339_UTC);
  }
  const list = await api(server, 'GET', `/v1/es-entities?q=${encodeURIComponent(T)}&limit=10`, { headers: admin.headers });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.items.map((i) => i.id), [entity.id]);
  const changed = await R.patched(server, admin, 'es-entities', entity.id, { city: 'Kluczbork' });
  assert.equal(changed.status, 200, changed.text);
  assert.equal(changed.json.city, 'Kluczbork');
  assert.equal(changed.json.version, 2);
  assert.match(changed.json.updated_at, RFC3339_UTC);
});

test('a long poll through PgBouncer gets a write\'s change long before its wait ends (its LISTEN on the direct connection)', async () => {
  const admin = await newUser(server, { role: 'admin' });
  const reader = await newUser(server, { role: 'integration' });
  const head = await R.feedHead(server, reader);
  const started = Date.now();
  let entityId = null;
  // other test files write meanwhile: follow the feed until this change
  const found = (async () => {
    let after = head;
    while (Date.now() - started < 15000) {
      const polled = await api(server, 'GET', `/v1/changes?after=${after}&wait=20`, { headers: reader.headers, timeoutMs: 30000 });
      assert.equal(polled.status, 200, polled.text);
      if (polled.json.items.some((c) => c.id === entityId)) return true;
      after = polled.json.next;
    }
    return false;
  })();
  await new Promise((r) => setTimeout(r, 500));
  const entity = await R.newEsEntity(server, admin, R.tag('pgbw'));
  entityId = entity.id;
  assert.equal(await found, true, 'the change of the new entity came through the feed');
  assert.ok(Date.now() - started < 10000, `answered ${Date.now() - started} ms after the poll began, not at its 20 s end`);
});
