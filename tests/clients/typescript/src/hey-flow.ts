// The same contract through the SDK @hey-api/openapi-ts generates (its
// fetch client): sign in, list, create, read, patch.
import assert from 'node:assert/strict';
import { type Client, createClient } from './generated/hey/client';
import {
  createEsEntity, getEsEntity, getMe, issueToken, listEsEntities, patchEsEntity,
} from './generated/hey/sdk.gen';
import type { EsEntity, EsEntityCreate } from './generated/hey/types.gen';
import { type FlowEnv, type Step, etagOf, retryAfterMs, sleep } from './check';

const SIGN_IN_ATTEMPTS = 8;

/* Registers the steps with step(); env is read when they run. */
export function heyFlow(step: Step, env: FlowEnv): void {
  let accessToken = '';
  let client: Client;

  step('sign in', async () => {
    // the SDK asks `auth` for the bearer token of every operation that needs one
    client = createClient({ baseUrl: env.baseUrl, auth: () => accessToken });
    for (let attempt = 1; !accessToken; attempt++) {
      const { data, error, response } = await issueToken({
        client, body: { grant_type: 'password', username: env.username, password: env.password },
      });
      if (data) {
        assert.equal(data.token_type, 'Bearer');
        accessToken = data.access_token;
      } else if (response.status === 503 && attempt < SIGN_IN_ATTEMPTS) {
        await sleep(retryAfterMs(response.headers));
      } else {
        assert.fail(`sign-in: ${response.status} ${JSON.stringify(error)}`);
      }
    }
    const me = await getMe({ client });
    assert.ok(me.data);
    assert.equal(me.data.partner, env.partner);
  });

  let entity: EsEntity | undefined;
  step('create with Idempotency-Key, and its replay', async () => {
    const body: EsEntityCreate = {
      name: `${env.tag} Stowarzyszenie Razem`, legal_form: 'association', teryt_gmina: '1604023', employees: 3,
    };
    const key = `${env.tag}-hey-create`;
    const created = await createEsEntity({ client, body, headers: { 'Idempotency-Key': key } });
    assert.equal(created.response.status, 201, JSON.stringify(created.error));
    assert.ok(created.data);
    entity = created.data;
    assert.equal(entity.legal_form, 'association');
    assert.equal(entity.employees, 3);
    assert.equal(entity.version, 1);
    assert.equal(created.response.headers.get('ETag'), etagOf(1));
    const replay = await createEsEntity({ client, body, headers: { 'Idempotency-Key': key } });
    assert.equal(replay.response.headers.get('Idempotent-Replayed'), 'true');
    assert.deepEqual(replay.data, entity);
  });

  step('list with a filter', async () => {
    assert.ok(entity);
    const { data, response } = await listEsEntities({ client, query: { q: env.tag, legal_form: 'association' } });
    assert.equal(response.status, 200);
    assert.ok(data);
    assert.deepEqual(data.items, [entity]);
    assert.equal(data.next_cursor, null);
  });

  step('read with its ETag; If-None-Match answers 304', async () => {
    assert.ok(entity);
    const read = await getEsEntity({ client, path: { id: entity.id } });
    assert.equal(read.response.status, 200);
    assert.deepEqual(read.data, entity);
    const etag = read.response.headers.get('ETag');
    assert.equal(etag, etagOf(1));
    const again = await getEsEntity({ client, path: { id: entity.id }, headers: { 'If-None-Match': etag ?? '' } });
    assert.equal(again.response.status, 304);
  });

  step('merge patch with If-Match; a stale one is 412', async () => {
    assert.ok(entity);
    const patched = await patchEsEntity({
      client, path: { id: entity.id }, headers: { 'If-Match': etagOf(1) }, body: { website: 'https://razem.example.pl', members: 14 },
    });
    assert.equal(patched.response.status, 200, JSON.stringify(patched.error));
    assert.ok(patched.data);
    assert.equal(patched.data.version, 2);
    assert.equal(patched.data.website, 'https://razem.example.pl');
    assert.equal(patched.data.members, 14);
    assert.equal(patched.response.headers.get('ETag'), etagOf(2));
    const stale = await patchEsEntity({
      client, path: { id: entity.id }, headers: { 'If-Match': etagOf(1) }, body: { members: 15 },
    });
    assert.equal(stale.response.status, 412);
    assert.ok(stale.error);
    assert.equal(stale.error.status, 412);
  });
}
