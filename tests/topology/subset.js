'use strict';
// The API test files the topology test runs through nginx (HTTPS, two
// instances behind it, PgBouncer, the replica for the reports): each file's
// default server (startServer() without an environment of its own) is the
// front (IPS_TEST_FRONT_URL); servers a file starts with a configuration
// of its own still run alone, beside the topology, on its primary.

const SUBSET = [
  'gminas.test.js', // the dictionary, paging, Link, ETag / If-None-Match
  'users.test.js', // users, roles, /v1/me, If-Match
  'es_entities.test.js', // the resource engine on ES entities
  'members.test.js', // partnership members
  'services.test.js', // the service catalogue
  'deliveries.test.js', // deliveries and attendance
  'query_params.test.js', // filters, sort, cursors
  'compression.test.js', // gzip-coded answers pass nginx as the instances coded them
];

// Left out, and why:
const LEFT_OUT = {
  'auth.test.js': 'its servers all have a configuration of their own (trusted issuers, key files, the token cache off)',
  'beneficiaries.test.js': 'its forty reads at once open forty connections from one address: nginx\'s limit of 32 (limits.conf) answers the rest 503, as it should',
  'http_core.test.js': 'reads its server\'s own stderr (the access log) and sends raw requests nginx answers itself (bad heads, slow clients)',
  'audit_changes.test.js': 'reads its server\'s stderr; the change feed across the instances has a case of its own in the topology test',
  'reports.test.js': 'writes and reads the indicators at once: behind the topology they come from the replica, which may lag (README)',
  'report_summary.test.js': 'as reports.test.js: compares the indicators with the primary right after writing',
  'db_pool.test.js': 'stops and starts a database of its own under its server',
  'shutdown.test.js': 'signals its own server and reads its exit',
  'sign_in_limits.test.js': 'sets its own limits per client address',
  'stored_json.test.js': 'starts its servers on scratch databases',
  'pgbouncer.test.js': 'builds its own PgBouncer (the topology has one)',
  'operations.test.js': 'runs the binary\'s commands on the database, no HTTP',
  'replica.test.js': 'builds and stops its own replica (the topology has one)',
  'docs.test.js': 'drives a browser, which would need the topology\'s test certificate; nginx\'s location / passes these paths as any other',
};

module.exports = { SUBSET, LEFT_OUT };
