'use strict';
// The deployment topology on loopback, built from the shipped files: a
// primary archiving its WAL to a pgBackRest repository of its own
// (deploy/backup/pgbackrest.conf), a streaming replica, PgBouncer in
// transaction mode, two `ips-api serve` instances and nginx in front with
// TLS (deploy/nginx: proxy.conf, limits.conf and problem.conf as they
// are, ips-api.conf with only its ports, loopback addresses and
// certificate paths substituted).
// buildTopology() tears down what it started when a step fails; the
// topology's stop() tears everything down and removes its folder.

const fs = require('node:fs');
const path = require('node:path');
const https = require('node:https');
const { spawn, execFile } = require('node:child_process');
const { startServer } = require('../api/lib/server');
const { startPgBouncer, startReplica, sharedFolder, pgProgram, pgProgramSync, asPostgres } = require('../api/lib/clusters');
const { freePort } = require('../api/lib/ports');
const { psql } = require('../api/lib/psql');

const ROOT = path.resolve(__dirname, '..', '..');
const STANZA = 'ips';
const NGINX_START_MS = 15000;
const NGINX_STOP_MS = 15000;

/* Runs cmd (as postgres when we are root, when asPg); resolves to stdout. */
function run(cmd, args, { asPg = false, env = {}, timeout = 120000, input } = {}) {
  const [c, a] = asPg ? asPostgres(cmd, args) : [cmd, args];
  return new Promise((resolve, reject) => {
    const child = execFile(c, a, { env: { ...process.env, ...env }, timeout, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => (err
        ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`))
        : resolve(String(stdout))));
    if (input !== undefined) child.stdin.end(input);
  });
}

/* The shipped pgBackRest configuration with the repository, the cluster and
 * the logs and locks in dir. */
function pgbackrestConf(dir, port) {
  const shipped = fs.readFileSync(path.join(ROOT, 'deploy/backup/pgbackrest.conf'), 'utf8');
  let conf = shipped
    .replace(/^repo1-path=.*$/m, `repo1-path=${dir}/repo\nlog-path=${dir}/pgbackrest-log\nlock-path=${dir}/pgbackrest-lock`)
    .replace(/^log-level-console=.*$/m, 'log-level-console=warn')
    .replace(/^pg1-path=.*$/m, `pg1-path=${dir}/primary`);
  conf += `pg1-port=${port}\npg1-socket-path=${dir}\npg1-user=ips\n`;
  if (!conf.includes(`[${STANZA}]`) || !conf.includes(`${dir}/repo`) || !conf.includes(`${dir}/primary`)) {
    throw new Error('deploy/backup/pgbackrest.conf no longer has the lines the topology test substitutes');
  }
  return conf;
}

/* The primary: its own cluster, archiving with pgBackRest, database ips. */
async function startPrimary(dir, conf, port) {
  const data = path.join(dir, 'primary');
  await pgProgram('initdb', ['-D', data, '-U', 'ips', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  // as the shipped configuration's header says: archive_mode and the
  // archive_command of pgBackRest
  fs.appendFileSync(path.join(data, 'postgresql.conf'), `
port = ${port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '${dir}'
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest --config=${conf} --stanza=${STANZA} archive-push %p'
fsync = off
`);
  await pgProgram('pg_ctl', ['-D', data, '-l', path.join(dir, 'primary.log'), '-w', '-t', '60', 'start']);
  const stop = () => pgProgram('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
  try {
    await psql(`postgresql://ips@127.0.0.1:${port}/postgres`, 'CREATE DATABASE ips');
  } catch (e) {
    await stop();
    throw e;
  }
  const kill = () => pgProgramSync('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
  return { url: `postgresql://ips@127.0.0.1:${port}/ips`, port, data, stop, kill };
}

/* A self-signed certificate for 127.0.0.1 and localhost. */
async function makeCertificate(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert]);
  return { cert, key };
}

/* deploy/nginx/ips-api.conf with the test's ports, loopback addresses and
 * certificate; throws when a line it substitutes is gone. */
function deriveNginxSite(tls, ports) {
  const shipped = fs.readFileSync(path.join(ROOT, 'deploy/nginx/ips-api.conf'), 'utf8');
  const swaps = [
    [/server 127\.0\.0\.1:8081 /, `server 127.0.0.1:${ports.a} `],
    [/server 127\.0\.0\.1:8082 /, `server 127.0.0.1:${ports.b} `],
    [/listen 80;/, `listen 127.0.0.1:${ports.http};`],
    [/listen \[::\]:80;/, `listen [::1]:${ports.http};`],
    [/listen 443 ssl http2;/, `listen 127.0.0.1:${ports.https} ssl http2;`],
    [/listen \[::\]:443 ssl http2;/, `listen [::1]:${ports.https} ssl http2;`],
    [/ssl_certificate \/etc\/ssl\/ips-api\/fullchain\.pem;/, `ssl_certificate ${tls.cert};`],
    [/ssl_certificate_key \/etc\/ssl\/ips-api\/privkey\.pem;/, `ssl_certificate_key ${tls.key};`],
  ];
  let site = shipped;
  for (const [from, to] of swaps) {
    if (!from.test(site)) throw new Error(`deploy/nginx/ips-api.conf has no line matching ${from}`);
    site = site.replace(from, to);
  }
  return site;
}

/* nginx in the foreground with a prefix of its own in dir. */
async function startNginx(dir, tls, ports) {
  const prefix = path.join(dir, 'nginx');
  for (const d of ['conf/ips-api', 'logs', 'temp']) fs.mkdirSync(path.join(prefix, d), { recursive: true, mode: 0o755 });
  // every shipped file but the site as it is
  for (const f of fs.readdirSync(path.join(ROOT, 'deploy/nginx'))) {
    if (f.endsWith('.conf') && f !== 'ips-api.conf') fs.copyFileSync(path.join(ROOT, 'deploy/nginx', f), path.join(prefix, 'conf/ips-api', f));
  }
  fs.writeFileSync(path.join(prefix, 'conf/ips-api/ips-api.conf'), deriveNginxSite(tls, ports));
  const t = path.join(prefix, 'temp');
  // as root the workers run as nobody (they only write the temp folders,
  // which the master makes theirs)
  const user = process.getuid && process.getuid() === 0 ? 'user nobody nogroup;' : '';
  fs.writeFileSync(path.join(prefix, 'conf/nginx.conf'), `${user}
daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
    log_format topology '$status $upstream_addr "$upstream_status" $ips_request_id $request_method $uri';
    access_log ${prefix}/logs/access.log topology;
    client_body_temp_path ${t}/body;
    proxy_temp_path ${t}/proxy;
    fastcgi_temp_path ${t}/fastcgi;
    uwsgi_temp_path ${t}/uwsgi;
    scgi_temp_path ${t}/scgi;
    include ips-api/ips-api.conf;
}
`);
  const args = ['-p', `${prefix}/`, '-e', `${prefix}/logs/error.log`, '-c', `${prefix}/conf/nginx.conf`];
  await run('nginx', ['-t', ...args]);
  const errors = fs.openSync(path.join(prefix, 'logs/stderr.log'), 'w');
  const child = spawn('nginx', args, { stdio: ['ignore', 'ignore', errors] });
  fs.closeSync(errors);
  let exited = null;
  const done = new Promise((resolve) => child.once('exit', (code, signal) => { exited = { code, signal }; resolve(); }));
  const read = (f) => { try { return fs.readFileSync(path.join(prefix, 'logs', f), 'utf8'); } catch { return ''; } };
  async function stop() {
    if (!exited) child.kill('SIGTERM');
    const timer = new Promise((r) => setTimeout(r, NGINX_STOP_MS).unref());
    await Promise.race([done, timer]);
    if (!exited) {
      child.kill('SIGKILL');
      await done;
    }
  }
  const deadline = Date.now() + NGINX_START_MS;
  for (;;) {
    const ok = await new Promise((resolve) => {
      https.get({ host: '127.0.0.1', port: ports.https, path: '/healthz', ca: fs.readFileSync(tls.cert), timeout: 2000 },
        (res) => { res.resume(); resolve(res.statusCode === 200); }).on('error', () => resolve(false));
    });
    if (ok) break;
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx does not answer on ${ports.https}: ${read('stderr.log')}${read('error.log')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid,
    kill: () => { if (!exited) child.kill('SIGTERM'); }, // the master stops its workers
    url: `https://127.0.0.1:${ports.https}`,
    httpUrl: `http://127.0.0.1:${ports.http}`,
    stop,
    /* the access log: one {status, upstreams, requestId, method, uri} a request */
    accessLog() {
      return read('access.log').split('\n').filter(Boolean).map((l) => {
        const m = /^(\d{3}) (.+?) "(.*?)" (\S+) (\S+) ?(.*)$/.exec(l);
        return m ? { status: Number(m[1]), upstreams: m[2], upstreamStatus: m[3], requestId: m[4], method: m[5], uri: m[6] } : { raw: l };
      });
    },
    errorLog: () => read('error.log'),
  };
}

/* The environment of an instance: through PgBouncer, LISTEN and migrate on
 * the primary, the reports on the replica, behind nginx. */
function instanceEnv(t, port) {
  return {
    IPS_LISTEN: `127.0.0.1:${port}`,
    IPS_DATABASE_URL: t.bouncer.url,
    IPS_DB_PREPARED_STATEMENTS: 'off',
    IPS_DIRECT_DATABASE_URL: t.primary.url,
    IPS_REPLICA_DATABASE_URL: t.replica.url,
    IPS_TRUSTED_PROXIES: '127.0.0.1/32',
  };
}

/*
 * Builds the topology. Resolves to {dir, primary, replica, bouncer, a, b,
 * front, tls, conf, ports, restartB(), stop()}; a and b are startServer()
 * handles (a.url is the instance's own http URL).
 */
async function buildTopology({ bin, log = () => {} }) {
  const t = { dir: sharedFolder('ips-topology-'), teardown: [] };
  const later = (name, fn) => t.teardown.push([name, fn]);
  // when the test process exits before the teardown (a timeout's SIGTERM):
  // the database servers, PgBouncer and nginx go at once, with the folder
  // (the instances are stopped by lib/server.js)
  const onExit = () => {
    for (const part of [t.front, t.bouncer, t.replica, t.primary]) if (part) part.kill();
    fs.rmSync(t.dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  t.stop = async () => {
    process.off('exit', onExit);
    const problems = [];
    while (t.teardown.length) {
      const [name, fn] = t.teardown.pop();
      try {
        await fn();
      } catch (e) {
        problems.push(`${name}: ${e.message}`);
      }
    }
    fs.rmSync(t.dir, { recursive: true, force: true });
    if (problems.length) throw new Error(`tearing down the topology:\n${problems.join('\n')}`);
  };
  try {
    const dir = t.dir;
    t.conf = path.join(dir, 'pgbackrest.conf');
    const pgPort = await freePort();
    // the cluster's port is chosen before initdb: the configuration names it
    fs.writeFileSync(t.conf, pgbackrestConf(dir, pgPort), { mode: 0o644 });
    log('primary');
    t.primary = await startPrimary(dir, t.conf, pgPort);
    later('primary', t.primary.stop);
    await run(bin, ['migrate'], { env: { IPS_DATABASE_URL: t.primary.url, IPS_LOG_LEVEL: 'warning' } });
    log('pgbackrest stanza');
    await run('pgbackrest', [`--config=${t.conf}`, `--stanza=${STANZA}`, 'stanza-create'], { asPg: true });
    await run('pgbackrest', [`--config=${t.conf}`, `--stanza=${STANZA}`, 'check'], { asPg: true });
    log('replica');
    t.replica = await startReplica(new URL(t.primary.url));
    later('replica', t.replica.stop);
    t.bouncer = await startPgBouncer(new URL(t.primary.url), { poolSize: 10 });
    later('pgbouncer', t.bouncer.stop);
    t.ports = { a: await freePort(), b: await freePort(), http: await freePort(), https: await freePort() };
    log('instances');
    const startInstance = async (name) => {
      const s = await startServer({ env: instanceEnv(t, t.ports[name]) });
      t[name] = s;
      later(`instance ${name}`, () => t[name].stop());
      return s;
    };
    await Promise.all([startInstance('a'), startInstance('b')]);
    t.restartB = async () => {
      t.b = await startServer({ env: instanceEnv(t, t.ports.b) });
    };
    log('nginx');
    t.tls = await makeCertificate(dir);
    t.front = await startNginx(dir, t.tls, t.ports);
    later('nginx', t.front.stop);
    return t;
  } catch (e) {
    await t.stop().catch((e2) => { e.message += `\n${e2.message}`; });
    throw e;
  }
}

module.exports = { buildTopology, run, STANZA };
