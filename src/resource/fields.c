/* Validating request bodies against a descriptor, and RFC 7396 merge patch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/ids.h"
#include "http/body.h"
#include "http/query.h"
#include "resource/resource.h"

static const char *const META[] = {"id", "version", "created_at", "updated_at", NULL};

static bool is_meta(const char *key) {
  for (const char *const *m = META; *m; m++)
    if (strcmp(*m, key) == 0) return true;
  return false;
}

const struct field *resource_field(const struct resource *r, const char *name) {
  for (size_t i = 0; i < r->nfields; i++)
    if (strcmp(r->fields[i].name, name) == 0) return &r->fields[i];
  return NULL;
}

static bool enum_has(const char *const *values, const char *s) {
  for (const char *const *v = values; v && *v; v++)
    if (strcmp(*v, s) == 0) return true;
  return false;
}

bool decimal2_of(double x, long *hundredths) {
  if (!(x < 1e12 && x > -1e12)) return false;
  double scaled = x * 100.0;
  long long rounded = (long long)(scaled + (scaled >= 0 ? 0.5 : -0.5));
  /* The text "1.55" parses to the double nearest 1.55, which is also what
   * 155 / 100.0 gives (both are correctly rounded); any other digits, a
   * third decimal or 2.0000000001, parse to another double. */
  if ((double)rounded / 100.0 != x) return false;
  *hundredths = (long)rounded;
  return true;
}

static void check_string(const struct field *f, const char *s, json_t *errors) {
  size_t n = utf8_length(s);
  char message[96];
  if ((long)n < (f->min ? f->min : 1)) {
    snprintf(message, sizeof message, "must be at least %ld characters", f->min ? f->min : 1);
    body_error(errors, f->name, *s ? "too_short" : "required", message);
  } else if (f->max && (long)n > f->max) {
    snprintf(message, sizeof message, "must be at most %ld characters", f->max);
    body_error(errors, f->name, "too_long", message);
  } else if (f->valid && !f->valid(s)) {
    body_error(errors, f->name, f->invalid_code ? f->invalid_code : "invalid", "is not valid");
  }
}

/* Checks one present, non-null value against its field. */
static void check_value(const struct field *f, const json_t *v, json_t *errors) {
  char message[192];
  switch (f->type) {
    case FIELD_STRING:
      if (!json_is_string(v)) body_error(errors, f->name, "invalid", "must be a string");
      else check_string(f, json_string_value(v), errors);
      break;
    case FIELD_ENUM:
      if (!json_is_string(v) || !enum_has(f->values, json_string_value(v))) {
        size_t len = (size_t)snprintf(message, sizeof message, "must be one of");
        for (const char *const *e = f->values; *e && len < sizeof message; e++)
          len += (size_t)snprintf(message + len, sizeof message - len, " %s", *e);
        body_error(errors, f->name, "invalid", message);
      }
      break;
    case FIELD_BOOL:
      if (!json_is_boolean(v)) body_error(errors, f->name, "invalid", "must be true or false");
      break;
    case FIELD_INT:
      if (!json_is_integer(v) || json_integer_value(v) < f->min || json_integer_value(v) > f->max) {
        snprintf(message, sizeof message, "must be a whole number from %ld to %ld", f->min, f->max);
        body_error(errors, f->name, "invalid", message);
      }
      break;
    case FIELD_DATE:
      if (!json_is_string(v) || !ids_parse_date(json_string_value(v), NULL, NULL, NULL))
        body_error(errors, f->name, "invalid", "must be a date YYYY-MM-DD");
      break;
    case FIELD_TIMESTAMP:
      if (!json_is_string(v) || !ids_timestamp_valid(json_string_value(v)))
        body_error(errors, f->name, "invalid", "must be an RFC 3339 timestamp");
      break;
    case FIELD_UUID:
      if (!json_is_string(v) || !ids_uuid_valid(json_string_value(v)))
        body_error(errors, f->name, "invalid", "must be the id of a record (a UUID)");
      break;
    case FIELD_DECIMAL2: {
      long hundredths;
      if (!json_is_number(v) || !decimal2_of(json_number_value(v), &hundredths) || hundredths < f->min ||
          hundredths > f->max) {
        snprintf(message, sizeof message, "must be a number from %ld.%02ld to %ld.%02ld with at most two decimals",
                 f->min / 100, f->min % 100, f->max / 100, f->max % 100);
        body_error(errors, f->name, "invalid", message);
      }
      break;
    }
  }
}

json_t *resource_without_meta(const json_t *patch, json_t *errors) {
  json_t *clean = json_deep_copy(patch);
  const char *key;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(clean, tmp, key, v) {
    if (!is_meta(key)) continue;
    body_error(errors, key, "read_only", "is set by the server");
    json_object_del(clean, key);
  }
  return clean;
}

