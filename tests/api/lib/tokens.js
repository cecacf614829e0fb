'use strict';
// JWTs made by the tests themselves (good ones and attacks), key pairs for
// RS256/ES256 servers and trusted issuers, and reading tokens the server
// issued. Only node:crypto: no JWT library decides for the tests what a
// token looks like.

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { TEST_JWT_SECRET } = require('./server');

const now = () => Math.floor(Date.now() / 1000);

function b64url(data) {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
  return buf.toString('base64url');
}

/*
 * Claims of a token as this service issues them (iss ips-api, aud ips, 5
 * minutes to live), with over merged on top; a member of over whose value is
 * undefined is left out (e.g. {exp: undefined} for a token without exp).
 */
function claims(over = {}) {
  const t = now();
  const out = {
    iss: 'ips-api',
    aud: 'ips',
    sub: '00000000-0000-0000-0000-000000000000',
    partner: 'byczyna',
    role: 'auditor',
    iat: t,
    exp: t + 300,
    jti: crypto.randomBytes(16).toString('hex'),
    ...over,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/*
 * Signs payload as a compact JWS.
 *   opts.alg     'HS256' (default), 'RS256', 'ES256' or 'none' (no signature)
 *   opts.key     the HMAC secret (string or Buffer; default the test servers'
 *                secret) or a private key (PEM or KeyObject)
 *   opts.header  members merged into the header ({alg} of it is what the
 *                header claims, which may differ from how it is signed:
 *                opts.signAs picks the real algorithm then)
 *   opts.signAs  the algorithm actually used to sign (default opts.alg)
 */
function sign(payload, { alg = 'HS256', key, header = {}, signAs } = {}) {
  const head = { alg, typ: 'JWT', ...header };
  const input = `${b64url(head)}.${b64url(payload)}`;
  const how = signAs || alg;
  let sig;
  if (how.toLowerCase() === 'none') {
    sig = Buffer.alloc(0);
  } else if (how === 'HS256') {
    sig = crypto.createHmac('sha256', key === undefined ? TEST_JWT_SECRET : key).update(input).digest();
  } else if (how === 'RS256') {
    sig = crypto.sign('sha256', Buffer.from(input), key);
  } else if (how === 'ES256') {
    sig = crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  } else {
    throw new Error(`sign: unsupported algorithm ${how}`);
  }
  return `${input}.${b64url(sig)}`;
}

/* An HS256 token signed with the test servers' secret. */
function hs256(payload, secret = TEST_JWT_SECRET) {
  return sign(payload, { alg: 'HS256', key: secret });
}

/* {header, payload, signature} of a compact JWS, without verifying it. */
function decode(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error(`not a compact JWS (${parts.length} segments): ${String(token).slice(0, 80)}`);
  return {
    header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
    signature: Buffer.from(parts[2], 'base64url'),
    signingInput: `${parts[0]}.${parts[1]}`,
  };
}

/* True when token's signature verifies with publicKey (a KeyObject, PEM or JWK object) for alg. */
function verifySignature(token, publicKey, alg) {
  const { signingInput, signature } = decode(token);
  const key = publicKey && typeof publicKey === 'object' && publicKey.kty
    ? crypto.createPublicKey({ key: publicKey, format: 'jwk' })
    : publicKey;
  if (alg === 'RS256') return crypto.verify('sha256', Buffer.from(signingInput), key, signature);
  if (alg === 'ES256') return crypto.verify('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }, signature);
  throw new Error(`verifySignature: unsupported algorithm ${alg}`);
}

/* A temporary directory, removed when the process exits. */
function tempDir(prefix = 'ips-api-keys-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  });
  return dir;
}

/*
 * A new key pair, kind 'rsa' (2048 bits) or 'ec' (P-256), written to dir as
 * <name>.key (PKCS#8 PEM, "BEGIN PRIVATE KEY") and <name>.pub (SPKI PEM,
 * "BEGIN PUBLIC KEY"). Returns {privateKey, publicKey (KeyObjects),
 * privateFile, publicFile, publicPem, jwk (the public JWK)}.
 */
function keyPair(kind, dir, name = kind) {
  const { privateKey, publicKey } = kind === 'rsa'
    ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
    : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateFile = path.join(dir, `${name}.key`);
  const publicFile = path.join(dir, `${name}.pub`);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });
  fs.writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fs.writeFileSync(publicFile, publicPem);
  return { privateKey, publicKey, privateFile, publicFile, publicPem, jwk: publicKey.export({ format: 'jwk' }) };
}

/* Writes the IPS_TRUSTED_ISSUERS file ([{iss, aud, alg, public_key_file}]) into dir; returns its path. */
function trustedIssuersFile(dir, entries) {
  const file = path.join(dir, 'trusted-issuers.json');
  fs.writeFileSync(file, JSON.stringify(entries, null, 2));
  return file;
}

function bearer(token) {
  return { Authorization: `Bearer ${token}` };
}

module.exports = {
  now, b64url, claims, sign, hs256, decode, verifySignature, tempDir, keyPair, trustedIssuersFile, bearer,
};
