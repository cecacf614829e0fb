#include "http/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "db/pool.h"
#include "http/problem.h"
#include "http/response.h"
#include "util/strbuf.h"

static const long STATUSES[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 412,
                                413, 415, 422, 428, 429, 500, 503};
#define NSTATUS (sizeof STATUSES / sizeof STATUSES[0])
static const double BUCKETS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NBUCKET (sizeof BUCKETS / sizeof BUCKETS[0])

struct route_metrics {
  atomic_ulong by_status[NSTATUS + 1]; /* the last one: any other status */
  atomic_ulong buckets[NBUCKET];       /* not cumulative; summed when rendered */
  atomic_ulong count;
  atomic_ulong sum_us;
};

/* Slots: one per route; then, per route, the other methods asked of its
 * path (OPTIONS, or a method it does not allow: 405), counted under the
 * path's first route; last, the paths no route has ("unmatched"). */
struct metrics {
  size_t nroutes;
  atomic_long in_flight;
  atomic_ulong replica_reads, replica_fallbacks;
  atomic_ulong reads_by_id, reads_by_id_shared;
  struct route_metrics routes[]; /* 2 * nroutes + 1 */
};

struct metrics *metrics_create(size_t nroutes) {
  struct metrics *m = calloc(1, sizeof *m + (2 * nroutes + 1) * sizeof(struct route_metrics));
  if (m) m->nroutes = nroutes;
  return m;
}

void metrics_destroy(struct metrics *m) { free(m); }

void metrics_read_by_id(struct metrics *m, bool shared) {
  if (m == NULL) return;
  atomic_fetch_add_explicit(&m->reads_by_id, 1, memory_order_relaxed);
  if (shared) atomic_fetch_add_explicit(&m->reads_by_id_shared, 1, memory_order_relaxed);
}

void metrics_replica_read(struct metrics *m, bool from_replica) {
  if (m == NULL) return;
  atomic_fetch_add_explicit(from_replica ? &m->replica_reads : &m->replica_fallbacks, 1, memory_order_relaxed);
}

