'use strict';
// Users for the tests: made with `ips-api create-user` on the test database
// (the way an operator makes the first admin), and signed in over HTTP.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { execFile } = require('node:child_process');
const { api } = require('./http');

const ROLES = ['admin', 'coordinator', 'advisor', 'auditor', 'integration'];
const PARTNERS = ['byczyna', 'chorzow'];

/* A username no other test file uses: prefix plus a random suffix. */
function uniqueName(prefix = 'u') {
  return `${prefix}-${crypto.randomBytes(5).toString('hex')}`.toLowerCase();
}

/* A password that passes the server's rules (12+ characters, not well-known). */
function strongPassword() {
  return `Pw-${crypto.randomBytes(12).toString('base64url')}-9x`;
}

/*
 * Runs `$IPS_BIN create-user USERNAME --partner CODE --role ROLE` with the
 * password on the first line of standard input, on IPS_TEST_DATABASE_URL
 * (or opts.databaseUrl). Resolves to the new user's id.
 */
function createUser({ username, partner = 'byczyna', role = 'auditor', password, databaseUrl } = {}) {
  const bin = process.env.IPS_BIN;
  assert.ok(bin, 'IPS_BIN must name the ips-api binary');
  const url = databaseUrl || process.env.IPS_TEST_DATABASE_URL;
  assert.ok(url, 'IPS_TEST_DATABASE_URL must name a migrated database');
  assert.ok(username, 'createUser needs a username');
  assert.ok(password, 'createUser needs a password');
  return new Promise((resolve, reject) => {
    const child = execFile(bin, ['create-user', username, '--partner', partner, '--role', role], {
      env: { ...process.env, IPS_DATABASE_URL: url, IPS_LOG_LEVEL: 'warning' },
      timeout: 30000,
    }, (err, stdout, stderr) => {
      const m = /created user .*: ([0-9a-f-]{36})\s*$/m.exec(String(stdout));
      if (err || !m) {
        reject(new Error(`create-user ${username} --partner ${partner} --role ${role} failed` +
          `${err ? ` (${err.message})` : ''}\nstdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve(m[1]);
    });
    child.stdin.end(`${password}\n`);
  });
}

/* POST /v1/auth/token with the password grant; asserts 200 and resolves to
 * the token response. Like a real client it retries a 503 (every password
 * check busy: test files sign many users in at once) after its Retry-After,
 * a few times. */
async function signIn(server, username, password) {
  let res;
  for (let attempt = 0; attempt < 8; attempt++) {
    res = await api(server, 'POST', '/v1/auth/token', {
      body: { grant_type: 'password', username, password },
    });
    if (res.status !== 503) break;
    const wait = Number(res.headers.get('retry-after')) || 1;
    await new Promise((r) => setTimeout(r, wait * 1000 * (0.5 + Math.random())));
  }
  assert.equal(res.status, 200, `sign-in of ${username}: ${res.status} ${res.text}`);
  return res.json;
}

/*
 * A new user made with create-user and signed in on server:
 * {id, username, password, partner, role, token, refresh, headers}.
 */
async function newUser(server, { role = 'auditor', partner = 'byczyna', prefix } = {}) {
  const username = uniqueName(prefix || role.slice(0, 5));
  const password = strongPassword();
  const id = await createUser({ username, partner, role, password });
  const t = await signIn(server, username, password);
  return {
    id, username, password, partner, role,
    token: t.access_token,
    refresh: t.refresh_token,
    headers: { Authorization: `Bearer ${t.access_token}` },
  };
}

module.exports = { ROLES, PARTNERS, uniqueName, strongPassword, createUser, signIn, newUser };
