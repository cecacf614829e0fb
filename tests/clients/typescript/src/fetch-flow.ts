// The README's walk through, as a client developer writes it with
// openapi-fetch on the types openapi-typescript generates from
// api/openapi.yaml: every request and answer is typed by the contract.
import assert from 'node:assert/strict';
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/schema';
import { type FlowEnv, type Step, etagOf, nextLink, quietDay, retryAfterMs, sleep } from './check';

type Schemas = components['schemas'];
type Api = Client<paths>;

const SIGN_IN_ATTEMPTS = 8;
const FEED_PAGE = 1000;
const FEED_MAX_PAGES = 1000;

/* Signs in with the password grant, waiting out a busy 503 a few times as a real client would. */
async function signIn(api: Api, env: FlowEnv): Promise<Schemas['TokenResponse']> {
  for (let attempt = 1; ; attempt++) {
    const { data, error, response } = await api.POST('/v1/auth/token', {
      body: { grant_type: 'password', username: env.username, password: env.password },
    });
    if (data) return data;
    if (response.status !== 503 || attempt === SIGN_IN_ATTEMPTS) {
      assert.fail(`sign-in of ${env.username}: ${response.status} ${JSON.stringify(error)}`);
    }
    await sleep(retryAfterMs(response.headers));
  }
}

/* Reads the change feed from `after` until an empty page; answers every item read and the last `next`. */
async function readFeed(api: Api, after: number): Promise<{ items: Schemas['Change'][]; next: number }> {
  const items: Schemas['Change'][] = [];
  let next = after;
  for (let page = 0; page < FEED_MAX_PAGES; page++) {
    const { data, error, response } = await api.GET('/v1/changes', { params: { query: { after: next, limit: FEED_PAGE } } });
    assert.ok(data, `change feed after ${next}: ${response.status} ${JSON.stringify(error)}`);
    if (data.items.length > 0) assert.equal(data.next, data.items[data.items.length - 1].seq, 'next is the last seq');
    else assert.equal(data.next, next, 'an empty page answers after itself');
    items.push(...data.items);
    if (data.items.length === 0) return { items, next };
    next = data.next;
  }
  assert.fail(`the change feed did not end within ${FEED_MAX_PAGES} pages`);
}

/* Indicators of one day for one partner. */
async function indicatorsOf(api: Api, day: string, partner: string): Promise<Schemas['Indicators']> {
  const { data, error, response } = await api.GET('/v1/reports/indicators', {
    params: { query: { from: day, to: day, partner } },
  });
  assert.ok(data, `indicators: ${response.status} ${JSON.stringify(error)}`);
  return data;
}

/*
 * Registers the walk through, one step after the other, with step(); env is
 * read when the steps run (the harness fills it in once the server is up).
 */
