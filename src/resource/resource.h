/*
 * The resource engine: a resource is a static descriptor (table, fields,
 * filters, sorts, hooks; who may call it is the route table's) and the engine serves every convention
 * of DESIGN §4 from it — list, read, create, merge-patch update — with no
 * per-resource copy of CRUD code. SQL is generated once, at start-up, from
 * the descriptor; identifiers in it come only from these static tables.
 *
 * Every engine table has id (uuid), version, created_at and updated_at;
 * resource->owned adds the owner partner column "partner".
 */
#ifndef IPS_RESOURCE_RESOURCE_H
#define IPS_RESOURCE_RESOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth/policy.h"
#include "db/pool.h"
#include "http/request.h"
#include "ips.h"
#include "resource/list.h"

#define RESOURCE_MAX_FIELDS 40
#define RESOURCE_MAX_SORTS 4

enum field_type {
  FIELD_STRING,
  FIELD_ENUM,
  FIELD_BOOL,
  FIELD_INT,
  FIELD_DATE,
  FIELD_TIMESTAMP,   /* RFC 3339 */
  FIELD_UUID,        /* a reference to another record */
  FIELD_DECIMAL2,    /* a number with at most two decimals, min..max in hundredths */
};

enum field_flags {
  FIELD_REQUIRED = 1 << 0,    /* must be present and not null */
  FIELD_WRITE_ONLY = 1 << 1,  /* accepted, never returned (a password) */
  FIELD_FILTER = 1 << 2,      /* equality filter ?name=value */
  FIELD_SEARCH = 1 << 3,      /* part of q (case-insensitive substring) */
  FIELD_PII = 1 << 4,         /* personal data: left out for callers who may not see it */
  FIELD_READ_ONLY = 1 << 5,   /* shown, never written by clients (derived by the database) */
  FIELD_PARTNER = 1 << 6,     /* a project partner's code: must name one (422; 400 as a filter) */
};

struct field {
  const char *name;                 /* JSON name, also the column */
  enum field_type type;
  unsigned flags;
  long min, max;                    /* string length in characters, or int range */
  const char *const *values;        /* FIELD_ENUM: NULL-ended */
  bool (*valid)(const char *value); /* FIELD_STRING: an extra check */
  const char *invalid_code;         /* code when valid() refuses, e.g. "invalid_checksum" */
  const char *column_default;       /* SQL used on create when absent (a literal); the column is
                                     * NOT NULL, so an update may not set null (422) */
  const char *column;               /* the column when it is not the name */
  /* Turns an accepted value into the column's (a password into its hash):
   * a new string (free it) or NULL on failure. Runs before the transaction. */
  char *(*to_column)(const char *value);
};

/* A database constraint and the field it protects: a unique index is a 409
 * naming the field, a foreign key or check a 422 with code and message. */
struct constraint_field {
  const char *constraint;
  const char *field;
  const char *code;        /* NULL for a unique index */
  const char *message;
};

struct resource;

/*
 * Hooks for what is particular to one resource; each may be NULL.
 * check: after the fields are valid, with the record as it will be written
 * (borrowed) and a connection inside the write's transaction; adds errors
 * (answered 422) or returns a failed status.
 */
struct resource_hooks {
  ips_status (*check)(struct ips_request *req, struct db_conn *conn, const json_t *record,
                      json_t *errors);
  /* derive: before the transaction, once the fields are valid one by one:
   * checks across fields and fills derived ones (record may be changed). */
  void (*derive)(struct ips_request *req, json_t *record, json_t *errors);
  /* before_delete: inside the delete's transaction; IPS_CONFLICT answers
   * 409 with *why (a static text), e.g. a service still in use. */
  ips_status (*before_delete)(struct db_conn *conn, const char *id, const char **why);
  /* authorize: the record-level permission the policy row cannot express,
   * asked once the row allows the action and before If-Match and the body's
   * validation. current is the record as stored (NULL on create), next what
   * the write asks for (the body on create, the stored record with the patch
   * merged in on update, NULL on delete); both borrowed and not yet valid.
   * False answers 403 with *why (a static text). */
  bool (*authorize)(const struct ips_request *req, const json_t *current, const json_t *next,
                    const char **why);
  /* check_update: on update, after the fields and the check hook passed,
   * inside the write's transaction, with the record as stored and as it will
   * be written (borrowed). IPS_CONFLICT answers 409 with the errors it added
   * (naming the field at fault). */
  ips_status (*check_update)(struct ips_request *req, struct db_conn *conn, const json_t *current,
                             const json_t *next, json_t *errors);
};

/* A list filter that is not an equality on one of the fields: the
 * parameter's value goes into sql as $ (e.g. a kind of the service). */
struct custom_filter {
  const char *name;
  enum field_type type;             /* how the value is checked */
  const char *const *values;        /* FIELD_ENUM */
  const char *sql;                  /* with one "$" where the value goes */
};

struct resource_sql;   /* generated at start-up */

enum resource_flags {
  RESOURCE_BARE_JSON = 1 << 0,      /* no version and timestamps in the JSON (public views) */
};

