'use strict';
// gminas: the region's TERYT dictionary, public, read-only here.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer } = require('./lib/server');
const { api, expectProblem, firstErrorField } = require('./lib/http');
const { REPO_ROOT } = require('./lib/contract');

// The dictionary as GUS TERC has it (state of 2020-01-01), the same table
// the migrations load. Used when sql/ ships no CSV copy of it.
const TERYT_CSV = `teryt,name,kind,powiat_teryt,powiat_name
1601011,Brzeg,urban,1601,brzeski
1601022,Skarbimierz,rural,1601,brzeski
1601033,Grodków,urban-rural,1601,brzeski
1601043,Lewin Brzeski,urban-rural,1601,brzeski
1601052,Lubsza,rural,1601,brzeski
1601062,Olszanka,rural,1601,brzeski
1602013,Baborów,urban-rural,1602,głubczycki
1602022,Branice,rural,1602,głubczycki
1602033,Głubczyce,urban-rural,1602,głubczycki
1602043,Kietrz,urban-rural,1602,głubczycki
1603011,Kędzierzyn-Koźle,urban,1603,kędzierzyńsko-kozielski
1603022,Bierawa,rural,1603,kędzierzyńsko-kozielski
1603032,Cisek,rural,1603,kędzierzyńsko-kozielski
1603042,Pawłowiczki,rural,1603,kędzierzyńsko-kozielski
1603052,Polska Cerekiew,rural,1603,kędzierzyńsko-kozielski
1603062,Reńska Wieś,rural,1603,kędzierzyńsko-kozielski
1604013,Byczyna,urban-rural,1604,kluczborski
1604023,Kluczbork,urban-rural,1604,kluczborski
1604032,Lasowice Wielkie,rural,1604,kluczborski
1604043,Wołczyn,urban-rural,1604,kluczborski
1605013,Gogolin,urban-rural,1605,krapkowicki
1605023,Krapkowice,urban-rural,1605,krapkowicki
1605032,Strzeleczki,rural,1605,krapkowicki
1605042,Walce,rural,1605,krapkowicki
1605053,Zdzieszowice,urban-rural,1605,krapkowicki
1606012,Domaszowice,rural,1606,namysłowski
1606023,Namysłów,urban-rural,1606,namysłowski
1606032,Pokój,rural,1606,namysłowski
1606042,Świerczów,rural,1606,namysłowski
1606052,Wilków,rural,1606,namysłowski
1607013,Głuchołazy,urban-rural,1607,nyski
1607022,Kamiennik,rural,1607,nyski
1607033,Korfantów,urban-rural,1607,nyski
1607042,Łambinowice,rural,1607,nyski
1607053,Nysa,urban-rural,1607,nyski
1607063,Otmuchów,urban-rural,1607,nyski
1607073,Paczków,urban-rural,1607,nyski
1607082,Pakosławice,rural,1607,nyski
1607092,Skoroszyce,rural,1607,nyski
1608013,Dobrodzień,urban-rural,1608,oleski
1608023,Gorzów Śląski,urban-rural,1608,oleski
1608033,Olesno,urban-rural,1608,oleski
1608043,Praszka,urban-rural,1608,oleski
1608052,Radłów,rural,1608,oleski
1608062,Rudniki,rural,1608,oleski
1608072,Zębowice,rural,1608,oleski
1609012,Chrząstowice,rural,1609,opolski
1609022,Dąbrowa,rural,1609,opolski
1609032,Dobrzeń Wielki,rural,1609,opolski
1609042,Komprachcice,rural,1609,opolski
1609052,Łubniany,rural,1609,opolski
1609062,Murów,rural,1609,opolski
1609073,Niemodlin,urban-rural,1609,opolski
1609083,Ozimek,urban-rural,1609,opolski
1609092,Popielów,rural,1609,opolski
1609103,Prószków,urban-rural,1609,opolski
1609112,Tarnów Opolski,rural,1609,opolski
1609123,Tułowice,urban-rural,1609,opolski
1609132,Turawa,rural,1609,opolski
1610013,Biała,urban-rural,1610,prudnicki
1610023,Głogówek,urban-rural,1610,prudnicki
1610032,Lubrza,rural,1610,prudnicki
1610043,Prudnik,urban-rural,1610,prudnicki
1611012,Izbicko,rural,1611,strzelecki
1611022,Jemielnica,rural,1611,strzelecki
1611033,Kolonowskie,urban-rural,1611,strzelecki
1611043,Leśnica,urban-rural,1611,strzelecki
1611053,Strzelce Opolskie,urban-rural,1611,strzelecki
1611063,Ujazd,urban-rural,1611,strzelecki
1611073,Zawadzkie,urban-rural,1611,strzelecki
1661011,Opole,urban,1661,Opole
`;

