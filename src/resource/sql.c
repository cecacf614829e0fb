/* Generating a resource's SQL from its descriptor, once, at start-up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yder.h>

#include "resource/engine_sql.h"
#include "resource/read_batch.h"
#include "util/strbuf.h"

static const char *column_of(const struct field *f) { return f->column ? f->column : f->name; }

static const char *sql_type(enum field_type t) {
  switch (t) {
    case FIELD_BOOL: return "boolean";
    case FIELD_INT: return "integer";
    case FIELD_DATE: return "date";
    case FIELD_TIMESTAMP: return "timestamptz";
    case FIELD_UUID: return "uuid";
    case FIELD_DECIMAL2: return "numeric";
    default: return "text";
  }
}

static bool writable(const struct field *f) { return !(f->flags & FIELD_READ_ONLY); }

bool resource_has_pii(const struct resource *r) {
  for (size_t i = 0; i < r->nfields; i++)
    if (r->fields[i].flags & FIELD_PII) return true;
  return false;
}

/* json_build_object(...) of the record as clients see it, with or without
 * its personal data; row is "" in a query, "NEW." in a row trigger. */
static void build_json(const struct resource *r, bool with_pii, const char *row, struct strbuf *b) {
  strbuf_printf(b, "json_build_object('id', %sid", row);
  if (r->owned) strbuf_printf(b, ", 'partner', %spartner", row);
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    if ((f->flags & FIELD_WRITE_ONLY) || (!with_pii && (f->flags & FIELD_PII))) continue;
    strbuf_printf(b, ", '%s', %s%s", f->name, row, column_of(f));
  }
  if (r->flags & RESOURCE_BARE_JSON) strbuf_puts(b, ")");
  else strbuf_printf(b, ", 'version', %sversion, 'created_at', %screated_at, 'updated_at', %supdated_at)", row, row, row);
}

bool resource_stores_json(const struct resource *r) { return !(r->flags & RESOURCE_BARE_JSON); }

/* The full JSON as text: the stored one, or built where a row has none
 * (a row written with triggers off). */
static void full_json_text(const struct resource_sql *s, struct strbuf *b) {
  if (s->json_definition) strbuf_printf(b, "coalesce(%s, %s::text)", RESOURCE_JSON_COLUMN, s->json);
  else strbuf_printf(b, "%s::text", s->json);
}

/* The JSON a caller sees: with personal data only where the scope (SQL
 * text, e.g. "$2::text") says so ('*': every row; a partner code: that
 * partner's rows; NULL: none). */
static void json_in_scope(const struct resource_sql *s, const char *scope, struct strbuf *b) {
  if (s->json_public == NULL) {
    full_json_text(s, b);
    return;
  }
  strbuf_printf(b, "CASE WHEN %s = '*' OR partner = %s THEN ", scope, scope);
  full_json_text(s, b);
  strbuf_printf(b, " ELSE %s::text END", s->json_public);
}

/* The same with the scope in parameter $pii. */
static void json_for_caller(const struct resource_sql *s, int pii, struct strbuf *b) {
  char scope[24];
  snprintf(scope, sizeof scope, "$%d::text", pii);
  json_in_scope(s, scope, b);
}

/* Reads of many records at once, for the read batcher: $1 the ids, $2 each
 * one's PII scope, as arrays; a row for each id that names a live record,
 * with the id's place in $1 (from 1). The columns of the requests are
 * named so that no column of a table has their names. */
static void build_get_many(const struct resource *r, const struct resource_sql *s, struct strbuf *b) {
  strbuf_printf(b, "SELECT want.want_place, version, %s, ", r->owned ? "partner" : "NULL::text");
  json_in_scope(s, "want.want_scope", b);
  strbuf_printf(b, " FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS want(want_id, want_scope, want_place)"
                   " JOIN %s ON id = want.want_id AND deleted_at IS NULL", r->table);
  if (r->list_where) strbuf_printf(b, " AND (%s)", r->list_where);
}

/* The trigger function that stores a row's JSON as it is written. The
 * function's zone is UTC, as the service's sessions are, so the timestamps
 * read the same whoever writes. */
