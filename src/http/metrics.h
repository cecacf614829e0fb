/*
 * Prometheus metrics: requests by route and status, a latency histogram by
 * route, pool size and use. Counters are atomics: no lock on the hot path.
 */
#ifndef IPS_HTTP_METRICS_H
#define IPS_HTTP_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

/* Returns a new metrics store for nroutes routes (free with metrics_destroy). */
struct metrics *metrics_create(size_t nroutes);
void metrics_destroy(struct metrics *m);

/* Counts one answer: route is the matched route's index; when no route
 * matched (-1), path_route is the index of the first route of the same path
 * (OPTIONS, 405), counted apart with method "other"; both -1: "unmatched". */
void metrics_observe(struct metrics *m, long route, long path_route, long status, double seconds);
void metrics_in_flight_add(struct metrics *m, int delta);
/* A lagging read went to the replica (true) or fell back to the primary. */
void metrics_replica_read(struct metrics *m, bool from_replica);
/* A record read by id, in a statement of its own or shared with others. */
void metrics_read_by_id(struct metrics *m, bool shared);
long metrics_in_flight(const struct metrics *m);

/* Renders the text exposition format; returns a new string (free it) or NULL. */
char *metrics_render(const struct app *app);

/* GET /metrics */
void metrics_handler(struct ips_request *req);

#endif
