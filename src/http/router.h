/*
 * Matching a request path against the route table. Patterns are literal
 * segments and {name} captures of one segment each.
 */
#ifndef IPS_HTTP_ROUTER_H
#define IPS_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

struct route_match {
  const struct route *route;    /* NULL when the method did not match */
  bool path_known;              /* some route has this path */
  long path_route;              /* the first such route's index, or -1 */
  char allow[96];               /* methods for the path, for Allow */
};

/*
 * Finds the route for method and path (HEAD matches GET). Captured values are
 * stored in req (owned by it); returns the index of the route, or -1.
 */
long router_match(const struct route *routes, size_t n, const char *method, const char *path,
                  struct ips_request *req, struct route_match *m);

#endif
