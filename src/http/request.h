/*
 * One HTTP request as the handlers see it, and the request-shape checks that
 * run before any handler: request id, body size, content type, JSON syntax
 * and nesting.
 */
#ifndef IPS_HTTP_REQUEST_H
#define IPS_HTTP_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <ulfius.h>

#include "http/query.h"
#include "auth/policy.h"
#include "http/shape.h"
#include "ips.h"

#define ROUTE_MAX_PARAMS 4

struct app;
struct route;
struct db_conn;

struct principal {
  bool authenticated;
  char sub[64];
  char partner[33];
  char role[16];
  char iss[128];
  long long exp;
  policy_role role_id;
};

struct ips_request {
  const struct _u_request *u;        /* borrowed from ulfius */
  struct _u_response *resp;          /* borrowed from ulfius */
  const struct app *app;             /* borrowed */
  const struct route *route;         /* NULL when no route matched */
  const char *route_pattern;         /* the matched path's pattern (static), also for OPTIONS and 405; else NULL */
  char request_id[REQUEST_ID_MAX + 1];
  const char *param_names[ROUTE_MAX_PARAMS];  /* into the static pattern, not NUL-ended */
  size_t param_name_lens[ROUTE_MAX_PARAMS];
  char *param_values[ROUTE_MAX_PARAMS]; /* owned */
  size_t nparams;
  struct query query;
  ips_status query_status;
  json_t *body;                      /* owned; NULL when there was none */
  struct principal principal;
  struct db_conn *db;                /* checked out on demand, in at the end */
  bool db_is_replica;                 /* db is the replica's (request_read_db) */
  bool authorized;                   /* request_may() allowed the route's action */
};

/* A request header, borrowed; NULL when absent. Case-insensitive name. */
const char *request_header(const struct ips_request *req, const char *name);

/* The client's address as text into out (IP_TEXT_MAX bytes): the socket's
 * peer, or what a trusted proxy says in X-Forwarded-For (http/client_address.h).
 * IPS_INVALID, and out empty, when the connection has no IP peer. */
ips_status request_client_address(const struct ips_request *req, char *out);

/* The value of route parameter name, borrowed; NULL when absent. */
const char *request_param(const struct ips_request *req, const char *name);

/*
 * Checks the body's size, type and syntax and parses it into req->body. On a
 * bad body it sends the problem (413, 415 or 400) and returns false.
 */
bool request_read_body(struct ips_request *req, size_t max_body_bytes);

/* Checks a connection out for this request (once; later calls reuse it). On
 * IPS_UNAVAILABLE the caller answers 503. Checked in by the dispatcher. */
ips_status request_db(struct ips_request *req, struct db_conn **out);

/* The same for a read that may lag a few seconds behind the writes (the
 * reports): a connection to the replica (IPS_REPLICA_DATABASE_URL) when
 * there is one and it answers, else to the primary. Never for what a
 * client reads back right after writing, nor in a transaction that writes. */
ips_status request_read_db(struct ips_request *req, struct db_conn **out);

/* True when the request has no query parameters; otherwise sends a 400
 * naming the first one. For routes that take none. */
bool request_no_query(struct ips_request *req);

/*
 * The one authorization check (DESIGN §2): whether the caller may do the
 * route's action (its policy row and action in the route table) to a record
 * owned by record_partner, or, with record_partner NULL, at all (a list, or
 * a create owned by the caller's partner). Sends 403 and returns false when
 * not. Public routes are always allowed. Every handler of a guarded route
 * calls it, after the 400 and 404 checks; the dispatcher refuses a success
 * answer that was made without it.
 */
bool request_may(struct ips_request *req, const char *record_partner);

/* Checks a connection out for the request and begins its one writing
 * transaction, with the caller as the actor of its audit entries. */
ips_status request_tx_begin(struct ips_request *req, struct db_conn **out);

/* Gives the connection back early, before slow work that needs none. */
void request_db_release(struct ips_request *req);

#endif
