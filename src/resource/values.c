#include "resource/values.h"

#include "resource/engine_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/ids.h"
#include "http/problem.h"
#include "http/query.h"

void query_values_init(struct query_values *qv) { memset(qv, 0, sizeof *qv); }

void query_values_free(struct query_values *qv) {
  for (size_t i = 0; i < qv->n; i++) free(qv->values[i]);
  qv->n = 0;
}

static void push(struct query_values *qv, const char *v) {
  if (qv->n < VALUES_MAX) qv->values[qv->n++] = v ? strdup(v) : NULL;
}

static bool int_text_valid(const char *s, long min, long max) {
  char *end;
  if (*s == '\0' || strlen(s) > 11) return false;
  long v = strtol(s, &end, 10);
  return *end == '\0' && v >= min && v <= max && (s[0] != '+');
}

/* Checks a filter's text against its field; false with the message. */
static bool filter_valid(const struct field *f, const char *v, const char **message) {
  switch (f->type) {
    case FIELD_ENUM:
      for (const char *const *e = f->values; *e; e++)
        if (strcmp(*e, v) == 0) return true;
      *message = "is not one of the allowed values";
      return false;
    case FIELD_BOOL:
      *message = "must be true or false";
      return strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
    case FIELD_INT:
      *message = "must be a whole number in range";
      return int_text_valid(v, f->min, f->max);
    case FIELD_DATE:
      *message = "must be a date YYYY-MM-DD";
      return ids_parse_date(v, NULL, NULL, NULL);
    case FIELD_STRING:
      *message = "is not a valid value of this field";
      return *v && utf8_length(v) <= 300 && (f->valid == NULL || f->valid(v));
    case FIELD_TIMESTAMP:
      *message = "must be an RFC 3339 timestamp";
      return ids_timestamp_valid(v);
    case FIELD_UUID:
      *message = "must be the id of a record (a UUID)";
      return ids_uuid_valid(v);
    case FIELD_DECIMAL2:
      *message = "must be a number";
      return false;
  }
  return false;
}

/* A timestamp as a cursor carries it: PostgreSQL's text form in UTC
 * ("2026-01-31 12:00:00.123456+00"), or RFC 3339. */
bool cursor_timestamp_valid(const char *v) {
  char rfc[40];
  size_t n = strlen(v);
  if (n < 22 || n > 32) return ids_timestamp_valid(v);
  if (v[10] == ' ' && strcmp(v + n - 3, "+00") == 0) {
    snprintf(rfc, sizeof rfc, "%.10sT%.*s+00:00", v, (int)(n - 14), v + 11);
    return ids_timestamp_valid(rfc);
  }
  return ids_timestamp_valid(v);
}

