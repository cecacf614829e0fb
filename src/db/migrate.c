#include "db/migrate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yder.h>

/* Any fixed number; all instances of ips-api use the same one. */
#define MIGRATE_LOCK_KEY "4242001"

static const char CREATE_TABLE_SQL[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " sha256 text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

int migrate_latest_version(void) {
  return migrations_count ? migrations[migrations_count - 1].version : 0;
}

/* Runs one command; logs and returns false on failure. */
static bool run(PGconn *conn, const char *sql, const char *what) {
  PGresult *res = PQexec(conn, sql);
  ExecStatusType t = PQresultStatus(res);
  bool ok = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
  if (!ok) y_log_message(Y_LOG_LEVEL_ERROR, "migrate: %s failed: %s", what, PQerrorMessage(conn));
  PQclear(res);
  return ok;
}

static bool apply_one(PGconn *conn, const struct migration *m) {
  char version[16];
  snprintf(version, sizeof version, "%d", m->version);
  const char *params[] = {version, m->name, m->sha256};
  if (!run(conn, "BEGIN", "BEGIN")) return false;
  if (!run(conn, m->sql, m->name)) {
    run(conn, "ROLLBACK", "ROLLBACK");
    return false;
  }
  PGresult *res = PQexecParams(conn,
      "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1::int, $2, $3)",
      3, NULL, params, NULL, NULL, 0);
  bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  if (!ok) y_log_message(Y_LOG_LEVEL_ERROR, "migrate: recording %s failed: %s", m->name, PQerrorMessage(conn));
  PQclear(res);
  if (!ok || !run(conn, "COMMIT", "COMMIT")) {
    run(conn, "ROLLBACK", "ROLLBACK");
    return false;
  }
  y_log_message(Y_LOG_LEVEL_INFO, "migrate: applied %s", m->name);
  return true;
}

ips_status migrate_check(PGconn *conn, char *msg, size_t msglen) {
  PGresult *res = PQexec(conn,
      "SELECT version, name, sha256 FROM schema_migrations ORDER BY version");
  ips_status st = IPS_OK;
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state && strcmp(state, "42P01") == 0) {
      snprintf(msg, msglen, "the database has no schema yet: run 'ips-api migrate'");
      st = IPS_STALE;
    } else {
      snprintf(msg, msglen, "cannot read schema_migrations: %s", PQerrorMessage(conn));
      st = IPS_UNAVAILABLE;
    }
    goto out;
  }
  int rows = PQntuples(res);
  for (int i = 0; i < rows; i++) {
    int version = atoi(PQgetvalue(res, i, 0));
    if ((size_t)i < migrations_count && migrations[i].version < version) {
      /* this binary's migration i was skipped by whoever made the later ones */
      snprintf(msg, msglen, "migration %s of this binary was never applied, but %s after it was: "
               "migrations are not applied out of order; restore the database or migrate it with the "
               "build that made it", migrations[i].name, PQgetvalue(res, i, 1));
      st = IPS_CONFLICT;
      goto out;
    }
    if ((size_t)i >= migrations_count || migrations[i].version != version) {
      snprintf(msg, msglen, "the database has migration %s, which this binary does not know: "
               "it is newer than this binary", PQgetvalue(res, i, 1));
      st = IPS_CONFLICT;
      goto out;
    }
    if (strcmp(migrations[i].sha256, PQgetvalue(res, i, 2)) != 0) {
      snprintf(msg, msglen, "migration %s was changed after it was applied; "
               "add a new migration instead of editing an applied one", migrations[i].name);
      st = IPS_CONFLICT;
      goto out;
    }
  }
  if ((size_t)rows < migrations_count) {
    snprintf(msg, msglen, "the database schema is at version %d, this binary needs %d: "
             "run 'ips-api migrate'", rows ? atoi(PQgetvalue(res, rows - 1, 0)) : 0,
             migrate_latest_version());
    st = IPS_STALE;
    goto out;
  }
  snprintf(msg, msglen, "schema is current (version %d)", migrate_latest_version());
out:
  PQclear(res);
  return st;
}

ips_status migrate_apply(PGconn *conn) {
  char msg[512];
  ips_status st = IPS_ERROR;
  if (!run(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "taking the migration lock"))
    return IPS_UNAVAILABLE;
  if (!run(conn, "SET client_min_messages = warning", "setting messages") ||
      !run(conn, CREATE_TABLE_SQL, "creating schema_migrations"))
    goto out;
  st = migrate_check(conn, msg, sizeof msg);
  if (st == IPS_CONFLICT || st == IPS_UNAVAILABLE) {
    y_log_message(Y_LOG_LEVEL_ERROR, "migrate: %s", msg);
    goto out;
  }
  PGresult *res = PQexec(conn, "SELECT count(*) FROM schema_migrations");
  size_t applied = PQresultStatus(res) == PGRES_TUPLES_OK ? (size_t)atol(PQgetvalue(res, 0, 0)) : 0;
  PQclear(res);
  st = IPS_OK;
  for (size_t i = applied; i < migrations_count; i++) {
    if (!apply_one(conn, &migrations[i])) {
      st = IPS_ERROR;
      break;
    }
  }
  if (st == IPS_OK)
    y_log_message(Y_LOG_LEVEL_INFO, "migrate: schema is current (version %d)", migrate_latest_version());
out:
  run(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", "releasing the migration lock");
  return st;
}
