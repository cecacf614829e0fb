#include "resources/health.h"

#include <stdlib.h>
#include <string.h>

#include "db/migrate.h"
#include "db/pool.h"
#include "http/problem.h"
#include "http/response.h"

static const struct db_statement SCHEMA_VERSION = {
  "health_schema_version",
  "SELECT count(*), coalesce(max(version), 0) FROM schema_migrations", 0, false};

static void respond_status(struct ips_request *req, const char *text) {
  respond_copy(req, 200, "application/json", text, strlen(text));
}

void health_live(struct ips_request *req) {
  if (request_no_query(req)) respond_status(req, "{\"status\":\"ok\"}");
}

void health_ready(struct ips_request *req) {
  struct db_conn *conn;
  PGresult *res = NULL;
  if (!request_no_query(req)) return;
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &SCHEMA_VERSION, NULL, &res);
  if (st != IPS_OK) {
    problem_send(req, 503, "the database is unavailable");
    goto out;
  }
  long applied = atol(PQgetvalue(res, 0, 0)), latest = atol(PQgetvalue(res, 0, 1));
  if ((size_t)applied != migrations_count || latest != migrate_latest_version()) {
    problem_send(req, 503, "the database schema does not match this binary: run 'ips-api migrate'");
    goto out;
  }
  respond_status(req, "{\"status\":\"ready\"}");
out:
  PQclear(res);
}
