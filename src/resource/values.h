/*
 * Statement parameters of the engine, as text: the filters of a list from
 * its query string, and the columns of a write from its record.
 */
#ifndef IPS_RESOURCE_VALUES_H
#define IPS_RESOURCE_VALUES_H

#include <jansson.h>
#include <stdbool.h>

#include "resource/resource.h"

#define VALUES_MAX (RESOURCE_MAX_FIELDS + 8)

struct query_values {
  char *values[VALUES_MAX];   /* owned; NULL is SQL NULL */
  size_t n;
};

void query_values_init(struct query_values *qv);
void query_values_free(struct query_values *qv);

/*
 * The list statement's parameters in its order: partner (owned resources),
 * each filter field, each custom filter, q, updated_since, the cursor's key
 * and id, limit + 1, and the PII scope when the resource has PII. A filter on
 * personal data needs a role that may see some.
 * On a bad value sends a 400 naming the parameter and returns false.
 */
bool list_filter_values(struct ips_request *req, const struct resource *r, const struct list_params *p,
                        struct query_values *qv);

/* A timestamp as a cursor carries it: PostgreSQL's text form in UTC, or
 * RFC 3339. A cursor value goes through this before it is cast. */
bool cursor_timestamp_valid(const char *v);

struct write_values {
  char *values[VALUES_MAX];
  size_t n;
};

/*
 * The insert's (id NULL) or update's parameters: for an update $1 id and
 * $2 version first, then each field's column value (to_column applied), then
 * the owner partner, then the caller's PII scope when the resource has PII.
 * False on allocation or transform failure.
 */
bool write_values_build(const struct resource *r, const json_t *record, const char *owner, const char *id,
                        long long version, const struct ips_request *req, struct write_values *wv);

/* Whose personal data the caller sees, as the statements take it: "*" for
 * every partner's, a partner code for that partner's, NULL for nobody's.
 * Borrowed. */
const char *pii_scope(const struct ips_request *req);
void write_values_free(struct write_values *wv);

#endif