// A CSV copy of the dictionary under sql/ wins over the one above, so that
// the test follows the data the database is loaded from.
function findCsv(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const found = findCsv(p);
      if (found) return found;
    } else if (e.name === 'teryt-opolskie-gminas.csv') {
      return p;
    }
  }
  return null;
}

function loadDictionary() {
  const csvPath = findCsv(path.join(REPO_ROOT, 'sql'));
  const text = csvPath ? fs.readFileSync(csvPath, 'utf8') : TERYT_CSV;
  const [header, ...rows] = text.trim().split(/\r?\n/);
  const cols = header.split(',');
  return rows.map((line) => {
    const values = line.split(',');
    const row = Object.fromEntries(cols.map((c, i) => [c, values[i]]));
    return { teryt: row.teryt, name: row.name, kind: row.kind, powiat: row.powiat_teryt, powiat_name: row.powiat_name };
  });
}

const DICTIONARY = loadDictionary();
const BY_TERYT = new Map(DICTIONARY.map((g) => [g.teryt, g]));

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (server) await server.stop();
});

function qs(params) {
  return Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

// Follows next_cursor from the first page of query; returns every page.
async function allPages(query) {
  const pages = [];
  let cursor = null;
  for (let i = 0; i < 100; i++) {
    const params = cursor === null ? query : { ...query, cursor };
    const res = await api(server, 'GET', `/v1/gminas?${qs(params)}`);
    assert.equal(res.status, 200, res.text);
    pages.push(res);
    cursor = res.json.next_cursor;
    if (cursor === null) return pages;
  }
  assert.fail('more than 100 pages: next_cursor never became null');
}

function nextLink(res) {
  const link = res.headers.get('link');
  if (link === null) return null;
  const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(link);
  assert.ok(m, `Link has rel="next": ${link}`);
  return new URL(m[1], server.url);
}

function names(res) {
  return res.json.items.map((g) => g.name);
}

test('the list has the 71 gminas of the region across pages of 20, each once', async () => {
  assert.equal(DICTIONARY.length, 71);
  const pages = await allPages({ limit: 20 });
  assert.deepEqual(pages.map((p) => p.json.items.length), [20, 20, 20, 11]);
  const seen = pages.flatMap((p) => p.json.items.map((g) => g.teryt));
  assert.equal(new Set(seen).size, seen.length, 'no gmina twice');
  assert.deepEqual([...seen].sort(), DICTIONARY.map((g) => g.teryt).sort());
  for (const p of pages.slice(0, -1)) {
    assert.equal(typeof p.json.next_cursor, 'string');
    assert.ok(nextLink(p), 'a page with a next page has Link rel="next"');
  }
  const last = pages[pages.length - 1];
  assert.equal(last.json.next_cursor, null);
  assert.equal(last.headers.get('link'), null, 'the last page has no Link rel="next"');
});

test('the default order is by TERYT code, ascending', async () => {
  const pages = await allPages({ limit: 20 });
  const seen = pages.flatMap((p) => p.json.items.map((g) => g.teryt));
  assert.deepEqual(seen, [...seen].sort());
});

test('every listed gmina is as in the TERYT dictionary', async () => {
  const res = await api(server, 'GET', '/v1/gminas?limit=200');
  assert.equal(res.status, 200);
  assert.equal(res.json.items.length, 71);
  assert.equal(res.json.next_cursor, null);
  for (const g of res.json.items) {
    const want = BY_TERYT.get(g.teryt);
    assert.ok(want, `${g.teryt} is in the dictionary`);
    assert.equal(g.name, want.name, g.teryt);
    assert.equal(g.kind, want.kind, g.teryt);
    assert.equal(g.powiat, want.powiat, g.teryt);
    assert.equal(typeof g.high_poverty, 'boolean');
  }
});

test('the default page size is 50', async () => {
  const res = await api(server, 'GET', '/v1/gminas');
  assert.equal(res.status, 200);
  assert.equal(res.json.items.length, 50);
  assert.equal(typeof res.json.next_cursor, 'string');
});

test('the Link header\'s next URL gives the same page as next_cursor', async () => {
  const first = await api(server, 'GET', '/v1/gminas?limit=20&sort=name');
  const url = nextLink(first);
  assert.ok(url);
  assert.equal(url.origin, new URL(server.url).origin, `Link points at this server: ${url}`);
  const viaLink = await api(server, 'GET', url.pathname + url.search);
  const viaCursor = await api(server, 'GET', `/v1/gminas?${qs({ limit: 20, sort: 'name', cursor: first.json.next_cursor })}`);
  assert.equal(viaLink.status, 200, viaLink.text);
  assert.deepEqual(viaLink.json, viaCursor.json);
  assert.equal(viaLink.json.items.length, 20, 'the Link keeps limit');
  assert.ok(!viaLink.json.items.some((g) => first.json.items.some((f) => f.teryt === g.teryt)), 'no overlap with the first page');
});

test('powiat=1604 lists the 4 gminas of kluczborski', async () => {
  const want = DICTIONARY.filter((g) => g.powiat === '1604').map((g) => g.name).sort();
  assert.deepEqual(want, ['Byczyna', 'Kluczbork', 'Lasowice Wielkie', 'Wołczyn']);
  const res = await api(server, 'GET', '/v1/gminas?powiat=1604');
  assert.equal(res.status, 200);
  assert.deepEqual(names(res).sort(), want);
  assert.ok(res.json.items.every((g) => g.powiat === '1604'));
  assert.equal(res.json.next_cursor, null);
});

test('powiat of a city with powiat rights (1661) lists Opole', async () => {
  const res = await api(server, 'GET', '/v1/gminas?powiat=1661');
  assert.equal(res.status, 200);
  assert.deepEqual(names(res), ['Opole']);
});

test('a well-formed powiat outside the region gives an empty list', async () => {
  const res = await api(server, 'GET', '/v1/gminas?powiat=2463');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { items: [], next_cursor: null });
});

