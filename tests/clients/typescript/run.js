'use strict';
// Generates the typed clients from api/openapi.yaml as a new client
// developer would (openapi-typescript for openapi-fetch, @hey-api/openapi-ts
// for its SDK), compiles them with the flows in src/ under `tsc --strict`,
// and runs the flows against a real server on the test database.
//
// Everything generated goes to a work folder outside the source tree:
// IPS_CLIENT_WORK_DIR (meson gives one in the build folder), else a
// temporary folder removed at exit.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { test, before, after } = require('node:test');
const { startServer } = require('../../api/lib/server');
const { createUser, uniqueName, strongPassword } = require('../../api/lib/users');

const HERE = __dirname;
const SPEC = path.resolve(HERE, '../../../api/openapi.yaml');
const TOOL_TIMEOUT_MS = 180000;

/* The work folder, emptied; its src/ holds copies of the flows. */
function workDir() {
  let dir = process.env.IPS_CLIENT_WORK_DIR;
  if (dir) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ips-api-clients-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  fs.cpSync(path.join(HERE, 'src'), path.join(dir, 'src'), { recursive: true });
  // the compiled flows and the compiler find the pinned packages here
  fs.symlinkSync(path.join(HERE, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    extends: path.join(HERE, 'tsconfig.json'),
    compilerOptions: { rootDir: 'src', outDir: 'out' },
    include: ['src/**/*.ts'],
  }, null, 2));
  return dir;
}

/* Runs one of the pinned tools (a path under node_modules) with node; resolves to its output, rejects with it. */
function tool(bin, args, cwd) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(HERE, 'node_modules', bin), ...args], {
      cwd, timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' },
    }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

const work = workDir();
const generated = path.join(work, 'src', 'generated');
let server;
let env;

before(async () => {
  server = await startServer();
  const username = uniqueName('tsclient');
  const password = strongPassword();
  await createUser({ username, password, partner: 'byczyna', role: 'coordinator' });
  env = {
    baseUrl: server.url, username, password, partner: 'byczyna',
    tag: `tsflow${crypto.randomBytes(5).toString('hex')}`,
  };
});

after(async () => {
  if (server) await server.stop();
});

test('openapi-typescript generates schema.d.ts from the contract', async () => {
  const out = path.join(generated, 'schema.d.ts');
  await tool('openapi-typescript/bin/cli.js', [SPEC, '--output', out], work);
  const text = fs.readFileSync(out, 'utf8');
  assert.match(text, /export interface paths \{/);
  assert.match(text, /"\/v1\/es-entities\/\{id\}": \{/);
});

test('@hey-api/openapi-ts generates its SDK and fetch client from the contract', async () => {
  const out = path.join(generated, 'hey');
  await tool('@hey-api/openapi-ts/bin/index.cjs',
    ['--input', SPEC, '--output', out, '--client', '@hey-api/client-fetch', '--no-log-file'], work);
  for (const file of ['sdk.gen.ts', 'types.gen.ts', 'client.gen.ts', 'client/index.ts']) {
    assert.ok(fs.existsSync(path.join(out, file)), `${file} is generated`);
  }
  assert.match(fs.readFileSync(path.join(out, 'sdk.gen.ts'), 'utf8'), /export const patchEsEntity = /);
});

test('tsc --noEmit --strict passes on the flows and both generated clients', async () => {
  await tool('typescript/bin/tsc', ['-p', path.join(work, 'tsconfig.json'), '--noEmit', '--strict'], work);
});

test('tsc compiles the flows to JavaScript', async () => {
  await tool('typescript/bin/tsc', ['-p', path.join(work, 'tsconfig.json')], work);
  assert.ok(fs.existsSync(path.join(work, 'out', 'fetch-flow.js')));
  assert.ok(fs.existsSync(path.join(work, 'out', 'hey-flow.js')));
});

test('the walk through with openapi-fetch', async (t) => {
  const { fetchFlow } = require(path.join(work, 'out', 'fetch-flow.js'));
  await fetchFlow(t, env);
});

test('the short flow with the @hey-api SDK', async (t) => {
  const { heyFlow } = require(path.join(work, 'out', 'hey-flow.js'));
  await heyFlow(t, env);
});
