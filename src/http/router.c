#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compares one pattern with path; on a match fills names/values (values are
 * pointers into path with lengths). */
static bool pattern_matches(const char *pattern, const char *path, const char **names,
                            size_t *name_lens, const char **values, size_t *value_lens,
                            size_t *nparams) {
  size_t np = 0;
  const char *p = pattern, *s = path;
  while (*p && *s) {
    if (*p != '/' || *s != '/') return false;
    p++;
    s++;
    const char *pend = strchr(p, '/');
    const char *send = strchr(s, '/');
    size_t plen = pend ? (size_t)(pend - p) : strlen(p);
    size_t slen = send ? (size_t)(send - s) : strlen(s);
    if (plen > 2 && p[0] == '{' && p[plen - 1] == '}') {
      if (slen == 0 || np == ROUTE_MAX_PARAMS) return false;
      names[np] = p + 1;
      name_lens[np] = plen - 2;
      values[np] = s;
      value_lens[np] = slen;
      np++;
    } else if (plen != slen || memcmp(p, s, plen) != 0) {
      return false;
    }
    p += plen;
    s += slen;
  }
  if (*p || *s) return false;
  *nparams = np;
  return true;
}

static void allow_add(char *allow, size_t cap, const char *method) {
  if (strstr(allow, method)) return;
  size_t len = strlen(allow);
  snprintf(allow + len, cap - len, "%s%s", len ? ", " : "", method);
}

long router_match(const struct route *routes, size_t n, const char *method, const char *path,
                  struct ips_request *req, struct route_match *m) {
  const char *names[ROUTE_MAX_PARAMS], *values[ROUTE_MAX_PARAMS];
  size_t name_lens[ROUTE_MAX_PARAMS], value_lens[ROUTE_MAX_PARAMS], np = 0;
  long found = -1;
  const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
  memset(m, 0, sizeof *m);
  m->path_route = -1;
  for (size_t i = 0; i < n; i++) {
    size_t cnt;
    const char *nm[ROUTE_MAX_PARAMS], *vl[ROUTE_MAX_PARAMS];
    size_t nl[ROUTE_MAX_PARAMS], vll[ROUTE_MAX_PARAMS];
    if (!pattern_matches(routes[i].pattern, path, nm, nl, vl, vll, &cnt)) continue;
    if (!m->path_known) m->path_route = (long)i;
    m->path_known = true;
    allow_add(m->allow, sizeof m->allow, routes[i].method);
    if (strcmp(routes[i].method, "GET") == 0) allow_add(m->allow, sizeof m->allow, "HEAD");
    if (found < 0 && strcmp(routes[i].method, want) == 0) {
      found = (long)i;
      np = cnt;
      memcpy(names, nm, sizeof nm);
      memcpy(values, vl, sizeof vl);
      memcpy(name_lens, nl, sizeof nl);
      memcpy(value_lens, vll, sizeof vll);
    }
  }
  if (m->path_known) allow_add(m->allow, sizeof m->allow, "OPTIONS");
  if (found < 0) return -1;
  m->route = &routes[found];
  for (size_t i = 0; i < np; i++) {
    req->param_values[i] = strndup(values[i], value_lens[i]);
    req->param_names[i] = names[i];
    req->param_name_lens[i] = name_lens[i];
  }
  req->nparams = np;
  return found;
}
