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
  ROUTE_PUBLIC = 1 << 0,   /* no token needed */
};

typedef void (*route_handler)(struct ips_request *req);

struct route {
  const char *method;      /* GET, POST, PUT, PATCH, DELETE */
  const char *pattern;     /* /v1/gminas/{teryt} */
  route_handler handler;
  unsigned flags;
};

struct metrics;
struct db_pool;

struct app {
  const struct ips_config *cfg;     /* borrowed */
  struct db_pool *pool;             /* owned by server.c */
  const struct route *routes;       /* static */
  size_t nroutes;
  struct metrics *metrics;          /* owned by server.c */
};

#endif