test('a malformed powiat is a 400 problem naming powiat', async () => {
  for (const bad of ['16', '16040', 'abcd', '']) {
    const res = await api(server, 'GET', `/v1/gminas?powiat=${encodeURIComponent(bad)}`);
    const p = expectProblem(res, 400);
    assert.equal(firstErrorField(p), 'powiat', `powiat=${bad}`);
  }
});

test('q=opole finds Opole, case-insensitively', async () => {
  for (const q of ['opole', 'OPOLE', 'oPoLe']) {
    const res = await api(server, 'GET', `/v1/gminas?${qs({ q })}`);
    assert.equal(res.status, 200);
    assert.ok(names(res).includes('Opole'), `q=${q}: ${names(res)}`);
    assert.ok(names(res).every((n) => n.toLowerCase().includes('opole')), `q=${q}: ${names(res)}`);
  }
});

test('q is a substring of the name: q=opol finds Opole, Strzelce Opolskie and Tarnów Opolski', async () => {
  const res = await api(server, 'GET', `/v1/gminas?${qs({ q: 'opol' })}`);
  assert.equal(res.status, 200);
  const want = DICTIONARY.filter((g) => g.name.toLowerCase().includes('opol')).map((g) => g.name).sort();
  assert.deepEqual(names(res).sort(), want);
  assert.ok(want.includes('Strzelce Opolskie') && want.includes('Tarnów Opolski'));
});

test('q with Polish letters matches case-insensitively: ŁUBNIANY finds Łubniany', async () => {
  for (const [q, want] of [['ŁUBNIANY', 'Łubniany'], ['łubniany', 'Łubniany'], ['ŚWIERCZÓW', 'Świerczów'], ['ZĘBOWICE', 'Zębowice'], ['koźle', 'Kędzierzyn-Koźle']]) {
    const res = await api(server, 'GET', `/v1/gminas?${qs({ q })}`);
    assert.equal(res.status, 200);
    assert.deepEqual(names(res), [want], `q=${q}`);
  }
});

test('q combines with powiat', async () => {
  const res = await api(server, 'GET', `/v1/gminas?${qs({ powiat: '1604', q: 'wo' })}`);
  assert.equal(res.status, 200);
  assert.deepEqual(names(res), ['Wołczyn']);
});

test('sort=-name is descending by name and the reverse of sort=name', async () => {
  const asc = await api(server, 'GET', '/v1/gminas?sort=name&limit=200');
  const desc = await api(server, 'GET', '/v1/gminas?sort=-name&limit=200');
  assert.equal(asc.status, 200);
  assert.equal(desc.status, 200);
  assert.equal(desc.json.items.length, 71);
  assert.deepEqual(names(desc), [...names(asc)].reverse());
  // The database's collation decides where Ł or Ś go; any of these is an
  // order by name.
  const orders = [new Intl.Collator('pl').compare, new Intl.Collator('und').compare,
    (a, b) => (a < b ? -1 : a > b ? 1 : 0)];
  const sortedBy = (list, cmp) => list.every((n, i) => i === 0 || cmp(list[i - 1], n) >= 0);
  assert.ok(orders.some((cmp) => sortedBy(names(desc), cmp)), `descending by name: ${names(desc).join(', ')}`);
  assert.ok(names(desc).indexOf('Zębowice') < names(desc).indexOf('Baborów'));
});

