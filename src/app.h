/*
 * What every handler can reach: configuration, the pool, the route table.
 * Built once by server.c; read-only while serving.
 */
#ifndef IPS_APP_H
#define IPS_APP_H

#include <stddef.h>

#include "config.h"
#include "http/request.h"

enum route_flags {
  ROUTE_PUBLIC = 1 << 0,    /* no token needed, no policy row */
};

typedef void (*route_handler)(struct ips_request *req);

struct resource;

/*
 * One row of the route table (src/routes.c), the one source of who may call
 * a route. A route that is not ROUTE_PUBLIC needs a token, and its policy
 * row and action decide what each role may do; a row that names no policy
 * (POLICY_NONE, the zero) is denied to everyone. The handler makes the
 * check through request_may() once it knows the record's owner.
 */
struct route {
  const char *method;      /* GET, POST, PUT, PATCH, DELETE */
  const char *pattern;     /* /v1/gminas/{teryt} */
  route_handler handler;
  unsigned flags;
  policy_resource policy;
  policy_action action;
  struct resource *resource; /* the engine's descriptor, for engine handlers; else NULL */
};

struct metrics;
struct db_pool;
struct jwt_keys;
struct token_cache;
struct notifier;
struct slots;

struct app {
  const struct ips_config *cfg;     /* borrowed */
  struct db_pool *pool;             /* owned by server.c */
  struct db_pool *replica;          /* owned by server.c; NULL without IPS_REPLICA_DATABASE_URL */
  const struct route *routes;       /* static */
  size_t nroutes;
  struct metrics *metrics;          /* owned by server.c */
  struct jwt_keys *keys;            /* owned by server.c */
  struct token_cache *tokens;       /* owned by server.c; NULL when IPS_AUTH_CACHE=off */
  struct notifier *notifier;        /* owned by server.c: wakes change-feed long polls */
  struct slots *password_checks;    /* owned by server.c: argon2id checks at once (IPS_PASSWORD_CHECKS) */
};

#endif
