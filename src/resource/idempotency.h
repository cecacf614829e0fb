/*
 * Idempotency-Key on creates (DESIGN §4). The key is claimed in the same
 * transaction as the write and the first response stored with it, so a
 * crash between write and reply can never let a retry write twice, and any
 * instance can replay it. A retry while the first is still running waits for
 * it (up to IDEMPOTENCY_WAIT_MS, then 409) and replays its answer. The
 * erasure of a record drops its stored answer (idempotency_forget_record).
 */
#ifndef IPS_RESOURCE_IDEMPOTENCY_H
#define IPS_RESOURCE_IDEMPOTENCY_H

#include <stdbool.h>

#include "db/pool.h"
#include "http/request.h"

#define IDEMPOTENCY_KEY_MAX 255
#define IDEMPOTENCY_WAIT_MS 5000

struct idempotency {
  bool active;              /* the request carried a key */
  char scope[200];          /* the caller: issuer and subject */
  char key[IDEMPOTENCY_KEY_MAX + 1];
  char request_hash[65];    /* of method, path and canonical body */
};

/* Reads the Idempotency-Key header into k. A malformed or over-long key is
 * answered 400 and false returned. */
bool idempotency_read(struct ips_request *req, struct idempotency *k);

enum idempotency_claim {
  IDEMPOTENCY_PROCEED,      /* the key is ours: write, then idempotency_store */
  IDEMPOTENCY_ANSWERED,     /* replayed, or refused (422/409/410): the response is sent */
  IDEMPOTENCY_FAILED,       /* *st says why; nothing sent */
};

/* Claims k inside the open transaction on conn. */
enum idempotency_claim idempotency_claim(struct ips_request *req, struct db_conn *conn,
                                         const struct idempotency *k, ips_status *st);

/* Stores the response of the write with the claimed key, in the transaction. */
ips_status idempotency_store(struct db_conn *conn, const struct idempotency *k, long status,
                             const char *body, const char *etag, const char *location);

/*
 * Forgets, in the open transaction on conn, every stored answer of the
 * create of the record id of resource (its path segment, "beneficiaries"),
 * for the erasure of that record: the stored body (which holds its
 * personal data), the request hash (made from it), ETag and Location go,
 * whatever their age (expired answers are not purged). The key itself
 * stays claimed until its 24 hours end: forgetting it would let a retry of
 * the create make the person again. A later request with the key, whatever
 * its body, is answered 410 (code "erased"), not a replay of the erased
 * record as 201: that would tell a retrying client it has just created
 * someone, and telling the same body from another would need the hash of
 * the personal data kept.
 */
ips_status idempotency_forget_record(struct db_conn *conn, const char *resource, const char *id);

#endif
