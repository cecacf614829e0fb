'use strict';
// The operator's commands: migrate (ordered, checksummed, safe to run twice
// at once), serve refusing a schema it does not match, create-user, version,
// and configuration errors that name the variable. Each case gets a fresh
// database on the test cluster.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { execFile } = require('node:child_process');
const { psql } = require('./lib/psql');

const BIN = process.env.IPS_BIN;
const BASE_URL = process.env.IPS_TEST_DATABASE_URL;

/* Runs the binary; resolves to {code, stdout, stderr}. Whatever the exit,
 * the sanitizer build must have reported nothing (error paths included). */
function run(args, { env = {}, input = '', timeout = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(BIN, args, { env: { ...process.env, IPS_LOG_LEVEL: 'info', ...env }, timeout },
      (err, stdout, stderr) => {
        const text = String(stderr);
        const mark = ['AddressSanitizer', 'LeakSanitizer', 'runtime error:'].find((m) => text.includes(m));
        if (mark) reject(new Error(`ips-api ${args.join(' ')}: sanitizer report (${mark})\n${text}`));
        else resolve({ code: err ? (err.code ?? 1) : 0, stdout: String(stdout), stderr: text });
      });
    child.stdin.end(input);
  });
}

/* A new, empty database on the test cluster; resolves to its URL. */
async function freshDatabase() {
  const name = `ips_ops_${crypto.randomBytes(4).toString('hex')}`;
  const url = new URL(BASE_URL);
  await psql(BASE_URL, `CREATE DATABASE ${name}`);
  url.pathname = `/${name}`;
  return url.toString();
}

async function migrated() {
  const url = await freshDatabase();
  const r = await run(['migrate'], { env: { IPS_DATABASE_URL: url } });
  assert.equal(r.code, 0, r.stderr);
  return url;
}

const SERVE_ENV = { IPS_LISTEN: '127.0.0.1:0', IPS_JWT_SECRET: 'operations-test-secret-of-32-bytes!!' };