test('sort=-teryt is descending by TERYT code', async () => {
  const res = await api(server, 'GET', '/v1/gminas?sort=-teryt&limit=5');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json.items.map((g) => g.teryt), ['1661011', '1611073', '1611063', '1611053', '1611043']);
});

test('paging by name gives the same order as one page', async () => {
  for (const sort of ['name', '-name', '-teryt']) {
    const whole = await api(server, 'GET', `/v1/gminas?sort=${sort}&limit=200`);
    const pages = await allPages({ sort, limit: 7 });
    assert.deepEqual(pages.flatMap((p) => p.json.items), whole.json.items, `sort=${sort}`);
  }
});

test('a bad sort is a 400 problem naming sort', async () => {
  for (const bad of ['foo', 'created_at', '+name', 'name,teryt', '']) {
    const res = await api(server, 'GET', `/v1/gminas?sort=${encodeURIComponent(bad)}`);
    const p = expectProblem(res, 400);
    assert.equal(firstErrorField(p), 'sort', `sort=${bad}`);
  }
});

test('GET /v1/gminas/1604013 is Byczyna, urban-rural, powiat 1604, with an ETag', async () => {
  const res = await api(server, 'GET', '/v1/gminas/1604013');
  assert.equal(res.status, 200);
  const g = res.json;
  assert.equal(g.teryt, '1604013');
  assert.equal(g.name, 'Byczyna');
  assert.equal(g.kind, 'urban-rural');
  assert.equal(g.powiat, '1604');
  assert.equal(typeof g.high_poverty, 'boolean');
  assert.ok(Number.isInteger(g.version) && g.version >= 1);
  assert.equal(res.headers.get('etag'), `"${g.version}"`);
});

test('a gmina read is the same record as in the list', async () => {
  const list = await api(server, 'GET', '/v1/gminas?powiat=1604');
  const one = await api(server, 'GET', '/v1/gminas/1604013');
  assert.deepEqual(list.json.items.find((g) => g.teryt === '1604013'), one.json);
});

test('If-None-Match with the current ETag is a 304 without a body', async () => {
  const first = await api(server, 'GET', '/v1/gminas/1604013');
  const etag = first.headers.get('etag');
  const res = await api(server, 'GET', '/v1/gminas/1604013', { headers: { 'If-None-Match': etag } });
  assert.equal(res.status, 304);
  assert.equal(res.text, '');
  assert.equal(res.headers.get('etag'), etag);
  const listed = await api(server, 'GET', '/v1/gminas/1604013', { headers: { 'If-None-Match': `"999999", ${etag}` } });
  assert.equal(listed.status, 304, 'an If-None-Match list that contains the ETag matches');
});

test('If-None-Match with another ETag is a 200 with the record', async () => {
  const res = await api(server, 'GET', '/v1/gminas/1604013', { headers: { 'If-None-Match': '"999999"' } });
  assert.equal(res.status, 200);
  assert.equal(res.json.name, 'Byczyna');
});

test('the pre-2018 Tułowice code 1609122 answers with the record of 1609123', async () => {
  const res = await api(server, 'GET', '/v1/gminas/1609122');
  assert.equal(res.status, 200);
  assert.equal(res.json.teryt, '1609123');
  assert.equal(res.json.name, 'Tułowice');
  assert.equal(res.json.kind, 'urban-rural');
  const current = await api(server, 'GET', '/v1/gminas/1609123');
  assert.deepEqual(res.json, current.json);
  assert.equal(res.headers.get('etag'), current.headers.get('etag'));
});

test('a TERYT code not in the dictionary or malformed is a 404 problem', async () => {
  for (const bad of ['1234567', 'abc', '16040131', '160401', '2463011', '1609121']) {
    const res = await api(server, 'GET', `/v1/gminas/${bad}`);
    expectProblem(res, 404);
  }
});

test('odd bytes in the TERYT path segment are a 4xx problem, never a 5xx', async () => {
  for (const bad of ['1604013%00', '%C5%81', '%FF', '1604013%20', '%2e%2e']) {
    const res = await api(server, 'GET', `/v1/gminas/${bad}`);
    assert.ok(res.status === 400 || res.status === 404, `/v1/gminas/${bad}: ${res.status} ${res.text}`);
    expectProblem(res, res.status);
  }
});

