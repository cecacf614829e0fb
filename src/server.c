#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ulfius.h>
#include <unistd.h>
#include <yder.h>

#include "app.h"
#include "db/migrate.h"
#include "db/notify.h"
#include "db/pool.h"
#include "http/access_log.h"
#include "http/body_guard.h"
#include "http/cors.h"
#include "http/request_deadline.h"
#include "http/metrics.h"
#include "http/mhd_errors.h"
#include "http/problem.h"
#include "http/response.h"
#include "http/router.h"
#include "auth/authn.h"
#include "auth/jwt.h"
#include "auth/password.h"
#include "auth/token_cache.h"
#include "resource/read_batch.h"
#include "resource/resource.h"
#include "routes.h"
#include "util/slots.h"

/* Set on SIGTERM: every answer from then on closes its connection, so a
 * kept-alive client sends no more requests to a server that is stopping. */
static atomic_bool draining;

static double seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void assign_request_id(struct ips_request *req) {
  const char *given = request_header(req, "X-Request-Id");
  if (request_id_valid(given)) snprintf(req->request_id, sizeof req->request_id, "%s", given);
  else request_id_generate(req->request_id);
  respond_header(req, "X-Request-Id", req->request_id);
}

static void release_request(struct ips_request *req) {
  db_checkin(req->db);
  json_decref(req->body);
  query_free(&req->query);
  for (size_t i = 0; i < req->nparams; i++) free(req->param_values[i]);
}

/*
 * Fails closed when a guarded route's handler answered with success without
 * asking request_may(): a bug in that handler, so the answer is withheld
 * (500) and logged. A write may have been made; the answer is not shown.
 */
static void refuse_unchecked_answer(struct ips_request *req) {
  if ((req->route->flags & ROUTE_PUBLIC) || req->authorized || req->resp->status >= 400) return;
  y_log_message(Y_LOG_LEVEL_ERROR, "authorization: %s %s answered without a permission check", req->route->method,
                req->route->pattern);
  ulfius_clean_response(req->resp);
  ulfius_init_response(req->resp);
  respond_header(req, "X-Request-Id", req->request_id);
  respond_header(req, "Cache-Control", "no-store");
  problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "the answer was withheld");
}

/* Everything between the request's shape and its handler, in the order of
 * DESIGN §2: shape, route, token, query parameters, then the handler. */
static void handle(struct ips_request *req, const struct route_match *m) {
  if (cors_apply(req, m)) return;
  if (!request_read_body(req, req->app->cfg->max_body_bytes)) return;
  if (!m->path_known) {
    problem_send_kind(req, PROBLEM_UNKNOWN_ROUTE, "no such resource");
    return;
  }
  if (strcmp(req->u->http_verb, "OPTIONS") == 0) {
    respond_header(req, "Allow", m->allow);
    respond_empty(req, 204);
    return;
  }
  if (m->route == NULL) {
    respond_header(req, "Allow", m->allow);
    problem_send_kind(req, PROBLEM_METHOD_NOT_ALLOWED, "this method is not allowed here");
    return;
  }
  /* the route's permission is the handler's to check, after the query
   * parameters (400) and the record's existence (404): DESIGN §2 */
  if (!(m->route->flags & ROUTE_PUBLIC) && !authn_authenticate(req)) return;
  if (req->query_status != IPS_OK) {
    problem_bad_parameter(req, req->query.bad_key, req->query.bad_code, req->query.bad_message);
    return;
  }
  m->route->handler(req);
  refuse_unchecked_answer(req);
}

static int dispatch(const struct _u_request *u, struct _u_response *resp, void *user_data) {
  const struct app *app = user_data;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  metrics_in_flight_add(app->metrics, 1);

  struct ips_request req;
  memset(&req, 0, sizeof req);
  req.u = u;
  req.resp = resp;
  req.app = app;
  assign_request_id(&req);
  respond_header(&req, "Cache-Control", "no-store");
  const char *qs = strchr(u->http_url ? u->http_url : "", '?');
  req.query_status = query_parse(qs ? qs + 1 : NULL, &req.query);

  struct route_match m;
  long route = router_match(app->routes, app->nroutes, u->http_verb, u->url_path, &req, &m);
  req.route = m.route;
  if (m.path_route >= 0) req.route_pattern = app->routes[m.path_route].pattern;
  handle(&req, &m);
  if (resp->status == 0) problem_send_kind(&req, PROBLEM_INTERNAL_ERROR, "the handler gave no answer");
  respond_finish(&req);
  if (atomic_load(&draining)) respond_header(&req, "Connection", "close");

  double seconds = seconds_since(&start);
  metrics_observe(app->metrics, route, m.path_route, resp->status, seconds);
  access_log_write(&req, resp->status, seconds * 1000.0);
  release_request(&req);
  metrics_in_flight_add(app->metrics, -1);
  return U_CALLBACK_COMPLETE;
}

