'use strict';
// Direct SQL on a test database, for what no API shows (what a table keeps,
// the migrations applied): psql with -At, the output trimmed.

const { execFile } = require('node:child_process');

/* Runs sql on the database at url; resolves to psql's output (unaligned,
 * tuples only, trimmed); rejects with psql's error. */
function psql(url, sql) {
  return new Promise((resolve, reject) => {
    execFile('psql', ['-X', '-Atq', '-v', 'ON_ERROR_STOP=1', '-c', sql, url], (err, stdout, stderr) =>
      err ? reject(new Error(`psql: ${stderr}`)) : resolve(String(stdout).trim()));
  });
}

module.exports = { psql };