test('a bad limit is a 400 problem naming limit', async () => {
  for (const bad of ['0', '201', 'abc', '1.5', '-1', '', '1e2', '0x10', ' 5']) {
    const res = await api(server, 'GET', `/v1/gminas?limit=${encodeURIComponent(bad)}`);
    const p = expectProblem(res, 400);
    assert.equal(firstErrorField(p), 'limit', `limit=${bad}`);
  }
});

test('limit 1 and 200 are accepted', async () => {
  const one = await api(server, 'GET', '/v1/gminas?limit=1');
  assert.equal(one.status, 200);
  assert.equal(one.json.items.length, 1);
  const max = await api(server, 'GET', '/v1/gminas?limit=200');
  assert.equal(max.status, 200);
  assert.equal(max.json.items.length, 71);
});

test('an unknown query parameter is a 400 problem naming it', async () => {
  const res = await api(server, 'GET', '/v1/gminas?foo=1');
  const p = expectProblem(res, 400);
  assert.equal(firstErrorField(p), 'foo');
  const withGood = await api(server, 'GET', '/v1/gminas?limit=5&updated_since=2020-01-01T00:00:00Z');
  assert.equal(firstErrorField(expectProblem(withGood, 400)), 'updated_since');
});

test('a bad cursor is a 400 problem naming cursor', async () => {
  const junk = [
    'garbage',
    Buffer.from('junk, not a cursor \u0000\u00ff').toString('base64url'),
    Buffer.from([0x9f, 0x00, 0xfe, 0x13, 0x37, 0xc3, 0x28, 0xff]).toString('base64url'),
    Buffer.from('{"teryt":').toString('base64url'),
    Buffer.from('\'; DROP TABLE gminas; --').toString('base64'),
    '%%%',
    '',
  ];
  for (const bad of junk) {
    const res = await api(server, 'GET', `/v1/gminas?cursor=${encodeURIComponent(bad)}`);
    const p = expectProblem(res, 400);
    assert.equal(firstErrorField(p), 'cursor', `cursor=${bad}`);
  }
});

test('a repeated query parameter is a 400 problem', async () => {
  const res = await api(server, 'GET', '/v1/gminas?limit=1&limit=2');
  const p = expectProblem(res, 400);
  if (Array.isArray(p.errors) && p.errors.length) assert.equal(p.errors[0].field, 'limit');
});

test('q of 101 characters is a 400 problem naming q; 100 is accepted', async () => {
  const long = await api(server, 'GET', `/v1/gminas?q=${'a'.repeat(101)}`);
  assert.equal(firstErrorField(expectProblem(long, 400)), 'q');
  const ascii = await api(server, 'GET', `/v1/gminas?q=${'a'.repeat(100)}`);
  assert.equal(ascii.status, 200, ascii.text);
  assert.deepEqual(ascii.json, { items: [], next_cursor: null });
  const polish = await api(server, 'GET', `/v1/gminas?q=${encodeURIComponent('ł'.repeat(101))}`);
  assert.equal(firstErrorField(expectProblem(polish, 400)), 'q', '101 characters, not bytes');
  const max = await api(server, 'GET', `/v1/gminas?q=${encodeURIComponent('ł'.repeat(100))}`);
  assert.equal(max.status, 200, `100 two-byte characters are 100 characters, not 200 bytes: ${max.text}`);
  assert.deepEqual(max.json, { items: [], next_cursor: null });
});

test('an empty q is a 400 problem naming q', async () => {
  const res = await api(server, 'GET', '/v1/gminas?q=');
  assert.equal(firstErrorField(expectProblem(res, 400)), 'q');
});

test('SQL-looking q is plain text: an empty list', async () => {
  for (const q of ["%' OR 1=1 --", "'; SELECT pg_sleep(5); --", '%', '_', '\\', 'Byczyna%']) {
    const res = await api(server, 'GET', `/v1/gminas?${qs({ q })}`);
    assert.equal(res.status, 200, `q=${q}: ${res.text}`);
    assert.deepEqual(res.json, { items: [], next_cursor: null }, `q=${q}`);
  }
});

test('a query value that is not valid UTF-8 is a 400 problem', async () => {
  const res = await api(server, 'GET', '/v1/gminas?q=%FF%FE');
  assert.equal(firstErrorField(expectProblem(res, 400)), 'q');
});

test('HEAD /v1/gminas/1604013 has the headers of GET and no body', async () => {
  const get = await api(server, 'GET', '/v1/gminas/1604013');
  const head = await api(server, 'HEAD', '/v1/gminas/1604013');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal(head.headers.get('etag'), get.headers.get('etag'));
});
