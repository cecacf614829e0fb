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
const { execFileSync } = require('node:child_process');
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

/*
 * Runs one of the pinned tools (a path under node_modules) with node, at
 * once: the flows can only be registered as tests once they are compiled.
 * Answers null when it succeeded, else an Error with its output.
 */
function tool(bin, args, cwd) {
  try {
    execFileSync(process.execPath, [path.join(HERE, 'node_modules', bin), ...args], {
      cwd, timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' },
    });
    return null;
  } catch (err) {
    return new Error(`${bin} ${args.join(' ')}: ${err.message}\n${err.stdout || ''}\n${err.stderr || ''}`);
  }
}

const work = workDir();
const generated = path.join(work, 'src', 'generated');
const tsconfig = path.join(work, 'tsconfig.json');
const schemaFile = path.join(generated, 'schema.d.ts');
const sdkDir = path.join(generated, 'hey');

const generatedTypes = tool('openapi-typescript/bin/cli.js', [SPEC, '--output', schemaFile], work);
const generatedSdk = tool('@hey-api/openapi-ts/bin/index.cjs',
  ['--input', SPEC, '--output', sdkDir, '--client', '@hey-api/client-fetch', '--no-log-file'], work);
const checked = tool('typescript/bin/tsc', ['-p', tsconfig, '--noEmit', '--strict'], work);
const compiled = checked || tool('typescript/bin/tsc', ['-p', tsconfig], work);

// filled in by before(), read by the flows' steps when they run
const env = {};
let server;

before(async () => {
  server = await startServer();
  const username = uniqueName('tsclient');
  const password = strongPassword();
  await createUser({ username, password, partner: 'byczyna', role: 'coordinator' });
  Object.assign(env, {
    baseUrl: server.url, username, password, partner: 'byczyna',
    tag: `tsflow${crypto.randomBytes(5).toString('hex')}`,
  });
});

after(async () => {
  if (server) await server.stop();
});

test('openapi-typescript generates schema.d.ts from the contract', () => {
  if (generatedTypes) throw generatedTypes;
  const text = fs.readFileSync(schemaFile, 'utf8');
  assert.match(text, /export interface paths \{/);
  assert.match(text, /"\/v1\/es-entities\/\{id\}": \{/);
});

test('@hey-api/openapi-ts generates its SDK and fetch client from the contract', () => {
  if (generatedSdk) throw generatedSdk;
  for (const file of ['sdk.gen.ts', 'types.gen.ts', 'client.gen.ts', 'client/index.ts']) {
    assert.ok(fs.existsSync(path.join(sdkDir, file)), `${file} is generated`);
  }
  assert.match(fs.readFileSync(path.join(sdkDir, 'sdk.gen.ts'), 'utf8'), /export const patchEsEntity = /);
});

test('tsc --noEmit --strict passes on the flows and both generated clients', () => {
  if (checked) throw checked;
});

test('tsc compiles the flows to JavaScript', () => {
  if (compiled) throw compiled;
  assert.ok(fs.existsSync(path.join(work, 'out', 'fetch-flow.js')));
  assert.ok(fs.existsSync(path.join(work, 'out', 'hey-flow.js')));
});

/* Registers a compiled flow's steps as tests named after its client, or one failing test when it did not compile. */
function registerFlow(client, file, name) {
  if (compiled) {
    test(`${client}: the flow runs`, () => assert.fail('the flows did not compile'));
    return;
  }
  const flow = require(path.join(work, 'out', file))[name];
  flow((step, run) => test(`${client}: ${step}`, run), env);
}

registerFlow('openapi-fetch', 'fetch-flow.js', 'fetchFlow');
registerFlow('@hey-api SDK', 'hey-flow.js', 'heyFlow');
