'use strict';
// Database helpers a test starts beside the test cluster: a PgBouncer in
// transaction mode (as deploy/pgbouncer/pgbouncer.ini) and a streaming
// replica (pg_basebackup -R). PgBouncer and PostgreSQL refuse to run as
// root: as root they run as postgres. Each returns {url, stop()}.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn, execFile, execFileSync } = require('node:child_process');
const { freePort } = require('./ports');

const BINDIR = ['/usr/lib/postgresql/15/bin'].find((d) => fs.existsSync(path.join(d, 'pg_ctl'))) || '';
const asRoot = process.getuid && process.getuid() === 0;

/* [command, args] that run program as postgres when we are root. */
function asPostgres(program, args) {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

/* Runs a PostgreSQL program; resolves to its output. */
function pgProgram(program, args, timeout = 120000) {
  const [cmd, all] = asPostgres(BINDIR ? path.join(BINDIR, program) : program, args);
  return new Promise((resolve, reject) => {
    execFile(cmd, all, { timeout }, (err, stdout, stderr) =>
      err ? reject(new Error(`${program} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`)) : resolve(stdout));
  });
}

/* Runs a PostgreSQL program and waits for it; errors are ignored. */
function pgProgramSync(program, args) {
  const [cmd, all] = asPostgres(BINDIR ? path.join(BINDIR, program) : program, args);
  try {
    execFileSync(cmd, all, { timeout: 30000, stdio: 'ignore' });
  } catch {
    // already stopped
  }
}

/* A folder anyone may write, for a helper that runs as postgres. */
function sharedFolder(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o777);
  return dir;
}

async function listening(port, timeoutMs, explain) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const up = await new Promise((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port }, () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}: ${explain()}`);
}

/* PgBouncer in transaction mode in front of the database of url (a URL). */
async function startPgBouncer(url, { poolSize = 4 } = {}) {
  const dir = sharedFolder('ips-pgbouncer-');
  const port = await freePort();
  const dbname = url.pathname.slice(1);
  const user = decodeURIComponent(url.username);
  fs.writeFileSync(path.join(dir, 'users.txt'), `"${user}" ""\n`, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'pgbouncer.ini'), `[databases]
${dbname} = host=${url.hostname} port=${url.port} dbname=${dbname} timezone=UTC
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${dir}/users.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = ${poolSize}
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = ${dir}/pgbouncer.log
pidfile = ${dir}/pgbouncer.pid
`, { mode: 0o644 });
  const errors = fs.openSync(path.join(dir, 'pgbouncer.stderr'), 'w');
  const [cmd, args] = asPostgres('/usr/sbin/pgbouncer', [`${dir}/pgbouncer.ini`]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', errors] });
  const read = (f) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
  await listening(port, 10000, () => `${read('pgbouncer.stderr')} ${read('pgbouncer.log')}`);
  return {
    url: `postgresql://${user}@127.0.0.1:${port}/${dbname}`,
    /* stops it at once, synchronously (for a process that is exiting) */
    kill() {
      child.kill('SIGTERM'); // as root, runuser passes it on to PgBouncer
      fs.rmSync(dir, { recursive: true, force: true });
    },
    async stop() {
      child.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/* A streaming replica of the cluster of url (a URL), on a port of its own. */
async function startReplica(url) {
  const dir = sharedFolder('ips-replica-');
  const data = path.join(dir, 'data');
  const port = await freePort();
  await pgProgram('pg_basebackup', ['-h', url.hostname, '-p', url.port, '-U', decodeURIComponent(url.username),
    '-D', data, '-R', '-X', 'stream', '-c', 'fast']);
  await pgProgram('pg_ctl', ['-D', data, '-l', path.join(dir, 'replica.log'), '-w', '-t', '60',
    '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c hot_standby=on`, 'start']);
  const replicaUrl = new URL(url);
  replicaUrl.port = String(port);
  let running = true;
  return {
    url: replicaUrl.toString(),
    /* stops it at once, synchronously (for a process that is exiting) */
    kill() {
      if (running) pgProgramSync('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      running = false;
      fs.rmSync(dir, { recursive: true, force: true });
    },
    /* stops the replica (fast shutdown); stop() later removes it */
    async halt() {
      if (running) await pgProgram('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      running = false;
    },
    async stop() {
      if (running) await pgProgram('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => {});
      running = false;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startPgBouncer, startReplica, sharedFolder, pgProgram, pgProgramSync, asPostgres, BINDIR };