static void build_json_function(const struct resource *r, struct strbuf *b) {
  strbuf_printf(b, "CREATE OR REPLACE FUNCTION %s_%s() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' AS $fn$"
                   " BEGIN NEW.%s := ", RESOURCE_JSON_COLUMN, r->table, RESOURCE_JSON_COLUMN);
  build_json(r, true, "NEW.", b);
  strbuf_puts(b, "::text; RETURN NEW; END $fn$");
}

/* The writable fields as stored, for merging a patch into. */
static void build_current(const struct resource *r, struct strbuf *b) {
  strbuf_puts(b, "SELECT version, ");
  strbuf_puts(b, r->owned ? "partner" : "NULL::text");
  strbuf_puts(b, ", json_build_object(");
  bool first = true;
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    if ((f->flags & FIELD_WRITE_ONLY) || !writable(f)) continue;
    strbuf_printf(b, "%s'%s', %s", first ? "" : ", ", f->name, column_of(f));
    first = false;
  }
  strbuf_printf(b, ")::text, %s FROM %s WHERE id = $1::uuid AND deleted_at IS NULL",
                r->frozen_column ? r->frozen_column : "false", r->table);
}

static void build_insert(const struct resource *r, const struct resource_sql *s, struct strbuf *b, int *nparams) {
  int n = 0;
  bool first = true;
  strbuf_printf(b, "INSERT INTO %s (", r->table);
  for (size_t i = 0; i < r->nfields; i++) {
    if (!writable(&r->fields[i])) continue;
    strbuf_printf(b, "%s%s", first ? "" : ", ", column_of(&r->fields[i]));
    first = false;
  }
  if (r->owned) strbuf_puts(b, ", partner");
  strbuf_puts(b, ") VALUES (");
  first = true;
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    if (!writable(f)) continue;
    n++;
    if (f->column_default)
      strbuf_printf(b, "%scoalesce($%d::%s, %s)", first ? "" : ", ", n, sql_type(f->type), f->column_default);
    else
      strbuf_printf(b, "%s$%d::%s", first ? "" : ", ", n, sql_type(f->type));
    first = false;
  }
  if (r->owned) strbuf_printf(b, ", $%d::text", ++n);
  strbuf_puts(b, ") RETURNING id::text, version, ");
  json_for_caller(s, ++n, b);
  *nparams = n;
}

/*
 * The update writes only when some column changes: a patch that leaves the
 * record as it is matches no row (no new version, no audit or change-feed
 * entry), and the caller then answers the record as it stands. A write-only
 * value (a password's new hash, salted) always counts as a change.
 */
static void build_update(const struct resource *r, const struct resource_sql *s, struct strbuf *b, int *nparams) {
  int n = 2;
  struct strbuf columns, values;
  strbuf_init(&columns);
  strbuf_init(&values);
  strbuf_printf(b, "UPDATE %s SET ", r->table);
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    if (!writable(f)) continue;
    n++;
    char value[160];
    if (f->flags & FIELD_WRITE_ONLY)
      snprintf(value, sizeof value, "coalesce($%d::%s, %s)", n, sql_type(f->type), column_of(f));
    else
      snprintf(value, sizeof value, "$%d::%s", n, sql_type(f->type));
    strbuf_printf(b, "%s = %s, ", column_of(f), value);
    strbuf_printf(&columns, "%s%s", columns.len ? ", " : "", column_of(f));
    strbuf_printf(&values, "%s%s", values.len ? ", " : "", value);
  }
  if (r->owned) {
    n++;
    strbuf_printf(b, "partner = $%d::text, ", n);
    strbuf_printf(&columns, ", partner");
    strbuf_printf(&values, ", $%d::text", n);
  }
  strbuf_printf(b, "version = version + 1, updated_at = now()"
                   " WHERE id = $1::uuid AND version = $2::integer AND deleted_at IS NULL"
                   " AND ROW(%s) IS DISTINCT FROM ROW(%s)"
                   " RETURNING id::text, version, ",
                columns.data, values.data);
  strbuf_free(&columns);
  strbuf_free(&values);
  json_for_caller(s, ++n, b);
  *nparams = n;
}

const char *resource_sort_cast(const struct resource *r, const char *sort) {
  if (strcmp(sort, "created_at") == 0 || strcmp(sort, "updated_at") == 0) return "timestamptz";
  const struct field *f = resource_field(r, sort);
  return f ? sql_type(f->type) : "text";
}