void resource_validate_mode(const struct resource *r, const json_t *obj, bool creating, json_t *errors) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    if (is_meta(key)) body_error(errors, key, "read_only", "is set by the server");
    else if (strcmp(key, "partner") == 0 && r->owned) continue; /* the engine decides */
    else if (resource_field(r, key) && (resource_field(r, key)->flags & FIELD_READ_ONLY))
      body_error(errors, key, "read_only", "is set by the server");
    else if (resource_field(r, key) == NULL) {
      static const char *const none[] = {NULL};
      json_t *one = json_object();
      json_object_set((json_t *)one, key, v);
      body_reject_unknown(one, none, errors);
      json_decref(one);
    }
  }
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    if (f->flags & FIELD_READ_ONLY) continue;
    json_t *value = json_object_get(obj, f->name);
    bool absent = value == NULL || json_is_null(value);
    bool required = (f->flags & FIELD_REQUIRED) && (creating || !(f->flags & FIELD_WRITE_ONLY));
    if (absent) {
      if (required) body_error(errors, f->name, "required", "is required");
      /* a column with a default is NOT NULL: a create that leaves it out
       * takes the default, but an update cannot make it null */
      else if (!creating && f->column_default) body_error(errors, f->name, "invalid", "must not be null");
      continue;
    }
    check_value(f, value, errors);
  }
}

void resource_validate(const struct resource *r, const json_t *obj, json_t *errors) {
  resource_validate_mode(r, obj, true, errors);
}

bool merge_patch_apply(json_t *target, const json_t *patch) {
  const char *key;
  json_t *v;
  if (!json_is_object(patch) || !json_is_object(target)) return false;
  json_object_foreach((json_t *)patch, key, v) {
    if (json_is_null(v)) {
      json_object_del(target, key);
    } else if (json_is_object(v)) {
      json_t *inner = json_object_get(target, key);
      if (!json_is_object(inner)) {
        inner = json_object();
        json_object_set_new(target, key, inner);
      }
      merge_patch_apply(inner, v);
    } else {
      json_object_set(target, key, v);
    }
  }
  return true;
}

bool field_nip_valid(const char *s) { return ids_nip_valid(s); }
bool field_regon_valid(const char *s) { return ids_regon_valid(s); }
bool field_krs_valid(const char *s) { return ids_krs_valid(s); }
bool field_postal_code_valid(const char *s) { return ids_postal_code_valid(s); }
bool field_email_valid(const char *s) { return ids_email_valid(s); }
bool field_phone_valid(const char *s) { return ids_phone_valid(s); }
bool field_url_valid(const char *s) { return ids_url_valid(s); }
bool field_teryt_valid(const char *s) { return ids_teryt_gmina_wellformed(s); }
char *field_teryt_current(const char *s) { return strdup(ids_teryt_gmina_current(s)); }

static const struct db_statement DATE_IN_FUTURE = {
  "field_date_in_future", "SELECT $1::date > (now() AT TIME ZONE 'Europe/Warsaw')::date", 1, false};

ips_status field_date_not_future(struct db_conn *conn, const json_t *record, const char *field,
                                 json_t *errors) {
  const char *date = json_string_value(json_object_get(record, field));
  if (date == NULL || !ids_parse_date(date, NULL, NULL, NULL)) return IPS_OK; /* reported already */
  PGresult *res = NULL;
  const char *values[] = {date};
  ips_status st = db_exec(conn, &DATE_IN_FUTURE, values, &res);
  if (st == IPS_OK && PQgetvalue(res, 0, 0)[0] == 't') body_error(errors, field, "invalid", "must not be in the future");
  PQclear(res);
  return st;
}

static const struct db_statement GMINA_EXISTS = {
  "field_gmina_exists", "SELECT EXISTS (SELECT 1 FROM gminas WHERE teryt = $1)", 1, false};

ips_status field_gmina_in_region(struct db_conn *conn, const json_t *record, const char *field,
                                 json_t *errors) {
  const char *teryt = json_string_value(json_object_get(record, field));
  if (teryt == NULL || !ids_teryt_gmina_wellformed(teryt)) return IPS_OK; /* reported already */
  PGresult *res = NULL;
  const char *values[] = {ids_teryt_gmina_current(teryt)};
  ips_status st = db_exec(conn, &GMINA_EXISTS, values, &res);
  if (st == IPS_OK && PQgetvalue(res, 0, 0)[0] != 't')
    body_error(errors, field, "invalid", "is not a gmina of the region");
  PQclear(res);
  return st;
}

ips_status field_reference_live(struct db_conn *conn, const json_t *record, const char *field,
                                const struct db_statement *exists, json_t *errors) {
  const char *id = json_string_value(json_object_get(record, field));
  if (id == NULL || !ids_uuid_valid(id)) return IPS_OK;
  PGresult *res = NULL;
  const char *values[] = {id};
  ips_status st = db_exec(conn, exists, values, &res);
  if (st == IPS_OK && PQgetvalue(res, 0, 0)[0] != 't')
    body_error(errors, field, "invalid", "names no record (or a deleted one)");
  PQclear(res);
  return st;
}