test('two migrate runs at once both succeed and apply every migration once, in order', async () => {
  const url = await freshDatabase();
  const [a, b] = await Promise.all([run(['migrate'], { env: { IPS_DATABASE_URL: url } }),
                                    run(['migrate'], { env: { IPS_DATABASE_URL: url } })]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const version = Number((await run(['version'])).stdout.match(/schema (\d+)/)[1]);
  const rows = await psql(url, 'SELECT string_agg(version::text, \',\' ORDER BY version) FROM schema_migrations');
  // each once, in order, up to the binary's latest (a number may be left unused)
  const versions = rows.split(',').map(Number);
  assert.equal(versions[0], 1, rows);
  assert.equal(versions[versions.length - 1], version, rows);
  for (let i = 1; i < versions.length; i++) assert.ok(versions[i] > versions[i - 1], rows);
  assert.equal(await psql(url, 'SELECT count(*) FROM gminas'), '71');
  const applied = (a.stderr + b.stderr).match(/migrate: applied 0001_/g) || [];
  assert.equal(applied.length, 1, 'the first migration was applied by exactly one of the two runs');
});

test('migrate on a current schema changes nothing and says so', async () => {
  const url = await migrated();
  const r = await run(['migrate'], { env: { IPS_DATABASE_URL: url } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /schema is current/);
  assert.doesNotMatch(r.stderr, /applied 0/);
});

test('serve refuses a database without the schema and says to run ips-api migrate', async () => {
  const url = await freshDatabase();
  const r = await run(['serve'], { env: { ...SERVE_ENV, IPS_DATABASE_URL: url } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /ips-api migrate/);
  assert.doesNotMatch(r.stdout, /listening on/);
});

test('serve refuses a schema older than the binary and says to migrate', async () => {
  const url = await migrated();
  await psql(url, 'DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)');
  const r = await run(['serve'], { env: { ...SERVE_ENV, IPS_DATABASE_URL: url } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /needs \d+: run 'ips-api migrate'/);
});

test('an applied migration that changed is refused by migrate and by serve', async () => {
  const url = await migrated();
  await psql(url, "UPDATE schema_migrations SET sha256 = repeat('0', 64) WHERE version = 1");
  const m = await run(['migrate'], { env: { IPS_DATABASE_URL: url } });
  assert.notEqual(m.code, 0);
  assert.match(m.stderr, /0001_teryt_dictionary was changed after it was applied/);
  const s = await run(['serve'], { env: { ...SERVE_ENV, IPS_DATABASE_URL: url } });
  assert.notEqual(s.code, 0);
  assert.match(s.stderr, /changed after it was applied/);
});

test('a migration skipped while a later one was applied is named by migrate and serve, never passed over', async () => {
  const url = await migrated();
  // as a database migrated by a build without the one before the newest
  await psql(url, `DELETE FROM schema_migrations WHERE version =
    (SELECT version FROM schema_migrations ORDER BY version DESC OFFSET 1 LIMIT 1)`);
  const m = await run(['migrate'], { env: { IPS_DATABASE_URL: url } });
  assert.notEqual(m.code, 0, 'migrate does not call such a schema current');
  assert.match(m.stderr, /migration \d{4}_\w+ of this binary was never applied, but \d{4}_\w+ after it was/);
  assert.doesNotMatch(m.stderr, /schema is current/);
  const s = await run(['serve'], { env: { ...SERVE_ENV, IPS_DATABASE_URL: url } });
  assert.notEqual(s.code, 0);
  assert.match(s.stderr, /never applied/);
});

test('version prints the version and the schema it needs', async () => {
  const r = await run(['version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^ips-api \d+\.\d+\.\d+ \(schema \d+\)$/m);
});

test('an unknown command prints the usage and exits 2', async () => {
  const r = await run(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.match(r.stderr, /create-user USERNAME --partner CODE --role ROLE/);
});

test('create-user makes a user that can sign in later, and refuses a second one of that name', async () => {
  const url = await migrated();
  const args = ['create-user', 'ops.anna', '--partner', 'chorzow', '--role', 'advisor'];
  const first = await run(args, { env: { IPS_DATABASE_URL: url }, input: 'a long enough passphrase\n' });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^created user ops\.anna \(chorzow, advisor\): [0-9a-f-]{36}$/m);
  assert.equal(await psql(url, "SELECT partner || ' ' || role || ' ' || active FROM users WHERE username = 'ops.anna'"),
               'chorzow advisor true');
  assert.match(await psql(url, "SELECT password_hash FROM users WHERE username = 'ops.anna'"), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  const again = await run(args, { env: { IPS_DATABASE_URL: url }, input: 'a long enough passphrase\n' });
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /exists already/);
});

test('create-user refuses weak or missing passwords, unknown partners and roles, with a clear message', async () => {
  const url = await migrated();
  const env = { IPS_DATABASE_URL: url };
  const cases = [
    [['create-user', 'ops.b', '--partner', 'byczyna', '--role', 'admin'], 'short\n', /at least 12 characters/],
    [['create-user', 'ops.b', '--partner', 'byczyna', '--role', 'admin'], '', /first line of standard input/],
    [['create-user', 'ops.b', '--partner', 'byczyna', '--role', 'admin'], 'password1234\n', /well-known password/],
    [['create-user', 'ops.b', '--partner', 'byczyna', '--role', 'admin'], 'aaaaaaaaaaaaaaa\n', /repeat one character/],
    [['create-user', 'ops.b', '--partner', 'nowhere', '--role', 'admin'], 'a long enough passphrase\n', /unknown partner 'nowhere'/],
    [['create-user', 'ops.b', '--partner', 'byczyna', '--role', 'boss'], 'a long enough passphrase\n', /unknown role/],
    [['create-user', 'Bad Name', '--partner', 'byczyna', '--role', 'admin'], 'a long enough passphrase\n', /username must be/],
    [['create-user', 'ops.b', '--partner', 'byczyna'], 'a long enough passphrase\n', /usage: ips-api create-user/],
  ];
  for (const [args, input, message] of cases) {
    const r = await run(args, { env, input });
    assert.notEqual(r.code, 0, `${args.join(' ')} was accepted`);
    assert.match(r.stderr, message, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.equal(await psql(url, "SELECT count(*) FROM users WHERE username = 'ops.b'"), '0');
});

test('a bad configuration stops start-up with a message naming the variable', async () => {
  const url = await migrated();
  const cases = [
    [{ IPS_THREADS: 'many' }, /IPS_THREADS/],
    [{ IPS_LISTEN: 'nowhere:80' }, /IPS_LISTEN/],
    [{ IPS_MAX_BODY_BYTES: '-1' }, /IPS_MAX_BODY_BYTES/],
    [{ IPS_LOG_LEVEL: 'chatty' }, /IPS_LOG_LEVEL/],
    [{ IPS_CORS_ORIGINS: '*' }, /IPS_CORS_ORIGINS/],
    [{ IPS_HTTP_MODE: 'fast' }, /IPS_HTTP_MODE/],
    [{ IPS_JWT_SECRET: 'too-short' }, /IPS_JWT_SECRET/],
    [{ IPS_JWT_SECRET: undefined }, /IPS_JWT_SECRET/],
    [{ IPS_JWT_SECRET: undefined, IPS_JWT_PRIVATE_KEY_FILE: '/nonexistent/key.pem', IPS_JWT_PUBLIC_KEY_FILE: '/nonexistent/pub.pem' },
     /IPS_JWT_PRIVATE_KEY_FILE/],
    [{ IPS_TRUSTED_ISSUERS: '/nonexistent/issuers.json' }, /IPS_TRUSTED_ISSUERS/],
    [{ IPS_DATABASE_URL: 'host=localhost dbname=ips' }, /IPS_DATABASE_URL/],
  ];
  for (const [vars, message] of cases) {
    const env = { ...SERVE_ENV, IPS_DATABASE_URL: url, ...vars };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const r = await run(['serve'], { env: { ...env, IPS_JWT_SECRET: env.IPS_JWT_SECRET ?? '' } });
    assert.notEqual(r.code, 0, `${JSON.stringify(vars)} was accepted`);
    assert.match(r.stderr, message, `${JSON.stringify(vars)}: ${r.stderr}`);
    assert.doesNotMatch(r.stdout, /listening on/);
  }
});
