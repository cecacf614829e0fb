'use strict';
// Polish identifiers for test data: random valid NIP, REGON and KRS numbers
// (computed with their checksums, so that test files running at the same
// time on one database do not collide), invalid variants, and dates of the
// Europe/Warsaw calendar.

const crypto = require('node:crypto');

function randomDigits(n) {
  let s = '';
  while (s.length < n) s += crypto.randomInt(0, 1e9).toString().padStart(9, '0');
  return s.slice(0, n);
}

function weighted(digits, weights) {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += Number(digits[i]) * weights[i];
  return sum;
}

const NIP_WEIGHTS = [6, 5, 7, 2, 3, 4, 5, 6, 7];
const REGON9_WEIGHTS = [8, 9, 2, 3, 4, 5, 6, 7];
const REGON14_WEIGHTS = [2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8];

/* The check digit of the first nine digits of a NIP, or null when none exists (remainder 10). */
function nipCheck(first9) {
  const c = weighted(first9, NIP_WEIGHTS) % 11;
  return c === 10 ? null : c;
}

function nipValid(s) {
  if (!/^[0-9]{10}$/.test(s)) return false;
  const c = nipCheck(s.slice(0, 9));
  return c !== null && c === Number(s[9]);
}

/* A random NIP with a valid checksum (first digit not 0, as issued ones). */
function nip() {
  for (;;) {
    const first9 = String(crypto.randomInt(1, 10)) + randomDigits(8);
    const c = nipCheck(first9);
    if (c !== null) return first9 + c;
  }
}

/* The same NIP with a wrong check digit. */
function badNip(valid = nip()) {
  const last = Number(valid[9]);
  return valid.slice(0, 9) + String((last + 1) % 10);
}

function regon9() {
  const first8 = randomDigits(8);
  return first8 + (weighted(first8, REGON9_WEIGHTS) % 11 % 10);
}

function regon14() {
  const first9 = regon9();
  const first13 = first9 + randomDigits(4);
  return first13 + (weighted(first13, REGON14_WEIGHTS) % 11 % 10);
}

function flipLast(s) {
  return s.slice(0, -1) + String((Number(s[s.length - 1]) + 1) % 10);
}

function krs() {
  return randomDigits(10);
}

/* YYYY-MM-DD of the Europe/Warsaw calendar on the day of d. Built from the
 * parts: the whole-date format of a locale differs between Node versions
 * (en-CA gives 12/02/2026 on Debian 12's Node 18). */
function warsawDateOf(d) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: 'Europe/Warsaw', year: 'numeric', month: '2-digit', day: '2-digit',
  }).formatToParts(d).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/* YYYY-MM-DD of the Europe/Warsaw calendar, offset by days from today. */
function warsawDate(offsetDays = 0) {
  return warsawDateOf(new Date(Date.now() + offsetDays * 86400000));
}

/* A short random tag for names, lower-case letters and digits. */
function tag(prefix = 't') {
  return `${prefix}${crypto.randomBytes(5).toString('hex')}`;
}

module.exports = {
  warsawDateOf, nip, badNip, nipValid, regon9, regon14, flipLast, krs, warsawDate, tag, randomDigits };
