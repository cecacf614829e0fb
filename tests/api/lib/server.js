'use strict';
// Starts `$IPS_BIN serve` on a free port of 127.0.0.1 for one test file and
// stops it with SIGTERM, asserting a clean exit (code 0, no sanitizer report).

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');

const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 15000;
const SANITIZER_MARKS = ['AddressSanitizer', 'LeakSanitizer', 'runtime error:'];
const LISTENING = /listening on (http:\/\/[^\s]+)/;

const running = new Set();
// The HS256 secret of the test servers; tests sign their own tokens with it.
const TEST_JWT_SECRET = 'test-secret-of-at-least-32-bytes-for-hs256';

function killLeftovers() {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}
process.on('exit', killLeftovers);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killLeftovers();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

function sanitizerReport(text) {
  return SANITIZER_MARKS.find((m) => text.includes(m));
}

/*
 * With IPS_TEST_FRONT_URL set (tests/topology: nginx in front of two
 * instances), a caller that asks for the default server (no environment and
 * no arguments of its own) gets that front instead: its url, and a stop()
 * that leaves it running. Returns null otherwise.
 */
function frontServer(env, args) {
  const url = process.env.IPS_TEST_FRONT_URL;
  const isDefault = Object.keys(env).length === 0 && args.length === 1 && args[0] === 'serve';
  if (!url || !isDefault) return null;
  return {
    url: url.replace(/\/+$/, ''),
    pid: null,
    stop: async () => {},
    stderr: () => '',
    stdout: () => '',
    exited: () => null,
  };
}

/*
 * Spawns the server. opts.env is merged over the defaults
 * (IPS_DATABASE_URL from IPS_TEST_DATABASE_URL, IPS_LISTEN=127.0.0.1:0,
 * IPS_JWT_SECRET=TEST_JWT_SECRET); a null or undefined value unsets one.
 * Resolves to {url, pid, stop(), stderr(), stdout(), exited()} once the
 * server printed its `listening on` line; rejects (with its output) when it
 * exits first or does not get there within 15 s.
 */
async function startServer({ env = {}, args = ['serve'] } = {}) {
  const front = frontServer(env, args);
  if (front) return front;
  const bin = process.env.IPS_BIN;
  assert.ok(bin, 'IPS_BIN must name the ips-api binary');
  const databaseUrl = env.IPS_DATABASE_URL || process.env.IPS_TEST_DATABASE_URL;
  assert.ok(databaseUrl, 'IPS_TEST_DATABASE_URL must name a migrated database');

  const childEnv = {
    ...process.env,
    IPS_DATABASE_URL: databaseUrl,
    IPS_LISTEN: '127.0.0.1:0',
    IPS_JWT_SECRET: TEST_JWT_SECRET,
    // Every test signs in from 127.0.0.1 on one database: the limit of failed
    // sign-ins per client address would otherwise stop unrelated tests. The
    // tests of that limit set their own.
    IPS_SIGN_IN_CLIENT_FAILURES: '1000000',
    // Tests sign in several users at once on a busy machine: a sign-in may
    // wait this long for a free password check before it is a 503. The
    // tests of that bound set their own.
    IPS_PASSWORD_CHECK_WAIT_MS: '1000',
    ...env,
  };
  // A variable given as null or undefined is left out of the environment
  // (e.g. {IPS_JWT_SECRET: null} for a server that signs with key files).
  for (const [k, v] of Object.entries(childEnv)) if (v === null || v === undefined) delete childEnv[k];
  const child = spawn(bin, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);

  let out = '';
  let err = '';
  let exit = null; // {code, signal} once exited
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      running.delete(child);
      resolve(exit);
    });
  });
  // Keep reading both pipes for the whole life of the server: a full pipe
  // would block its logging.
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    err += d;
  });

  const url = await new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn, v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn(v);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(reject, new Error(`${bin} serve did not print "listening on" within ${START_TIMEOUT_MS} ms\nstdout:\n${out}\nstderr:\n${err}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      out += d;
      const m = LISTENING.exec(out);
      if (m) finish(resolve, m[1].replace(/\/+$/, ''));
    });
    child.once('error', (e) => finish(reject, new Error(`cannot start ${bin}: ${e.message}`)));
    exited.then(({ code, signal }) => {
      // stderr may still be draining: give it a moment before reporting.
      setTimeout(() => finish(reject, new Error(`${bin} serve exited (code ${code}, signal ${signal}) before listening\nstdout:\n${out}\nstderr:\n${err}`)), 50);
    });
  });

  let stopping = null;
  async function stop() {
    if (!stopping) {
      stopping = (async () => {
        if (!exit) child.kill('SIGTERM');
        let timer;
        const timedOut = new Promise((resolve) => {
          timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
        });
        const result = await Promise.race([exited, timedOut]);
        clearTimeout(timer);
        if (!result) {
          child.kill('SIGKILL');
          await exited;
          assert.fail(`ips-api did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\nstderr:\n${err}`);
        }
        // Let the last bytes of the pipes arrive.
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(result.signal, null, `ips-api was killed by ${result.signal}\nstderr:\n${err}`);
        assert.equal(result.code, 0, `ips-api exited with code ${result.code} after SIGTERM\nstderr:\n${err}`);
        const mark = sanitizerReport(err);
        assert.equal(mark, undefined, `ips-api's stderr has a sanitizer report (${mark})\nstderr:\n${err}`);
      })();
    }
    return stopping;
  }

  return {
    url,
    pid: child.pid,
    stop,
    stderr: () => err,
    stdout: () => out,
    exited: () => exit,
  };
}

module.exports = { startServer, sanitizerReport, TEST_JWT_SECRET };