/* Replaces the "$" of a custom filter's SQL by the parameter's number. */
static void put_custom(struct strbuf *b, const char *sql, int n) {
  for (const char *c = sql; *c; c++) {
    if (*c == '$') strbuf_printf(b, "$%d", n);
    else strbuf_putc(b, *c);
  }
}

static void build_list(const struct resource *r, const struct resource_sql *s, const char *sort, bool desc,
                       struct strbuf *b, int *nparams) {
  const char *cast = resource_sort_cast(r, sort);
  int n = 0;
  /* output names that no column has, so that ORDER BY means the columns */
  strbuf_printf(b, "SELECT %s::text AS sort_key, id::text AS sort_id, ", sort);
  struct strbuf where;
  strbuf_init(&where);
  strbuf_printf(&where, " FROM %s WHERE deleted_at IS NULL", r->table);
  if (r->list_where) strbuf_printf(&where, " AND (%s)", r->list_where);
  if (r->owned) n++, strbuf_printf(&where, " AND ($%d::text IS NULL OR partner = $%d::text)", n, n);
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    if (!(f->flags & FIELD_FILTER)) continue;
    n++;
    if (f->flags & FIELD_PII) {
      /* personal data matches only where the caller may see it */
      strbuf_printf(&where, " AND ($%d::%s IS NULL OR (%s = $%d::%s AND ($@::text = '*' OR partner = $@::text)))",
                    n, sql_type(f->type), column_of(f), n, sql_type(f->type));
    } else {
      strbuf_printf(&where, " AND ($%d::%s IS NULL OR %s = $%d::%s)", n, sql_type(f->type), column_of(f), n,
                    sql_type(f->type));
    }
  }
  for (const struct custom_filter *c = r->filters; c && c->name; c++) {
    n++;
    /* a custom filter's value is text; its SQL casts it as it needs */
    strbuf_printf(&where, " AND ($%d::text IS NULL OR ", n);
    put_custom(&where, c->sql, n);
    strbuf_puts(&where, ")");
  }
  n++;
  strbuf_printf(&where, " AND ($%d::text IS NULL OR false", n);
  for (size_t i = 0; i < r->nfields; i++)
    if (r->fields[i].flags & FIELD_SEARCH)
      strbuf_printf(&where, " OR %s ILIKE $%d::text", column_of(&r->fields[i]), n);
  strbuf_puts(&where, ")");
  n++;
  strbuf_printf(&where, " AND ($%d::timestamptz IS NULL OR updated_at >= $%d::timestamptz)", n, n);
  n += 2;
  strbuf_printf(&where, " AND ($%d::text IS NULL OR (%s, id) %s ($%d::%s, $%d::uuid))", n - 1, sort,
                desc ? "<" : ">", n - 1, cast, n);
  n++;
  strbuf_printf(&where, " ORDER BY %s %s, id %s LIMIT $%d::integer", sort, desc ? "DESC" : "ASC",
                desc ? "DESC" : "ASC", n);
  json_for_caller(s, n + 1, b);
  strbuf_puts(b, " AS body");
  /* "$@" stands for the PII scope's number, known only now */
  char pii[16];
  snprintf(pii, sizeof pii, "$%d", n + 1);
  for (const char *c = where.data; c && *c; c++) {
    if (c[0] == '$' && c[1] == '@') {
      strbuf_puts(b, pii);
      c++;
    } else {
      strbuf_putc(b, *c);
    }
  }
  strbuf_free(&where);
  *nparams = n + 1;
}

static bool statement(struct db_statement *st, struct strbuf *b, const char *prefix, const char *name,
                      const char *suffix, int nparams, bool writes) {
  char stmt_name[160];
  snprintf(stmt_name, sizeof stmt_name, "%s_%s%s", prefix, name, suffix);
  st->name = strdup(stmt_name);
  st->sql = strbuf_steal(b);
  st->nparams = nparams;
  st->writes = writes;
  return st->name && st->sql;
}

/* A prefix for statement names unique to the resource (a view shares a table). */
static void prefix_of(const struct resource *r, char *out, size_t cap) {
  size_t n = 0;
  for (const char *c = r->name; *c && n + 1 < cap; c++) out[n++] = (*c == '/' || *c == '-') ? '_' : *c;
  out[n] = '\0';
}