struct resource {
  const char *name;                 /* the path segment, e.g. "users" */
  const char *table;
  unsigned flags;
  const char *list_where;           /* an extra condition of every list (SQL, static) */
  bool owned;                       /* has an owner "partner" set from the token */
  const struct field *fields;
  size_t nfields;
  const char *const *sorts;         /* sortable fields besides created_at, updated_at */
  const struct constraint_field *constraints;  /* ends with {NULL} */
  /* constraints (triggers) that refuse a change because the record is still
   * in use: 409 naming the field with code and message; ends with {NULL} */
  const struct constraint_field *in_use;
  const struct custom_filter *filters;         /* ends with {NULL} */
  const char *frozen_column;        /* a boolean column: when true the record takes no update (409) */
  struct resource_hooks hooks;
  struct resource_sql *sql;         /* filled by resource_prepare */
};

/*
 * Stored representations. A resource that is not a view (RESOURCE_BARE_JSON)
 * keeps its full JSON, as its GET answers it, in the column api_json of its
 * table, written by a BEFORE INSERT OR UPDATE trigger whose function the
 * engine generates from the descriptor: reads then send text the database
 * stores instead of building 25 key-value pairs a row. `ips-api migrate`
 * installs the function and recomputes the column when the descriptor has
 * changed; `serve` refuses a database whose functions are not its own. A
 * row written with triggers off (session_replication_role = replica) has
 * none and is built as it is read. Every new engine table needs the column
 * (a migration adds it).
 */
#define RESOURCE_JSON_COLUMN "api_json"
bool resource_stores_json(const struct resource *r);
/* Installs (when changed) r's trigger and recomputes its column; IPS_OK or
 * an error with a message for the operator in msg. conn is borrowed and
 * outside a transaction. */
ips_status resource_json_install(PGconn *conn, const struct resource *r, char *msg, size_t msglen);
/* IPS_OK when the database stores r's JSON as this binary builds it;
 * IPS_STALE (message: run ips-api migrate) when not. */
ips_status resource_json_check(PGconn *conn, const struct resource *r, char *msg, size_t msglen);

/* Generates the resource's SQL; IPS_ERROR (logged) on a descriptor error. */
ips_status resource_prepare(struct resource *r);
void resource_release(struct resource *r);

/* Route handlers: the route's data is the struct resource. */
void resource_list(struct ips_request *req);
void resource_get(struct ips_request *req);
void resource_create(struct ips_request *req);
void resource_update(struct ips_request *req);
void resource_delete(struct ips_request *req);

/* Shared field checks and column transforms of several resources. */
bool field_nip_valid(const char *s);
bool field_regon_valid(const char *s);
bool field_krs_valid(const char *s);
bool field_postal_code_valid(const char *s);
bool field_email_valid(const char *s);
bool field_phone_valid(const char *s);
bool field_url_valid(const char *s);
bool field_teryt_valid(const char *s);
/* The current TERYT code of a gmina (an old code becomes the new one): a new string. */
char *field_teryt_current(const char *s);

/* Adds an error for a date field of record that lies after today in
 * Europe/Warsaw (asked of the database, which knows the zone). */
ips_status field_date_not_future(struct db_conn *conn, const json_t *record, const char *field,
                                 json_t *errors);

/* Adds an error when the TERYT code in field of record is not a gmina of the
 * region's dictionary. */
ips_status field_gmina_in_region(struct db_conn *conn, const json_t *record, const char *field,
                                 json_t *errors);

/* Adds an error for field when its UUID names no live record: exists is a
 * statement of one parameter answering one boolean. */
ips_status field_reference_live(struct db_conn *conn, const json_t *record, const char *field,
                                const struct db_statement *exists, json_t *errors);

/* IPS_OK when code names a live project partner, IPS_INVALID when it does
 * not, another status when the database failed. */
ips_status engine_partner_exists(struct db_conn *conn, const char *code);

/* Before a write to record id: 404, 403 (the route's action on its owner),
 * 428/412. True with the record's "current" row in *current (PQclear it). */
bool resource_write_preconditions(struct ips_request *req, const struct resource *r, const char *id,
                                  PGresult **current);

/* Pure parts, exposed for unit tests. */

/*
 * Validates obj against the fields for a create (every required field
 * present) or a whole record after a merge patch. Unknown and read-only
 * members are errors. Adds every problem to errors.
 */
void resource_validate(const struct resource *r, const json_t *obj, json_t *errors);
/* The same for a create (creating) or for a whole record after a patch, where
 * write-only fields need not be present. */
void resource_validate_mode(const struct resource *r, const json_t *obj, bool creating, json_t *errors);

/* A copy of patch without id, version, created_at and updated_at, each of
 * which is reported read_only in errors. Returns a new reference. */
json_t *resource_without_meta(const json_t *patch, json_t *errors);

/* The hundredths in x when it has at most two decimals; false otherwise. */
bool decimal2_of(double x, long *hundredths);

/* The field called name, borrowed; NULL when the resource has none. */
const struct field *resource_field(const struct resource *r, const char *name);

/*
 * Applies an RFC 7396 merge patch to target in place (steals nothing; patch
 * is borrowed). Returns false when patch is not an object.
 */
bool merge_patch_apply(json_t *target, const json_t *patch);

#endif