export function fetchFlow(step: Step, env: FlowEnv): void {
  let api: Api;
  let accessToken = '';
  let refreshToken = '';

  step('the gminas of powiat 1604 by name, without a token', async () => {
    api = createClient<paths>({ baseUrl: env.baseUrl });
    api.use({
      onRequest({ request }) {
        if (accessToken) request.headers.set('Authorization', `Bearer ${accessToken}`);
        return request;
      },
    });
    const { data, response } = await api.GET('/v1/gminas', { params: { query: { powiat: '1604', sort: 'name' } } });
    assert.equal(response.status, 200);
    assert.ok(data);
    assert.equal(data.items.length, 4);
    assert.ok(data.items.every((g) => g.powiat === '1604'));
    const names = data.items.map((g) => g.name);
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b, 'pl')));
    assert.equal(data.next_cursor, null);
  });

  step('sign in with a password; /v1/me names the user', async () => {
    const tokens = await signIn(api, env);
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.expires_in, 900);
    accessToken = tokens.access_token;
    refreshToken = tokens.refresh_token;
    const { data, response } = await api.GET('/v1/me');
    assert.equal(response.status, 200);
    assert.ok(data);
    assert.equal(data.partner, env.partner);
    assert.equal(data.role, 'coordinator');
    assert.equal(data.iss, 'ips-api');
  });

  let feedStart = 0;
  step('catch up with the change feed', async () => {
    feedStart = (await readFeed(api, 0)).next;
  });

  let entity: Schemas['EsEntity'] | undefined;
  step('create an ES entity with Idempotency-Key; the retry is its replay', async () => {
    const key = `${env.tag}-create-1`;
    const first: Schemas['EsEntityCreate'] = {
      name: `${env.tag} Spółdzielnia Socjalna Nadzieja`,
      legal_form: 'social_cooperative',
      teryt_gmina: '1604013',
    };
    const created = await api.POST('/v1/es-entities', { params: { header: { 'Idempotency-Key': key } }, body: first });
    assert.equal(created.response.status, 201, JSON.stringify(created.error));
    assert.ok(created.data);
    entity = created.data;
    assert.equal(entity.name, first.name);
    assert.equal(entity.partner, env.partner);
    assert.equal(entity.status, 'candidate');
    assert.equal(entity.public, false);
    assert.equal(entity.nip, null);
    assert.equal(entity.version, 1);
    assert.equal(created.response.headers.get('ETag'), etagOf(1));
    assert.equal(created.response.headers.get('Location'), `/v1/es-entities/${entity.id}`);
    assert.equal(created.response.headers.get('Idempotent-Replayed'), null);

    const replay = await api.POST('/v1/es-entities', { params: { header: { 'Idempotency-Key': key } }, body: first });
    assert.equal(replay.response.status, 201);
    assert.equal(replay.response.headers.get('Idempotent-Replayed'), 'true');
    assert.equal(replay.response.headers.get('Location'), `/v1/es-entities/${entity.id}`);
    assert.deepEqual(replay.data, entity);
  });

  step('list with filters, two a page, following next_cursor and the Link header', async () => {
    for (const name of ['Razem', 'Tęcza']) {
      const { response } = await api.POST('/v1/es-entities', {
        body: { name: `${env.tag} Spółdzielnia Socjalna ${name}`, legal_form: 'social_cooperative', teryt_gmina: '1604013' },
      });
      assert.equal(response.status, 201);
    }
    // one of another legal form, which the filter leaves out
    const other = await api.POST('/v1/es-entities', {
      body: { name: `${env.tag} Fundacja Most`, legal_form: 'foundation', teryt_gmina: '1604013' },
    });
    assert.equal(other.response.status, 201);

    const query = { q: env.tag, legal_form: 'social_cooperative', sort: 'name', limit: 2 } as const;
    const page1 = await api.GET('/v1/es-entities', { params: { query } });
    assert.equal(page1.response.status, 200);
    assert.ok(page1.data);
    assert.equal(page1.data.items.length, 2);
    const cursor = page1.data.next_cursor;
    assert.equal(typeof cursor, 'string');
    const link = nextLink(page1.response.headers, env.baseUrl);
    assert.equal(link.pathname, '/v1/es-entities');
    assert.equal(link.searchParams.get('cursor'), cursor);
    assert.equal(link.searchParams.get('legal_form'), 'social_cooperative');

    const page2 = await api.GET('/v1/es-entities', { params: { query: { ...query, cursor: cursor ?? undefined } } });
    assert.equal(page2.response.status, 200);
    assert.ok(page2.data);
    assert.equal(page2.data.next_cursor, null);
    assert.equal(page2.response.headers.get('Link'), null);
    const names = [...page1.data.items, ...page2.data.items].map((e) => e.name);
    assert.deepEqual(names, ['Nadzieja', 'Razem', 'Tęcza'].map((n) => `${env.tag} Spółdzielnia Socjalna ${n}`));
    assert.ok([...page1.data.items, ...page2.data.items].every((e) => e.legal_form === 'social_cooperative'));
  });

  step('read with its ETag; If-None-Match answers 304', async () => {
    assert.ok(entity);
    const path = { id: entity.id };
    const read = await api.GET('/v1/es-entities/{id}', { params: { path } });
    assert.equal(read.response.status, 200);
    assert.deepEqual(read.data, entity);
    const etag = read.response.headers.get('ETag');
    assert.equal(etag, etagOf(entity.version));
    const again = await api.GET('/v1/es-entities/{id}', { params: { path, header: { 'If-None-Match': etag ?? '' } } });
    assert.equal(again.response.status, 304);
    assert.equal(again.data, undefined);
  });

  step('merge patch with If-Match; a stale If-Match is a 412 problem', async () => {
    assert.ok(entity);
    const path = { id: entity.id };
    const stale = etagOf(entity.version);
    const patched = await api.PATCH('/v1/es-entities/{id}', {
      params: { path, header: { 'If-Match': stale } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: { status: 'active', city: 'Byczyna', employees: 6, disadvantaged_employees: 4 },
    });
    assert.equal(patched.response.status, 200, JSON.stringify(patched.error));
    assert.ok(patched.data);
    assert.equal(patched.data.version, entity.version + 1);
    assert.equal(patched.data.status, 'active');
    assert.equal(patched.data.city, 'Byczyna');
    assert.equal(patched.data.disadvantaged_employees, 4);
    assert.equal(patched.data.name, entity.name);
    assert.equal(patched.response.headers.get('ETag'), etagOf(patched.data.version));
    entity = patched.data;

    const conflict = await api.PATCH('/v1/es-entities/{id}', {
      params: { path, header: { 'If-Match': stale } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: { city: 'Kluczbork' },
    });
    assert.equal(conflict.response.status, 412);
    assert.equal(conflict.response.headers.get('Content-Type'), 'application/problem+json');
    assert.equal(conflict.response.headers.get('ETag'), etagOf(entity.version));
    assert.ok(conflict.error);
    assert.equal(conflict.error.status, 412);
    assert.equal(typeof conflict.error.detail, 'string');
  });

  let deliveryId = '';
  let beneficiaryId = '';
  step('a seminar delivery with attendance (PUT participants), counted by the indicators', async () => {
    const services = await api.GET('/v1/services', { params: { query: { kind: 'seminar', active: true } } });
    assert.ok(services.data);
    const seminar = services.data.items[0];
    assert.ok(seminar, 'the catalogue has an active seminar');
    assert.equal(seminar.kind, 'seminar');

    const person = await api.POST('/v1/beneficiaries', {
      body: {
        first_name: 'Maria', last_name: `${env.tag}-Nowak`, gender: 'female',
        teryt_gmina: '1604013', consent_on: '2026-01-10',
      },
    });
    assert.equal(person.response.status, 201, JSON.stringify(person.error));
    assert.ok(person.data);
    beneficiaryId = person.data.id;
    assert.equal(person.data.erased, false);

    const day = quietDay();
    const before = await indicatorsOf(api, day, env.partner);
    const delivery = await api.POST('/v1/deliveries', {
      body: {
        service_id: seminar.id, started_at: `${day}T10:00:00+01:00`, hours: 3.5,
        topic: `${env.tag} Ekonomia społeczna w gminie`, guests: 12,
      },
    });
    assert.equal(delivery.response.status, 201, JSON.stringify(delivery.error));
    assert.ok(delivery.data);
    deliveryId = delivery.data.id;
    assert.equal(delivery.data.hours, 3.5);
    assert.equal(delivery.data.es_entity_id, null);
    assert.equal(delivery.response.headers.get('Location'), `/v1/deliveries/${deliveryId}`);

    const path = { id: deliveryId, beneficiary_id: beneficiaryId };
    const added = await api.PUT('/v1/deliveries/{id}/participants/{beneficiary_id}', { params: { path }, body: { attended: true } });
    assert.equal(added.response.status, 201, JSON.stringify(added.error));
    assert.ok(added.data);
    assert.equal(added.data.attended, true);
    const again = await api.PUT('/v1/deliveries/{id}/participants/{beneficiary_id}', { params: { path }, body: { attended: true } });
    assert.equal(again.response.status, 200);

    const list = await api.GET('/v1/deliveries/{id}/participants', { params: { path: { id: deliveryId } } });
    assert.ok(list.data);
    assert.deepEqual(list.data.items, [{
      beneficiary_id: beneficiaryId, attended: true, first_name: 'Maria', last_name: `${env.tag}-Nowak`, partner: env.partner,
    }]);

    const after = await indicatorsOf(api, day, env.partner);
    assert.deepEqual(after.period, { from: day, to: day, partner: env.partner });
    assert.equal(after.seminars.count - before.seminars.count, 1);
    assert.equal(after.seminars.beneficiary_attendees - before.seminars.beneficiary_attendees, 1);
    assert.equal(after.seminars.guests - before.seminars.guests, 12);
    assert.equal(after.by_service_kind.seminar.deliveries - before.by_service_kind.seminar.deliveries, 1);
    assert.equal(after.by_service_kind.seminar.hours - before.by_service_kind.seminar.hours, 3.5);
    assert.equal(after.beneficiaries.by_gender.female - before.beneficiaries.by_gender.female, 1);
  });

  step('the change feed has every change of this flow, in order', async () => {
    assert.ok(entity);
    const { items } = await readFeed(api, feedStart);
    const seqs = items.map((c) => c.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in commit order');
    const mine = (resource: Schemas['Change']['resource'], id: string) =>
      items.filter((c) => c.resource === resource && c.id === id).map((c) => `${c.op} ${c.version}`);
    assert.deepEqual(mine('es-entities', entity.id), ['upsert 1', 'upsert 2']);
    assert.deepEqual(mine('beneficiaries', beneficiaryId), ['upsert 1']);
    assert.deepEqual(mine('deliveries', deliveryId), ['upsert 1']);
    assert.deepEqual(mine('participants', `${deliveryId}/${beneficiaryId}`), ['upsert 1']);
  });

  step('refresh the token; the new access token works', async () => {
    const { data, response } = await api.POST('/v1/auth/token', {
      body: { grant_type: 'refresh_token', refresh_token: refreshToken },
    });
    assert.equal(response.status, 200);
    assert.ok(data);
    assert.notEqual(data.refresh_token, refreshToken);
    assert.notEqual(data.access_token, accessToken);
    accessToken = data.access_token;
    refreshToken = data.refresh_token;
    const me = await api.GET('/v1/me');
    assert.equal(me.response.status, 200);
  });

  step('revoke the refresh token; refreshing with it is then refused', async () => {
    const revoked = await api.POST('/v1/auth/revoke', { body: { refresh_token: refreshToken } });
    assert.equal(revoked.response.status, 204);
    const refused = await api.POST('/v1/auth/token', {
      body: { grant_type: 'refresh_token', refresh_token: refreshToken },
    });
    assert.equal(refused.response.status, 401);
    assert.equal(refused.response.headers.get('Content-Type'), 'application/problem+json');
    assert.ok(refused.error);
    assert.equal(refused.error.status, 401);
  });
}
