#include "resources/health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/migrate.h"
#include "app.h"
#include "db/pool.h"
#include "http/problem.h"
#include "http/response.h"

static const struct db_statement SCHEMA_VERSION = {
  "health_schema_version",
  "SELECT count(*), coalesce(max(version), 0) FROM schema_migrations", 0, false};

/* How far the replica is behind: 0 when it has replayed all it received,
 * else the age of the last transaction it replayed. */
static const struct db_statement REPLICA_LAG = {
  "health_replica_lag",
  "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()"
  " THEN 0 ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8",
  0, false};

static void respond_status(struct ips_request *req, const char *text) {
  respond_copy(req, 200, "application/json", text, strlen(text));
}

void health_live(struct ips_request *req) {
  if (request_no_query(req)) respond_status(req, "{\"status\":\"ok\"}");
}

/* The readiness answer with the replica's state and lag: the instance is
 * ready without it (its reads go to the primary then). */
static void replica_state(struct db_pool *replica, char *out, size_t cap) {
  struct db_conn *conn;
  PGresult *res = NULL;
  bool up = db_checkout(replica, &conn) == IPS_OK;
  if (up) {
    up = db_exec(conn, &REPLICA_LAG, NULL, &res) == IPS_OK && PQgetvalue(res, 0, 0)[0] == 't';
    db_checkin(conn);
  }
  if (up)
    snprintf(out, cap, "{\"status\":\"ready\",\"replica\":{\"state\":\"streaming\",\"lag_seconds\":%.3f}}",
             atof(PQgetvalue(res, 0, 1)));
  else
    snprintf(out, cap, "{\"status\":\"ready\",\"replica\":{\"state\":\"unavailable\"}}");
  PQclear(res);
}

void health_ready(struct ips_request *req) {
  struct db_conn *conn;
  PGresult *res = NULL;
  if (!request_no_query(req)) return;
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &SCHEMA_VERSION, NULL, &res);
  if (st != IPS_OK) {
    problem_send_kind(req, PROBLEM_DATABASE_UNAVAILABLE, "the database is unavailable");
    goto out;
  }
  long applied = atol(PQgetvalue(res, 0, 0)), latest = atol(PQgetvalue(res, 0, 1));
  if ((size_t)applied != migrations_count || latest != migrate_latest_version()) {
    problem_send_kind(req, PROBLEM_SCHEMA_NOT_CURRENT, "the database schema does not match this binary: run 'ips-api migrate'");
    goto out;
  }
  if (req->app->replica) {
    char body[160];
    replica_state(req->app->replica, body, sizeof body);
    respond_status(req, body);
  } else {
    respond_status(req, "{\"status\":\"ready\"}");
  }
out:
  PQclear(res);
}
