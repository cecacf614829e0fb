'use strict';
// SIGTERM: requests in flight finish, kept-alive connections take no more
// requests (their answer says Connection: close), and the exit code tells
// whether every request finished within IPS_SHUTDOWN_TIMEOUT_S.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { spawn } = require('node:child_process');
const { startServer } = require('./lib/server');
const { api } = require('./lib/http');
const { newUser } = require('./lib/users');

const DB = process.env.IPS_TEST_DATABASE_URL;

/* Holds an exclusive lock on the targets table for ms in a psql session, so
 * that a request reading them stays in flight; resolves, once the lock is
 * taken, to {done}: a promise of the session's end. */
async function lockTargets(ms) {
  const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', DB], { stdio: ['pipe', 'ignore', 'inherit'] });
  child.stdin.end(`BEGIN; LOCK TABLE report_targets IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(${ms / 1000}); COMMIT;\n`);
  const done = new Promise((resolve) => child.once('exit', resolve));
  // psql takes the lock as soon as it is connected; give it a generous moment
  await new Promise((r) => setTimeout(r, 700));
  return { done };
}

/* A kept-alive connection: send(path) resolves to the head of the answer
 * (or null when none came within 3 s); closedWithin(ms) to whether the
 * server closed the connection by then. */
function keptAlive(server) {
  const u = new URL(server.url);
  const socket = net.connect({ host: u.hostname, port: Number(u.port) });
  let received = '';
  let closed = false;
  let answers = 0;
  socket.on('error', () => {});
  socket.on('data', (d) => { received += d; });
  socket.once('close', () => { closed = true; });
  const ready = new Promise((resolve) => socket.once('connect', resolve));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  return {
    async send(path) {
      await ready;
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      answers++;
      for (let i = 0; i < 150; i++) {
        const heads = received.split(/(?=HTTP\/1\.1 )/).filter((h) => h.includes('\r\n\r\n'));
        if (heads.length >= answers) return heads[answers - 1].split('\r\n\r\n')[0];
        await sleep(20);
      }
      return null;
    },
    async closedWithin(ms) {
      for (let t = 0; t < ms && !closed; t += 20) await sleep(20);
      return closed;
    },
    destroy: () => socket.destroy(),
  };
}

const exitOf = (server) => new Promise((resolve) => {
  const poll = setInterval(() => {
    if (server.exited()) { clearInterval(poll); resolve(server.exited()); }
  }, 20);
});

test('on SIGTERM a request in flight finishes, a kept-alive client is told Connection: close, and the exit is 0', async () => {
  const server = await startServer({ env: { IPS_SHUTDOWN_TIMEOUT_S: '10' } });
  const user = await newUser(server, { role: 'auditor', partner: 'byczyna', prefix: 'sd' });
  const conn = keptAlive(server);
  const first = await conn.send('/healthz');
  assert.match(first, /^HTTP\/1\.1 200/);
  assert.doesNotMatch(first, /connection: close/i, 'kept alive before the signal');
  const unlocked = await lockTargets(2000);
  const slow = api(server, 'GET', '/v1/reports/targets', { headers: user.headers, timeoutMs: 15000 });
  await new Promise((r) => setTimeout(r, 300));
  process.kill(server.pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  const during = await conn.send('/healthz');
  assert.ok(during, 'a request on a kept-alive connection during the drain is answered');
  assert.match(during, /^HTTP\/1\.1 200/);
  assert.match(during, /connection: close/i, 'an answer during the drain closes the connection');
  assert.equal(await conn.closedWithin(2000), true, 'and the server closes it');
  const res = await slow;
  assert.equal(res.status, 200, `the request in flight finished: ${res.text}`);
  await unlocked.done;
  const exit = await exitOf(server);
  assert.deepEqual(exit, { code: 0, signal: null }, server.stderr().slice(-2000));
  conn.destroy();
});

test('on SIGTERM a request still running after IPS_SHUTDOWN_TIMEOUT_S makes the exit non-zero, and the log says so', async () => {
  const server = await startServer({ env: { IPS_SHUTDOWN_TIMEOUT_S: '1' } });
  const user = await newUser(server, { role: 'auditor', partner: 'byczyna', prefix: 'sd' });
  const unlocked = await lockTargets(3500);
  const slow = api(server, 'GET', '/v1/reports/targets', { headers: user.headers, timeoutMs: 15000, check: false }).catch((e) => e);
  await new Promise((r) => setTimeout(r, 300));
  process.kill(server.pid, 'SIGTERM');
  const exit = await exitOf(server);
  assert.equal(exit.signal, null);
  assert.equal(exit.code, 1, `cut-off requests are an unclean stop\n${server.stderr().slice(-2000)}`);
  assert.match(server.stderr(), /requests still running after 1s/);
  await slow;
  await unlocked.done;
});
