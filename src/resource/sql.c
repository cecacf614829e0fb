/* Generating a resource's SQL from its descriptor, once, at start-up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yder.h>

#include "resource/engine_sql.h"
#include "util/strbuf.h"

static const char *column_of(const struct field *f) { return f->column ? f->column : f->name; }

static const char *sql_type(enum field_type t) {
  switch (t) {
    case FIELD_BOOL: return "boolean";
    case FIELD_INT: return "integer";
    case FIELD_DATE: return "date";
    default: return "text";
  }
}

/* json_build_object(...) of the record as clients see it. */
static void build_json(const struct resource *r, struct strbuf *b) {
  strbuf_puts(b, "json_build_object('id', id");
  if (r->owned) strbuf_puts(b, ", 'partner', partner");
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    if (f->flags & FIELD_WRITE_ONLY) continue;
    strbuf_printf(b, ", '%s', %s", f->name, column_of(f));
  }
  if (r->flags & RESOURCE_BARE_JSON) strbuf_puts(b, ")");
  else
    strbuf_puts(b, ", 'version', version, 'created_at', created_at,"
                   " 'updated_at', updated_at)");
}

/* The writable fields as stored, for merging a patch into. */
static void build_current(const struct resource *r, struct strbuf *b) {
  strbuf_puts(b, "SELECT version, ");
  strbuf_puts(b, r->owned ? "partner" : "NULL::text");
  strbuf_puts(b, ", json_build_object(");
  bool first = true;
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    if (f->flags & FIELD_WRITE_ONLY) continue;
    strbuf_printf(b, "%s'%s', %s", first ? "" : ", ", f->name, column_of(f));
    first = false;
  }
  strbuf_printf(b, ")::text FROM %s WHERE id = $1::uuid AND deleted_at IS NULL", r->table);
}

static void build_insert(const struct resource *r, struct strbuf *b, const char *json, int *nparams) {
  int n = 0;
  strbuf_printf(b, "INSERT INTO %s (", r->table);
  for (size_t i = 0; i < r->nfields; i++) strbuf_printf(b, "%s%s", i ? ", " : "", column_of(&r->fields[i]));
  if (r->owned) strbuf_puts(b, ", partner");
  strbuf_puts(b, ") VALUES (");
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    n++;
    if (f->column_default)
      strbuf_printf(b, "%scoalesce($%d::%s, %s)", i ? ", " : "", n, sql_type(f->type), f->column_default);
    else
      strbuf_printf(b, "%s$%d::%s", i ? ", " : "", n, sql_type(f->type));
  }
  if (r->owned) strbuf_printf(b, ", $%d::text", ++n);
  strbuf_printf(b, ") RETURNING id::text, version, %s::text", json);
  *nparams = n;
}

static void build_update(const struct resource *r, struct strbuf *b, const char *json, int *nparams) {
  int n = 2;
  strbuf_printf(b, "UPDATE %s SET ", r->table);
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    n++;
    if (f->flags & FIELD_WRITE_ONLY)
      strbuf_printf(b, "%s = coalesce($%d::%s, %s), ", column_of(f), n, sql_type(f->type), column_of(f));
    else
      strbuf_printf(b, "%s = $%d::%s, ", column_of(f), n, sql_type(f->type));
  }
  if (r->owned) strbuf_printf(b, "partner = $%d::text, ", ++n);
  strbuf_printf(b, "version = version + 1, updated_at = now()"
                   " WHERE id = $1::uuid AND version = $2::integer AND deleted_at IS NULL"
                   " RETURNING id::text, version, %s::text", json);
  *nparams = n;
}

/* The sort key as text, and the cast that turns a cursor value back. */
static void sort_key(const struct resource *r, const char *sort, const char **expr, const char **cast) {
  (void)r;
  if (strcmp(sort, "created_at") == 0 || strcmp(sort, "updated_at") == 0) {
    *expr = strcmp(sort, "created_at") == 0 ? "created_at" : "updated_at";
    *cast = "timestamptz";
  } else {
    *expr = sort;
    *cast = "text";
  }
}