/* ulfius' own end-of-request hook, then the next head's deadline starts. */
static void request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                              enum MHD_RequestTerminationCode toe) {
  mhd_request_completed(cls, c, con_cls, toe);
  request_deadline_rearm(c);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  line[strcspn(line, "\n")] = '\0';
  y_log_message(Y_LOG_LEVEL_DEBUG, "http: %s", line);
}

static bool start_http(struct _u_instance *inst, const struct ips_config *cfg, struct app *app) {
  inst->max_post_body_size = cfg->max_body_bytes + 1; /* +1: to tell "too large" apart */
  inst->check_utf8 = 0;                               /* we check, and answer 400 */
  inst->allowed_post_processor = U_POST_PROCESS_NONE;
  if (ulfius_add_endpoint_by_val(inst, "*", NULL, "*", 0, &dispatch, app) != U_OK) return false;
  /*
   * Two ways to run (IPS_HTTP_MODE). A thread pool serves many connections
   * per worker and is the fastest, but a worker that waits (a long poll of
   * the change feed) holds up every connection it owns. A thread per
   * connection (poll(), so no 1024-socket limit; small stacks) lets a long
   * poll wait alone; its throughput is still far above what the database
   * gives, so it is the default.
   */
  struct MHD_OptionItem ops[] = {
    {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, NULL},
    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)request_deadline_notify, NULL},
    {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)ulfius_uri_logger, NULL},
    {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
    {MHD_OPTION_SOCK_ADDR, 0, (void *)&cfg->listen_addr},
    {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->http_timeout_s, NULL},
    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(32 * 1024), NULL},
    {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL},
    {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)cfg->max_connections_per_client, NULL},
    {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
    {cfg->thread_per_connection ? MHD_OPTION_THREAD_STACK_SIZE : MHD_OPTION_THREAD_POOL_SIZE,
     cfg->thread_per_connection ? (intptr_t)(512 * 1024) : (intptr_t)cfg->threads, NULL},
    {MHD_OPTION_END, 0, NULL},
  };
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  flags |= cfg->thread_per_connection ? (MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL) : MHD_USE_AUTO;
  if (cfg->listen_addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  body_guard_arm(cfg->max_body_bytes, app->metrics);
  mhd_errors_arm();
  if (!request_deadline_start(cfg->http_head_timeout_s, cfg->http_body_timeout_s)) return false;
  return ulfius_start_framework_with_mhd_options(inst, flags, ops) == U_OK;
}

static void print_listening(const struct _u_instance *inst, const struct ips_config *cfg) {
  /* The bound port, from the socket itself: IPS_LISTEN may say port 0. */
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(inst->mhd_daemon, MHD_DAEMON_INFO_LISTEN_FD);
  struct sockaddr_storage bound;
  socklen_t len = sizeof bound;
  unsigned port = 0;
  if (info && getsockname(info->listen_fd, (struct sockaddr *)&bound, &len) == 0)
    port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                             : ((struct sockaddr_in *)&bound)->sin_port);
  char host[INET6_ADDRSTRLEN] = "?";
  if (cfg->listen_addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&cfg->listen_addr)->sin6_addr, host, sizeof host);
    printf("listening on http://[%s]:%u\n", host, port);
  } else {
    inet_ntop(AF_INET, &((const struct sockaddr_in *)&cfg->listen_addr)->sin_addr, host, sizeof host);
    printf("listening on http://%s:%u\n", host, port);
  }
  fflush(stdout);
}

/* Refuses to serve a schema this binary does not match. */
/* The migrations and every engine resource's stored JSON are this binary's. */
static bool schema_is_current(struct db_pool *pool) {
  struct db_conn *conn;
  char msg[512];
  if (db_checkout(pool, &conn) != IPS_OK) {
    y_log_message(Y_LOG_LEVEL_ERROR, "serve: cannot reach the database (IPS_DATABASE_URL)");
    return false;
  }
  ips_status st = migrate_check(db_pgconn(conn), msg, sizeof msg);
  struct resource *all[ROUTES_MAX_RESOURCES];
  size_t n = routes_resources(all, ROUTES_MAX_RESOURCES);
  for (size_t i = 0; i < n && st == IPS_OK; i++) st = resource_json_check(db_pgconn(conn), all[i], msg, sizeof msg);
  db_checkin(conn);
  if (st != IPS_OK) y_log_message(Y_LOG_LEVEL_ERROR, "serve: %s", msg);
  return st == IPS_OK;
}

/* Waits until no request is inside a handler, or the timeout passes; false
 * when some were still running then. */
