/*
 * Reads of one record by id, batched. Requests that want a record of the
 * same resource while its reads are busy are sent to the database as one
 * statement (WHERE id = ANY of the ids): PostgreSQL spends most of a
 * one-row read on the statement, not the row, so a batch of eight costs
 * about what two single reads do. A request finding fewer batches in
 * flight than half the machine's cores sends its own at once, so a quiet
 * service waits for nothing; otherwise it waits for the next batch, which
 * the first of the waiting requests sends on its own connection as soon as
 * one in flight returns. Each batch starts after its requests arrived, so a
 * client reads what it wrote. Waiting requests hold no database connection.
 * A batch of one is read with the plain one-row statement.
 */
#ifndef IPS_RESOURCE_READ_BATCH_H
#define IPS_RESOURCE_READ_BATCH_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "http/request.h"
#include "ips.h"

struct read_batcher;
struct db_statement;

/* How many batches of one resource may be in flight at once (0: half the
 * cores, at least one). In IPS_HTTP_MODE=pool a waiting request holds up its worker's
 * other connections, so there it is the number of workers: nobody waits. */
void read_batch_set_senders(unsigned senders);

/* A new batcher for statement get_many ($1 ids[], $2 scopes[] -> place,
 * version, partner, json), and get ($1 id [, $2 scope] -> version,
 * partner, json) for a request alone; NULL when out of memory. */
struct read_batcher *read_batcher_create(const struct db_statement *get_many, const struct db_statement *get);
void read_batcher_destroy(struct read_batcher *b);

/* One record's row as the batch read it: columns col, col + 1, col + 2 of
 * row in res are version, partner, json. res is shared by the batch's
 * requests. */
struct read_result {
  const PGresult *res;  /* borrowed until read_result_release */
  int row;              /* -1: no live record has the id */
  int col;
  bool shared;          /* the statement carried other requests' ids too */
  void *batch;          /* private */
};

/* Reads the record id with PII scope (NULL: none) for req; IPS_OK with
 * *out filled (release it), or the status of a failed batch. */
ips_status read_batch_get(struct read_batcher *b, struct ips_request *req, const char *id, const char *scope,
                          struct read_result *out);
void read_result_release(struct read_result *r);

#endif
