#include "resource/list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "http/problem.h"
#include "http/response.h"
#include "util/strbuf.h"

static bool parse_limit(const char *v, long *out) {
  long n = 0;
  if (v == NULL || *v == '\0' || strlen(v) > 3) return false;
  for (const char *c = v; *c; c++) {
    if (*c < '0' || *c > '9') return false;
    n = n * 10 + (*c - '0');
  }
  if (n < 1 || n > LIST_MAX_LIMIT) return false;
  *out = n;
  return true;
}

static const struct list_sort *find_sort(const struct list_sort *sorts, const char *name) {
  for (const struct list_sort *s = sorts; s->name; s++)
    if (strcmp(s->name, name) == 0) return s;
  return NULL;
}

bool list_params_parse(struct ips_request *req, const struct list_sort *sorts,
                       const char *default_sort, struct list_params *p) {
  memset(p, 0, sizeof *p);
  p->limit = LIST_DEFAULT_LIMIT;
  const char *limit = query_get(&req->query, "limit");
  if (limit && !parse_limit(limit, &p->limit)) {
    problem_bad_parameter(req, "limit", "invalid", "must be a whole number from 1 to 200");
    return false;
  }
  const char *sort = query_get(&req->query, "sort");
  if (sort == NULL) sort = default_sort;
  p->descending = sort[0] == '-';
  p->sort = strlen(sort) < sizeof p->sort_param ? find_sort(sorts, sort + p->descending) : NULL;
  if (p->sort == NULL) {
    char message[160];
    struct strbuf names;
    strbuf_init(&names);
    for (const struct list_sort *s = sorts; s->name; s++)
      strbuf_printf(&names, "%s%s", s == sorts ? "" : ", ", s->name);
    snprintf(message, sizeof message, "must be one of %s, each optionally prefixed with '-'",
             names.data ? names.data : "");
    strbuf_free(&names);
    problem_bad_parameter(req, "sort", "invalid", message);
    return false;
  }
  snprintf(p->sort_param, sizeof p->sort_param, "%s", sort);
  const char *cursor = query_get(&req->query, "cursor");
  if (cursor && cursor_decode(cursor, p->sort_param, p->sort->keys, p->after) != IPS_OK) {
    problem_bad_parameter(req, "cursor", "invalid",
                          "is not a cursor of this list and sort; use next_cursor as given");
    return false;
  }
  return true;
}

void list_params_free(struct list_params *p) {
  for (size_t i = 0; i < CURSOR_MAX_KEYS; i++) {
    free(p->after[i]);
    p->after[i] = NULL;
  }
}

void list_fetch_limit(const struct list_params *p, char out[24]) {
  snprintf(out, 24, "%ld", p->limit + 1);
}

/* The request's own path and query with the cursor replaced. */
static void next_link(struct ips_request *req, const char *cursor, struct strbuf *b) {
  strbuf_puts(b, "<");
  strbuf_puts(b, req->u->url_path);
  char sep = '?';
  for (size_t i = 0; i < req->query.n; i++) {
    if (strcmp(req->query.keys[i], "cursor") == 0) continue;
    strbuf_putc(b, sep);
    sep = '&';
    query_percent_encode(b, req->query.keys[i]);
    strbuf_putc(b, '=');
    query_percent_encode(b, req->query.values[i]);
  }
  strbuf_putc(b, sep);
  strbuf_puts(b, "cursor=");
  strbuf_puts(b, cursor);
  strbuf_puts(b, ">; rel=\"next\"");
}

void list_respond(struct ips_request *req, const struct list_params *p, const PGresult *res,
                  int json_col, const int *key_cols) {
  int rows = PQntuples(res);
  bool more = rows > p->limit;
  if (more) rows = (int)p->limit;
  struct strbuf body;
  strbuf_init(&body);
  strbuf_puts(&body, "{\"items\":[");
  for (int i = 0; i < rows; i++) {
    if (i) strbuf_putc(&body, ',');
    strbuf_append(&body, PQgetvalue(res, i, json_col), (size_t)PQgetlength(res, i, json_col));
  }
  strbuf_puts(&body, "],\"next_cursor\":");
  char *cursor = NULL;
  if (more) {
    const char *keys[CURSOR_MAX_KEYS];
    for (size_t k = 0; k < p->sort->keys; k++) keys[k] = PQgetvalue(res, rows - 1, key_cols[k]);
    cursor = cursor_encode(p->sort_param, keys, p->sort->keys);
  }
  if (cursor) {
    strbuf_put_json_string(&body, cursor);
    struct strbuf link;
    strbuf_init(&link);
    next_link(req, cursor, &link);
    if (!strbuf_failed(&link)) respond_header(req, "Link", link.data);
    strbuf_free(&link);
  } else {
    strbuf_puts(&body, "null");
  }
  strbuf_putc(&body, '}');
  bool cursor_failed = more && cursor == NULL;
  free(cursor);
  size_t len = body.len;
  char *text = strbuf_steal(&body);
  if (text == NULL || cursor_failed) {
    free(text);
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "out of memory");
    return;
  }
  respond_json_owned(req, 200, text, len);
}

char *list_like_pattern(const char *q) {
  struct strbuf b;
  strbuf_init(&b);
  strbuf_putc(&b, '%');
  for (const char *c = q; *c; c++) {
    if (*c == '%' || *c == '_' || *c == '\\') strbuf_putc(&b, '\\');
    strbuf_putc(&b, *c);
  }
  strbuf_putc(&b, '%');
  return strbuf_steal(&b);
}