ips_status resource_prepare(struct resource *r) {
  struct resource_sql *s = calloc(1, sizeof *s);
  struct strbuf b;
  char prefix[48];
  int n;
  if (s == NULL || r->nfields > RESOURCE_MAX_FIELDS) return IPS_ERROR;
  r->sql = s;
  prefix_of(r, prefix, sizeof prefix);
  strbuf_init(&b);
  build_json(r, true, "", &b);
  s->json = strbuf_steal(&b);
  if (resource_has_pii(r)) {
    build_json(r, false, "", &b);
    s->json_public = strbuf_steal(&b);
  }
  if (resource_stores_json(r)) {
    build_json_function(r, &b);
    s->json_definition = strbuf_steal(&b);
    if (s->json_definition == NULL) return IPS_ERROR;
  }
  if (s->json == NULL) return IPS_ERROR;
  bool ok = true;
  strbuf_printf(&b, "SELECT version, %s, ", r->owned ? "partner" : "NULL::text");
  json_for_caller(s, 2, &b);
  strbuf_printf(&b, " FROM %s WHERE id = $1::uuid AND deleted_at IS NULL", r->table);
  if (r->list_where) strbuf_printf(&b, " AND (%s)", r->list_where);
  ok &= statement(&s->get, &b, prefix, "get", "", s->json_public ? 2 : 1, false);
  build_get_many(r, s, &b);
  ok &= statement(&s->get_many, &b, prefix, "get_many", "", 2, false);
  ok &= (s->reads = read_batcher_create(&s->get_many, &s->get)) != NULL;
  build_current(r, &b);
  ok &= statement(&s->current, &b, prefix, "current", "", 1, true);
  build_insert(r, s, &b, &n);
  ok &= statement(&s->insert, &b, prefix, "insert", "", s->json_public ? n : n - 1, true);
  build_update(r, s, &b, &n);
  ok &= statement(&s->update, &b, prefix, "update", "", s->json_public ? n : n - 1, true);
  strbuf_printf(&b, "SELECT version FROM %s WHERE id = $1::uuid AND deleted_at IS NULL", r->table);
  ok &= statement(&s->exists, &b, prefix, "exists", "", 1, true);
  strbuf_printf(&b, "UPDATE %s SET deleted_at = now(), version = version + 1, updated_at = now()"
                    " WHERE id = $1::uuid AND version = $2::integer AND deleted_at IS NULL RETURNING version",
                r->table);
  ok &= statement(&s->remove, &b, prefix, "remove", "", 2, true);

  static const char *const meta_sorts[] = {"created_at", "updated_at"};
  for (size_t i = 0; i < 2; i++) s->sorts[s->nsorts++] = (struct list_sort){meta_sorts[i], 2};
  for (const char *const *p = r->sorts; p && *p && s->nsorts < RESOURCE_MAX_SORTS + 2; p++)
    s->sorts[s->nsorts++] = (struct list_sort){*p, 2};
  s->sorts[s->nsorts] = (struct list_sort){NULL, 0};
  for (size_t i = 0; i < s->nsorts; i++) {
    for (int desc = 0; desc < 2; desc++) {
      build_list(r, s, s->sorts[i].name, desc, &b, &n);
      char suffix[48];
      snprintf(suffix, sizeof suffix, "_%s%s", s->sorts[i].name, desc ? "_desc" : "");
      ok &= statement(&s->list[i][desc], &b, prefix, "list", suffix, s->json_public ? n : n - 1, false);
    }
  }
  if (!ok) y_log_message(Y_LOG_LEVEL_ERROR, "resource %s: cannot generate its SQL", r->name);
  return ok ? IPS_OK : IPS_ERROR;
}

static void free_statement(struct db_statement *st) {
  free((char *)st->name);
  free((char *)st->sql);
}

void resource_release(struct resource *r) {
  struct resource_sql *s = r->sql;
  if (s == NULL) return;
  free(s->json);
  free(s->json_public);
  free(s->json_definition);
  free_statement(&s->get);
  free_statement(&s->get_many);
  read_batcher_destroy(s->reads);
  free_statement(&s->current);
  free_statement(&s->insert);
  free_statement(&s->update);
  free_statement(&s->exists);
  free_statement(&s->remove);
  for (size_t i = 0; i < s->nsorts; i++)
    for (int d = 0; d < 2; d++) free_statement(&s->list[i][d]);
  free(s);
  r->sql = NULL;
}
