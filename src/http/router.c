#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compares one pattern with path, a character at a time so that a route
 * that differs is left at the first differing character; on a match fills
 * names/values (values are pointers into path with lengths). A {name}
 * capture is one whole, non-empty segment. */
static bool pattern_matches(const char *pattern, const char *path, const char **names,
                            size_t *name_lens, const char **values, size_t *value_lens,
                            size_t *nparams) {
  size_t np = 0;
  const char *p = pattern, *s = path;
  for (;;) {
    if (*p == '{') {
      const char *close = strchr(p, '}');
      size_t slen = strcspn(s, "/");
      if (close == NULL || slen == 0 || np == ROUTE_MAX_PARAMS) return false;
      names[np] = p + 1;
      name_lens[np] = (size_t)(close - p) - 1;
      values[np] = s;
      value_lens[np] = slen;
      np++;
      p = close + 1;
      s += slen;
      continue;
    }
    if (*p != *s) return false;
    if (*p == '\0') break;
    p++;
    s++;
  }
  *nparams = np;
  return true;
}

static void allow_add(char *allow, size_t cap, const char *method) {
  if (strstr(allow, method)) return;
  size_t len = strlen(allow);
  snprintf(allow + len, cap - len, "%s%s", len ? ", " : "", method);
}

/* The methods of every route of path, for Allow (HEAD with GET, OPTIONS
 * always): only an answer that lists them needs them. */
static void allow_fill(const struct route *routes, size_t n, const char *path, char *allow, size_t cap) {
  const char *names[ROUTE_MAX_PARAMS], *values[ROUTE_MAX_PARAMS];
  size_t name_lens[ROUTE_MAX_PARAMS], value_lens[ROUTE_MAX_PARAMS], np;
  for (size_t i = 0; i < n; i++) {
    if (!pattern_matches(routes[i].pattern, path, names, name_lens, values, value_lens, &np)) continue;
    allow_add(allow, cap, routes[i].method);
    if (strcmp(routes[i].method, "GET") == 0) allow_add(allow, cap, "HEAD");
  }
  allow_add(allow, cap, "OPTIONS");
}

long router_match(const struct route *routes, size_t n, const char *method, const char *path,
                  struct ips_request *req, struct route_match *m) {
  const char *names[ROUTE_MAX_PARAMS], *values[ROUTE_MAX_PARAMS];
  size_t name_lens[ROUTE_MAX_PARAMS], value_lens[ROUTE_MAX_PARAMS], np = 0;
  long found = -1;
  const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
  m->route = NULL;
  m->path_known = false;
  m->path_route = -1;
  m->allow[0] = '\0';
  for (size_t i = 0; i < n && found < 0; i++) {
    if (!pattern_matches(routes[i].pattern, path, names, name_lens, values, value_lens, &np)) continue;
    if (!m->path_known) m->path_route = (long)i;
    m->path_known = true;
    if (strcmp(routes[i].method, want) == 0) found = (long)i;
  }
  if (found < 0) {
    if (m->path_known) allow_fill(routes, n, path, m->allow, sizeof m->allow);
    return -1;
  }
  m->route = &routes[found];
  for (size_t i = 0; i < np; i++) {
    req->param_values[i] = strndup(values[i], value_lens[i]);
    req->param_names[i] = names[i];
    req->param_name_lens[i] = name_lens[i];
  }
  req->nparams = np;
  return found;
}
