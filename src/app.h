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
  ROUTE_PUBLIC = 1 << 0,    /* no token needed */
  ROUTE_ANY_ROLE = 1 << 1,  /* any authenticated caller; no policy row */
};

typedef void (*route_handler)(struct ips_request *req);

struct route {
  const char *method;      /* GET, POST, PUT, PATCH, DELETE */
  const char *pattern;     /* /v1/gminas/{teryt} */
  route_handler handler;
  unsigned flags;
  /* The policy row; for a route without {id} the dispatcher checks it, for a
   * record route the handler does, once the record is known to exist. */
  policy_resource policy;
  policy_action action;
  const void *data;        /* the handler's: a struct resource for the engine */
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
  const struct route *routes;       /* static */
  size_t nroutes;
  struct metrics *metrics;          /* owned by server.c */
  struct jwt_keys *keys;            /* owned by server.c */
  struct token_cache *tokens;       /* owned by server.c; NULL when IPS_AUTH_CACHE=off */
  struct notifier *notifier;        /* owned by server.c: wakes change-feed long polls */
  struct slots *password_checks;    /* owned by server.c: argon2id checks at once (IPS_PASSWORD_CHECKS) */
};

#endif
