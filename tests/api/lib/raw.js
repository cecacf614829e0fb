'use strict';
// Requests that fetch cannot make (bytes that are not UTF-8 in a body), sent
// on a raw socket through rawRequest (which checks the answer against the
// contract like api() does).

const { rawRequest } = require('./http');

/*
 * Sends method path with the given headers ({name: value}) and body (a
 * Buffer, sent as is with its Content-Length). Resolves like rawRequest.
 */
function rawBytes(server, method, path, headers, body) {
  const u = new URL(server.url);
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${u.host}`, 'Connection: close'];
  for (const [k, v] of Object.entries(headers || {})) lines.push(`${k}: ${v}`);
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  lines.push(`Content-Length: ${payload.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return rawRequest(server, Buffer.concat([head, payload]));
}

/* A JSON object text with bytes 0xff 0xfe (never valid UTF-8) inside the value of key. */
function nonUtf8Json(obj, key) {
  const text = JSON.stringify({ ...obj, [key]: '@@BAD@@' });
  const [before, after] = text.split('@@BAD@@');
  return Buffer.concat([Buffer.from(before, 'utf8'), Buffer.from([0x61, 0xff, 0xfe, 0x62]), Buffer.from(after, 'utf8')]);
}

module.exports = { rawBytes, nonUtf8Json };