static void build_list(const struct resource *r, const char *sort, bool desc, struct strbuf *b,
                       const char *json, int *nparams) {
  const char *expr, *cast;
  int n = 0;
  sort_key(r, sort, &expr, &cast);
  /* output names that no column has, so that ORDER BY means the columns */
  strbuf_printf(b, "SELECT %s AS sort_key, id::text AS sort_id, %s::text AS body FROM %s WHERE deleted_at IS NULL",
                expr, json, r->table);
  if (r->list_where) strbuf_printf(b, " AND (%s)", r->list_where);
  if (r->owned) strbuf_printf(b, " AND ($%d::text IS NULL OR partner = $%d::text)", n + 1, n + 1), n++;
  for (size_t i = 0; i < r->nfields; i++) {
    const struct field *f = &r->fields[i];
    if (!(f->flags & FIELD_FILTER)) continue;
    n++;
    strbuf_printf(b, " AND ($%d::%s IS NULL OR %s = $%d::%s)", n, sql_type(f->type), column_of(f), n,
                  sql_type(f->type));
  }
  n++;
  strbuf_printf(b, " AND ($%d::text IS NULL OR false", n);
  for (size_t i = 0; i < r->nfields; i++)
    if (r->fields[i].flags & FIELD_SEARCH) strbuf_printf(b, " OR %s ILIKE $%d::text", column_of(&r->fields[i]), n);
  strbuf_puts(b, ")");
  n++;
  strbuf_printf(b, " AND ($%d::timestamptz IS NULL OR updated_at >= $%d::timestamptz)", n, n);
  n += 2;
  strbuf_printf(b, " AND ($%d::text IS NULL OR (%s, id) %s ($%d::%s, $%d::uuid))", n - 1,
                sort, desc ? "<" : ">", n - 1, cast, n);
  n++;
  strbuf_printf(b, " ORDER BY %s %s, id %s LIMIT $%d::integer", sort, desc ? "DESC" : "ASC",
                desc ? "DESC" : "ASC", n);
  *nparams = n;
}

static bool statement(struct db_statement *st, struct strbuf *b, const char *prefix, const char *name,
                      const char *suffix, int nparams, bool writes) {
  char stmt_name[96];
  snprintf(stmt_name, sizeof stmt_name, "%s_%s%s", prefix, name, suffix);
  st->name = strdup(stmt_name);
  st->sql = strbuf_steal(b);
  st->nparams = nparams;
  st->writes = writes;
  return st->name && st->sql;
}

ips_status resource_prepare(struct resource *r) {
  struct resource_sql *s = calloc(1, sizeof *s);
  struct strbuf b;
  int n;
  if (s == NULL || r->nfields > RESOURCE_MAX_FIELDS) return IPS_ERROR;
  r->sql = s;
  strbuf_init(&b);
  build_json(r, &b);
  s->json = strbuf_steal(&b);
  if (s->json == NULL) return IPS_ERROR;
  bool ok = true;
  strbuf_printf(&b, "SELECT version, %s, %s::text FROM %s WHERE id = $1::uuid AND deleted_at IS NULL%s%s%s",
                r->owned ? "partner" : "NULL::text", s->json, r->table, r->list_where ? " AND (" : "",
                r->list_where ? r->list_where : "", r->list_where ? ")" : "");
  ok &= statement(&s->get, &b, r->table, "get", "", 1, false);
  build_current(r, &b);
  ok &= statement(&s->current, &b, r->table, "current", "", 1, true);
  build_insert(r, &b, s->json, &n);
  ok &= statement(&s->insert, &b, r->table, "insert", "", n, true);
  build_update(r, &b, s->json, &n);
  ok &= statement(&s->update, &b, r->table, "update", "", n, true);
  strbuf_printf(&b, "SELECT version FROM %s WHERE id = $1::uuid AND deleted_at IS NULL", r->table);
  ok &= statement(&s->exists, &b, r->table, "exists", "", 1, true);
  strbuf_printf(&b, "UPDATE %s SET deleted_at = now(), version = version + 1, updated_at = now()"
                    " WHERE id = $1::uuid AND version = $2::integer AND deleted_at IS NULL RETURNING version",
                r->table);
  ok &= statement(&s->remove, &b, r->table, "remove", "", 2, true);

  static const char *const meta_sorts[] = {"created_at", "updated_at"};
  for (size_t i = 0; i < 2; i++) s->sorts[s->nsorts++] = (struct list_sort){meta_sorts[i], 2};
  for (const char *const *p = r->sorts; p && *p && s->nsorts < RESOURCE_MAX_SORTS + 2; p++)
    s->sorts[s->nsorts++] = (struct list_sort){*p, 2};
  s->sorts[s->nsorts] = (struct list_sort){NULL, 0};
  for (size_t i = 0; i < s->nsorts; i++) {
    for (int desc = 0; desc < 2; desc++) {
      build_list(r, s->sorts[i].name, desc, &b, s->json, &n);
      char suffix[48];
      snprintf(suffix, sizeof suffix, "_%s%s", s->sorts[i].name, desc ? "_desc" : "");
      ok &= statement(&s->list[i][desc], &b, r->table, "list", suffix, n, false);
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
  free_statement(&s->get);
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
