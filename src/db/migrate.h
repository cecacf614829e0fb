/*
 * Schema migrations: sql/migrations/NNNN_name.sql, embedded in the binary at
 * build time, applied in order, each in its own transaction, recorded with the
 * SHA-256 of its text. An applied file that has changed since is refused.
 * Concurrent runs serialise on an advisory lock.
 */
#ifndef IPS_DB_MIGRATE_H
#define IPS_DB_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>

#include "ips.h"

struct migration {
  int version;
  const char *name;
  const char *sha256;
  const char *sql;
};

extern const struct migration migrations[];
extern const size_t migrations_count;

/* Applies every pending migration on conn (borrowed). Progress and errors are
 * logged. IPS_OK when the schema is current afterwards. */
ips_status migrate_apply(PGconn *conn);

/*
 * Compares the database's schema with the embedded migrations. IPS_OK when
 * current; IPS_STALE when migrations are pending (message says to migrate);
 * IPS_CONFLICT when an applied file changed or the database is newer than the
 * binary; IPS_UNAVAILABLE when it could not be read. A message for the
 * operator is written to msg.
 */
ips_status migrate_check(PGconn *conn, char *msg, size_t msglen);

/* The newest embedded version, 0 when there are none. */
int migrate_latest_version(void);

#endif