void metrics_observe(struct metrics *m, long route, long path_route, long status, double seconds) {
  size_t slot = route >= 0 ? (size_t)route : path_route >= 0 ? m->nroutes + (size_t)path_route : 2 * m->nroutes;
  struct route_metrics *r = &m->routes[slot];
  size_t s = 0;
  while (s < NSTATUS && STATUSES[s] != status) s++;
  atomic_fetch_add_explicit(&r->by_status[s], 1, memory_order_relaxed);
  size_t b = 0;
  while (b < NBUCKET && seconds > BUCKETS[b]) b++;
  if (b < NBUCKET) atomic_fetch_add_explicit(&r->buckets[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&r->sum_us, (unsigned long)(seconds * 1e6), memory_order_relaxed);
}

void metrics_in_flight_add(struct metrics *m, int delta) {
  atomic_fetch_add_explicit(&m->in_flight, delta, memory_order_relaxed);
}

long metrics_in_flight(const struct metrics *m) {
  return atomic_load_explicit(&m->in_flight, memory_order_relaxed);
}

static unsigned long load(const atomic_ulong *v) {
  return atomic_load_explicit(v, memory_order_relaxed);
}

static void render_route(struct strbuf *b, const struct route_metrics *r, const char *method,
                         const char *route) {
  for (size_t s = 0; s <= NSTATUS; s++) {
    unsigned long n = load(&r->by_status[s]);
    if (n == 0) continue;
    if (s < NSTATUS)
      strbuf_printf(b, "ips_http_requests_total{method=\"%s\",route=\"%s\",status=\"%ld\"} %lu\n",
                    method, route, STATUSES[s], n);
    else
      strbuf_printf(b, "ips_http_requests_total{method=\"%s\",route=\"%s\",status=\"other\"} %lu\n",
                    method, route, n);
  }
}

static void render_histogram(struct strbuf *b, const struct route_metrics *r, const char *method,
                             const char *route) {
  unsigned long count = load(&r->count), cumulative = 0;
  if (count == 0) return;
  for (size_t i = 0; i < NBUCKET; i++) {
    cumulative += load(&r->buckets[i]);
    strbuf_printf(b, "ips_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %lu\n",
                  method, route, BUCKETS[i], cumulative);
  }
  strbuf_printf(b, "ips_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %lu\n",
                method, route, count);
  strbuf_printf(b, "ips_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n",
                method, route, (double)load(&r->sum_us) / 1e6);
  strbuf_printf(b, "ips_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %lu\n",
                method, route, count);
}

/* The method and route labels of slot i (borrowed, static). */
static void slot_labels(const struct app *app, size_t i, const char **method, const char **route) {
  size_t n = app->metrics->nroutes;
  *method = i < n ? app->routes[i].method : i < 2 * n ? "other" : "any";
  *route = i < n ? app->routes[i].pattern : i < 2 * n ? app->routes[i - n].pattern : "unmatched";
}

char *metrics_render(const struct app *app) {
  const struct metrics *m = app->metrics;
  struct strbuf b;
  strbuf_init(&b);
  strbuf_puts(&b, "# HELP ips_http_requests_total HTTP requests answered, by route and status.\n"
                  "# TYPE ips_http_requests_total counter\n");
  for (size_t i = 0; i <= 2 * m->nroutes; i++) {
    const char *method, *route;
    slot_labels(app, i, &method, &route);
    render_route(&b, &m->routes[i], method, route);
  }
  strbuf_puts(&b, "# HELP ips_http_request_duration_seconds Time to answer a request.\n"
                  "# TYPE ips_http_request_duration_seconds histogram\n");
  for (size_t i = 0; i <= 2 * m->nroutes; i++) {
    const char *method, *route;
    slot_labels(app, i, &method, &route);
    render_histogram(&b, &m->routes[i], method, route);
  }
  strbuf_printf(&b, "# HELP ips_http_in_flight Requests being answered now.\n"
                    "# TYPE ips_http_in_flight gauge\nips_http_in_flight %ld\n",
                metrics_in_flight(m));
  strbuf_printf(&b, "# HELP ips_db_pool_size Database connections in the pool.\n"
                    "# TYPE ips_db_pool_size gauge\nips_db_pool_size %u\n"
                    "# HELP ips_db_pool_in_use Database connections checked out now.\n"
                    "# TYPE ips_db_pool_in_use gauge\nips_db_pool_in_use %u\n"
                    "# HELP ips_db_pool_checkout_timeouts_total Checkouts that timed out.\n"
                    "# TYPE ips_db_pool_checkout_timeouts_total counter\n"
                    "ips_db_pool_checkout_timeouts_total %lu\n"
                    "# HELP ips_db_up Whether the database was reachable at the last connect (1) or not (0).\n"
                    "# TYPE ips_db_up gauge\nips_db_up %d\n"
                    "# HELP ips_db_connect_attempts_total Connections the pool tried to open.\n"
                    "# TYPE ips_db_connect_attempts_total counter\nips_db_connect_attempts_total %lu\n"
                    "# HELP ips_db_prepared_statements Most statements prepared on one connection.\n"
                    "# TYPE ips_db_prepared_statements gauge\nips_db_prepared_statements %zu\n",
                db_pool_size(app->pool), db_pool_in_use(app->pool),
                db_pool_checkout_timeouts(app->pool), db_pool_up(app->pool) ? 1 : 0,
                db_pool_connect_attempts(app->pool), db_pool_prepared_max(app->pool));
  strbuf_printf(&b, "# HELP ips_db_reads_by_id_total Records read by id (GET of one record).\n"
                    "# TYPE ips_db_reads_by_id_total counter\nips_db_reads_by_id_total %lu\n"
                    "# HELP ips_db_reads_by_id_batched_total Of those, read in a statement shared with other requests.\n"
                    "# TYPE ips_db_reads_by_id_batched_total counter\nips_db_reads_by_id_batched_total %lu\n",
                atomic_load(&m->reads_by_id), atomic_load(&m->reads_by_id_shared));
  if (app->replica)
    strbuf_printf(&b, "# HELP ips_db_replica_up Whether the replica was reachable at the last connect (1) or not (0).\n"
                      "# TYPE ips_db_replica_up gauge\nips_db_replica_up %d\n"
                      "# HELP ips_db_replica_reads_total Lagging reads (reports) the replica answered.\n"
                      "# TYPE ips_db_replica_reads_total counter\nips_db_replica_reads_total %lu\n"
                      "# HELP ips_db_replica_fallbacks_total Lagging reads sent to the primary: the replica did not answer.\n"
                      "# TYPE ips_db_replica_fallbacks_total counter\nips_db_replica_fallbacks_total %lu\n",
                  db_pool_up(app->replica) ? 1 : 0, atomic_load(&m->replica_reads), atomic_load(&m->replica_fallbacks));
  return strbuf_steal(&b);
}

/* Constant-time comparison, so the token cannot be guessed byte by byte. */
static bool same_secret(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  unsigned char diff = (unsigned char)(la != lb);
  for (size_t i = 0; i < la; i++) diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
  return diff == 0;
}

void metrics_handler(struct ips_request *req) {
  const char *token = req->app->cfg->metrics_token;
  if (token) {
    const char *auth = request_header(req, "Authorization");
    if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 || !same_secret(auth + 7, token)) {
      respond_header(req, "WWW-Authenticate", "Bearer realm=\"metrics\"");
      problem_send_kind(req, PROBLEM_INVALID_TOKEN, "the metrics token is missing or wrong");
      return;
    }
  }
  if (!request_no_query(req)) return; /* after the token: 401 comes first */
  char *text = metrics_render(req->app);
  if (text == NULL) {
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "out of memory");
    return;
  }
  respond_json_owned(req, 200, text, strlen(text));
  respond_header(req, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
}
