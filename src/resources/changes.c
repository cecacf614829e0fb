#include "resources/changes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "db/notify.h"
#include "db/pool.h"
#include "http/problem.h"
#include "http/response.h"
#include "util/strbuf.h"

static const struct db_statement PAGE = {
  "changes_page",
  "SELECT seq, json_build_object('seq', seq, 'resource', resource, 'id', id, 'op', op,"
  " 'version', version, 'at', at)::text FROM changes WHERE seq > $1::bigint"
  " ORDER BY seq LIMIT $2::integer",
  2, false};

static const char *const PARAMS[] = {"after", "limit", "wait", NULL};

/* A whole number from min to max in s; false otherwise. */
static bool parse_number(const char *s, long long min, long long max, long long *out) {
  long long v = 0;
  if (*s == '\0' || strlen(s) > 18) return false;
  for (const char *c = s; *c; c++) {
    if (*c < '0' || *c > '9') return false;
    v = v * 10 + (*c - '0');
  }
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

static bool read_params(struct ips_request *req, long long *after, long long *limit, long long *wait) {
  const char *unknown = query_unknown_key(&req->query, PARAMS);
  const char *v;
  *after = 0;
  *limit = 100;
  *wait = 0;
  if (unknown) {
    problem_bad_parameter(req, unknown, "unknown_parameter", "is not a parameter of the change feed");
    return false;
  }
  if ((v = query_get(&req->query, "after")) && !parse_number(v, 0, 999999999999999999LL, after)) {
    problem_bad_parameter(req, "after", "invalid", "must be a sequence number (a whole number >= 0)");
    return false;
  }
  if ((v = query_get(&req->query, "limit")) && !parse_number(v, 1, 1000, limit)) {
    problem_bad_parameter(req, "limit", "invalid", "must be a whole number from 1 to 1000");
    return false;
  }
  if ((v = query_get(&req->query, "wait")) && !parse_number(v, 0, CHANGES_MAX_WAIT_S, wait)) {
    problem_bad_parameter(req, "wait", "invalid", "must be a whole number of seconds from 0 to 30");
    return false;
  }
  return true;
}

/* One page after `after`; IPS_OK with the result in *out. */
static ips_status fetch(struct ips_request *req, long long after, long long limit, PGresult **out) {
  char after_text[24], limit_text[24];
  struct db_conn *conn;
  snprintf(after_text, sizeof after_text, "%lld", after);
  snprintf(limit_text, sizeof limit_text, "%lld", limit);
  const char *values[] = {after_text, limit_text};
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &PAGE, values, out);
  request_db_release(req); /* a long poll holds no connection */
  return st;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void changes_list(struct ips_request *req) {
  long long after, limit, wait;
  PGresult *res = NULL;
  if (!read_params(req, &after, &limit, &wait) || !request_may(req, NULL)) return;
  ips_status st = fetch(req, after, limit, &res);
  struct notifier *n = req->app->notifier;
  bool waiting = st == IPS_OK && PQntuples(res) == 0 && wait > 0 && n;
  bool entered = waiting && notifier_enter(n);
  if (waiting && !entered && !notifier_closing(n)) {
    /* as many long polls wait as may (IPS_LONG_POLL_MAX): an empty page now
     * would only make the client ask again at once */
    PQclear(res);
    problem_send_kind(req, PROBLEM_OVERLOADED, "too many long polls are waiting; retry after Retry-After seconds");
    return;
  }
  if (entered) {
    double deadline = now_s() + (double)wait;
    while (st == IPS_OK && PQntuples(res) == 0 && !notifier_closing(n)) {
      double left = deadline - now_s();
      if (left <= 0) break;
      notifier_wait(n, after, (unsigned)(left * 1000));
      PQclear(res);
      res = NULL;
      st = fetch(req, after, limit, &res);
    }
    notifier_leave(n);
  }
  if (st != IPS_OK) {
    PQclear(res);
    problem_from_status(req, st);
    return;
  }
  struct strbuf b;
  strbuf_init(&b);
  strbuf_puts(&b, "{\"items\":[");
  int rows = PQntuples(res);
  for (int i = 0; i < rows; i++) {
    if (i) strbuf_putc(&b, ',');
    strbuf_append(&b, PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1));
  }
  /* the last item's seq, or after itself on an empty page */
  char next[24];
  if (rows) snprintf(next, sizeof next, "%s", PQgetvalue(res, rows - 1, 0));
  else snprintf(next, sizeof next, "%lld", after);
  strbuf_printf(&b, "],\"next\":%s}", next);
  PQclear(res);
  size_t len = b.len;
  char *text = strbuf_steal(&b);
  if (text == NULL) {
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "out of memory");
    return;
  }
  respond_json_owned(req, 200, text, len);
}