bool list_filter_values(struct ips_request *req, const struct resource *r, const struct list_params *p,
                        struct query_values *qv) {
  const char *message = "is not valid";
  if (r->owned) {
    const char *partner = query_get(&req->query, "partner");
    if (partner && !ids_code_slug_valid(partner, 2, 32)) {
      problem_bad_parameter(req, "partner", "invalid", "is not a project partner");
      return false;
    }
    push(qv, partner);
  }
  bool searchable = false;
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    searchable |= (f->flags & FIELD_SEARCH) != 0;
    if (!(f->flags & FIELD_FILTER)) continue;
    const char *v = query_get(&req->query, f->name);
    if (v && (f->flags & FIELD_PII) && !policy_may_see_any_pii(req->principal.role_id)) {
      problem_bad_parameter(req, f->name, "forbidden_filter", "your role may not search by personal data");
      return false;
    }
    if (v && !filter_valid(f, v, &message)) {
      problem_bad_parameter(req, f->name, "invalid", message);
      return false;
    }
    /* the stored form (an old TERYT code becomes the current one) */
    char *stored = v && f->to_column ? f->to_column(v) : NULL;
    push(qv, stored ? stored : v);
    free(stored);
  }
  for (const struct custom_filter *c = r->filters; c && c->name; c++) {
    const char *v = query_get(&req->query, c->name);
    struct field as_field = {.name = c->name, .type = c->type, .values = c->values, .min = 0, .max = 0};
    if (v && !filter_valid(&as_field, v, &message)) {
      problem_bad_parameter(req, c->name, "invalid", message);
      return false;
    }
    push(qv, v);
  }
  const char *q = searchable ? query_get(&req->query, "q") : NULL;
  if (q && (*q == '\0' || utf8_length(q) > 100)) {
    problem_bad_parameter(req, "q", *q ? "too_long" : "invalid", "must be 1 to 100 characters");
    return false;
  }
  char *pattern = q ? list_like_pattern(q) : NULL;
  push(qv, pattern);
  free(pattern);
  const char *since = query_get(&req->query, "updated_since");
  if (since && !ids_timestamp_valid(since)) {
    problem_bad_parameter(req, "updated_since", "invalid", "must be an RFC 3339 timestamp");
    return false;
  }
  push(qv, since);
  bool time_sort = strcmp(resource_sort_cast(r, p->sort->name), "timestamptz") == 0;
  if (p->after[0] && ((time_sort && !cursor_timestamp_valid(p->after[0])) || !ids_uuid_valid(p->after[1]))) {
    problem_bad_parameter(req, "cursor", "invalid", "is not a cursor of this list and sort; use next_cursor as given");
    return false;
  }
  push(qv, p->after[0]);
  push(qv, p->after[1]);
  char limit[24];
  list_fetch_limit(p, limit);
  push(qv, limit);
  if (resource_has_pii(r)) push(qv, pii_scope(req));
  return qv->n < VALUES_MAX;
}

/* The column text of a JSON value: a new string, or NULL for null/absent. */
static char *text_of(const json_t *v) {
  char buf[32];
  if (v == NULL || json_is_null(v)) return NULL;
  if (json_is_string(v)) return strdup(json_string_value(v));
  if (json_is_true(v)) return strdup("true");
  if (json_is_false(v)) return strdup("false");
  if (json_is_integer(v)) {
    snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    return strdup(buf);
  }
  long hundredths;
  if (json_is_real(v) && decimal2_of(json_real_value(v), &hundredths)) {
    snprintf(buf, sizeof buf, "%s%ld.%02ld", hundredths < 0 ? "-" : "", labs(hundredths) / 100, labs(hundredths) % 100);
    return strdup(buf);
  }
  return NULL;
}

const char *pii_scope(const struct ips_request *req) {
  const struct principal *p = &req->principal;
  /* a partner code never contains '*': asking about it tells "every partner" */
  if (policy_sees_pii(p->role_id, p->partner, "*")) return "*";
  return policy_may_see_any_pii(p->role_id) ? p->partner : NULL;
}

bool write_values_build(const struct resource *r, const json_t *record, const char *owner, const char *id,
                        long long version, const struct ips_request *req, struct write_values *wv) {
  char buf[24];
  memset(wv, 0, sizeof *wv);
  if (id) {
    wv->values[wv->n++] = strdup(id);
    snprintf(buf, sizeof buf, "%lld", version);
    wv->values[wv->n++] = strdup(buf);
  }
  bool ok = true;
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    if (f->flags & FIELD_READ_ONLY) continue;
    json_t *v = json_object_get(record, f->name);
    char *text = text_of(v);
    if (text && f->to_column) {
      char *column = f->to_column(text);
      free(text);
      text = column;
      ok &= text != NULL;
    }
    wv->values[wv->n++] = text;
  }
  if (r->owned) wv->values[wv->n++] = owner ? strdup(owner) : NULL;
  if (resource_has_pii(r)) {
    const char *scope = pii_scope(req);
    wv->values[wv->n++] = scope ? strdup(scope) : NULL;
  }
  return ok;
}

void write_values_free(struct write_values *wv) {
  for (size_t i = 0; i < wv->n; i++) free(wv->values[i]);
  wv->n = 0;
}
