/* The SQL the engine generates for one resource (internal to src/resource). */
#ifndef IPS_RESOURCE_ENGINE_SQL_H
#define IPS_RESOURCE_ENGINE_SQL_H

#include "resource/resource.h"

struct resource_sql {
  char *json;                       /* json_build_object(...) of a row */
  char *json_public;                /* the same without personal data; NULL without PII fields */
  char *json_definition;            /* CREATE FUNCTION of the trigger storing json; NULL: not stored */
  struct db_statement get;          /* $1 id [, $2 PII scope] -> version, partner, json */
  struct db_statement get_many;     /* $1 ids[], $2 PII scopes[] -> place in $1, version, partner, json */
  struct read_batcher *reads;       /* GET by id, batched over get_many */
  struct db_statement current;      /* $1 id -> version, partner, writable fields as json, frozen */
  struct db_statement insert;       /* fields..., partner [, PII scope] -> id, version, json */
  struct db_statement update;       /* $1 id, $2 version, fields..., partner [, PII scope] -> id, version, json */
  struct db_statement exists;       /* $1 id -> version */
  struct db_statement remove;       /* $1 id, $2 version -> version (soft delete) */
  struct list_sort sorts[RESOURCE_MAX_SORTS + 3];
  size_t nsorts;
  /* [sort][descending]: partner?, filters..., custom filters..., q, updated_since, cursor key,
   * cursor id, limit, then the PII scope when the resource has PII */
  struct db_statement list[RESOURCE_MAX_SORTS + 2][2];
};

/* The SQL type of a sort key: the cast that turns a cursor value back. */
const char *resource_sort_cast(const struct resource *r, const char *sort);

/* True when some field of r is personal data. */
bool resource_has_pii(const struct resource *r);

#endif