static bool drain(const struct metrics *metrics, unsigned timeout_s) {
  struct timespec start, pause = {0, 10 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (metrics_in_flight(metrics) > 0 && seconds_since(&start) < timeout_s) nanosleep(&pause, NULL);
  if (metrics_in_flight(metrics) > 0)
    y_log_message(Y_LOG_LEVEL_ERROR, "serve: %ld requests still running after %us (IPS_SHUTDOWN_TIMEOUT_S); stopping anyway",
                  metrics_in_flight(metrics), timeout_s);
  return metrics_in_flight(metrics) == 0;
}

static int wait_for_signal(void) {
  sigset_t set;
  int sig = 0;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigwait(&set, &sig);
  return sig;
}

int server_run(const struct ips_config *cfg) {
  int code = 1;
  struct _u_instance inst;
  bool inst_ready = false;
  struct db_pool_options popt = {cfg->database_url, cfg->db_pool_size, cfg->db_checkout_timeout_ms,
                                 cfg->db_prepared_statements};
  struct app app = {.cfg = cfg};
  app.routes = routes_table(&app.nroutes);

  /* Signals go to sigwait() below, not to the worker threads made from here on. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  char err[256] = "";
  if (jwt_keys_load(cfg, &app.keys, err, sizeof err) != IPS_OK) {
    y_log_message(Y_LOG_LEVEL_ERROR, "serve: configuration: %s", err[0] ? err : "out of memory");
    code = 2;
    goto out;
  }
  /* in pool mode a request waiting for a batch would hold up its worker */
  read_batch_set_senders(cfg->thread_per_connection ? 0 : cfg->threads);
  if (!routes_prepare_resources()) goto out;
  if (cfg->auth_cache) app.tokens = token_cache_create();
  app.pool = db_pool_create(&popt);
  /* the replica's pool: a few connections, for the reports */
  struct db_pool_options ropt = {cfg->replica_database_url, cfg->db_pool_size / 4 + 2, cfg->db_checkout_timeout_ms,
                                 cfg->db_prepared_statements};
  if (cfg->replica_database_url) app.replica = db_pool_create(&ropt);
  app.metrics = metrics_create(app.nroutes);
  app.password_checks = slots_create(cfg->password_checks);
  /* made now, so that the first sign-in of an unknown user costs no more
   * than any other */
  password_dummy_hash();
  if (app.pool == NULL || app.metrics == NULL || app.password_checks == NULL ||
      (cfg->replica_database_url && app.replica == NULL) ||
      (cfg->auth_cache && app.tokens == NULL)) {
    y_log_message(Y_LOG_LEVEL_ERROR, "serve: out of memory");
    goto out;
  }
  if (!schema_is_current(app.pool)) goto out;
  app.notifier = notifier_start(cfg->direct_database_url, cfg->long_poll_max);
  /* ulfius wants a port > 0 here; MHD_OPTION_SOCK_ADDR decides the real one. */
  if (ulfius_init_instance(&inst, 1, NULL, NULL) != U_OK) {
    y_log_message(Y_LOG_LEVEL_ERROR, "serve: cannot set up the HTTP instance");
    goto out;
  }
  inst_ready = true;
  if (!start_http(&inst, cfg, &app)) {
    y_log_message(Y_LOG_LEVEL_ERROR, "serve: cannot listen on %s (IPS_LISTEN)", cfg->listen);
    goto out;
  }
  print_listening(&inst, cfg);
  if (cfg->thread_per_connection)
    y_log_message(Y_LOG_LEVEL_INFO, "serve: a thread per connection, %u database connections", cfg->db_pool_size);
  else
    y_log_message(Y_LOG_LEVEL_INFO, "serve: %u threads, %u database connections", cfg->threads, cfg->db_pool_size);

  int sig = wait_for_signal();
  y_log_message(Y_LOG_LEVEL_INFO, "serve: %s received, draining", sig == SIGINT ? "SIGINT" : "SIGTERM");
  atomic_store(&draining, true);
  MHD_socket listener = MHD_quiesce_daemon(inst.mhd_daemon);
  notifier_shutdown(app.notifier); /* long polls answer now */
  bool drained = drain(app.metrics, cfg->shutdown_timeout_s);
  ulfius_stop_framework(&inst);
  if (listener != MHD_INVALID_SOCKET) close(listener);
  code = drained ? 0 : 1; /* 1: requests were cut off */
out:
  if (inst_ready) ulfius_clean_instance(&inst);
  request_deadline_stop();
  notifier_stop(app.notifier);
  db_pool_destroy(app.pool);
  db_pool_destroy(app.replica);
  metrics_destroy(app.metrics);
  slots_destroy(app.password_checks);
  token_cache_destroy(app.tokens);
  jwt_keys_free(app.keys);
  routes_release_resources();
  if (code == 0) y_log_message(Y_LOG_LEVEL_INFO, "serve: stopped");
  return code;
}
