'use strict';
// Every package installed for the tests (each folder given, its
// node_modules) admits the oldest Node.js the project supports: the one in
// the folder's package.json `engines.node` (">=18.19": Debian 12's nodejs).
// Prints each package that does not and exits 1 when any does not.

const fs = require('node:fs');
const path = require('node:path');
const semver = require('./typescript/node_modules/semver');

/* Every package.json under node_modules (nested ones too): [{name, version, engines}]. */
function installed(dir) {
  const out = [];
  const walk = (modules) => {
    if (!fs.existsSync(modules)) return;
    for (const entry of fs.readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const where = path.join(modules, entry);
      if (entry.startsWith('@')) {
        walk(where);
        continue;
      }
      const manifest = path.join(where, 'package.json');
      if (!fs.existsSync(manifest)) continue;
      out.push(JSON.parse(fs.readFileSync(manifest, 'utf8')));
      walk(path.join(where, 'node_modules'));
    }
  };
  walk(path.join(dir, 'node_modules'));
  return out;
}

let refused = 0;
for (const dir of process.argv.slice(2)) {
  const own = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const oldest = semver.minVersion(own.engines.node).version;
  const packages = installed(dir);
  if (packages.length === 0) {
    console.log(`${dir}: nothing installed (run npm ci there)`);
    refused++;
  }
  for (const pkg of packages) {
    const range = pkg.engines && pkg.engines.node;
    if (range && !semver.satisfies(oldest, range)) {
      console.log(`${dir}: ${pkg.name}@${pkg.version} wants node ${range}, not ${oldest}`);
      refused++;
    }
  }
  console.log(`${dir}: ${packages.length} packages checked against node ${oldest}`);
}
process.exit(refused === 0 ? 0 : 1);
