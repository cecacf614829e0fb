/*
 * The list conventions of DESIGN §4 shared by every collection: limit,
 * sort, keyset cursor, the {"items", "next_cursor"} envelope and the Link
 * header. Rows arrive as JSON text built by PostgreSQL and are passed
 * through without being parsed again.
 */
#ifndef IPS_RESOURCE_LIST_H
#define IPS_RESOURCE_LIST_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"
#include "resource/cursor.h"

#define LIST_DEFAULT_LIMIT 50
#define LIST_MAX_LIMIT 200

/* One way a collection can be sorted: the parameter value without "-", and
 * how many key columns its cursor carries (the sort column, then the id). */
struct list_sort {
  const char *name;
  size_t keys;
};

struct list_params {
  long limit;
  const struct list_sort *sort;   /* borrowed from the collection's table */
  bool descending;
  char sort_param[40];            /* as given, e.g. "-name" */
  char *after[CURSOR_MAX_KEYS];   /* owned; NULL without a cursor */
};

/*
 * Parses limit, sort and cursor from the query. sorts ends with {NULL, 0};
 * default_sort is a value such as "-created_at". On a bad value sends a 400
 * naming the parameter and returns false.
 */
bool list_params_parse(struct ips_request *req, const struct list_sort *sorts,
                       const char *default_sort, struct list_params *p);
void list_params_free(struct list_params *p);

/* limit + 1 as text, for the LIMIT parameter: one extra row tells whether
 * there is a next page. */
void list_fetch_limit(const struct list_params *p, char out[24]);

/*
 * Answers 200 with the page: res holds up to limit + 1 rows; column json_col
 * is the row's JSON text and key_cols[0..sort->keys) its cursor key columns.
 */
void list_respond(struct ips_request *req, const struct list_params *p, const PGresult *res,
                  int json_col, const int *key_cols);

/* Escapes LIKE wildcards in q (backslash is the escape) into a new string
 * (free it), or NULL on allocation failure. */
char *list_like_pattern(const char *q);

#endif
