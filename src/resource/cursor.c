#include "resource/cursor.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64url.h"

char *cursor_encode(const char *sort, const char *const *values, size_t n) {
  json_t *keys = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(keys, json_string(values[i]));
  json_t *doc = json_pack("{s:s, s:o}", "s", sort, "k", keys);
  char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  if (text == NULL) return NULL;
  char *cursor = base64url_encode((const unsigned char *)text, strlen(text));
  free(text);
  return cursor;
}

ips_status cursor_decode(const char *text, const char *sort, size_t n, char **values) {
  if (strlen(text) > CURSOR_MAX_LENGTH || n > CURSOR_MAX_KEYS) return IPS_INVALID;
  size_t len;
  unsigned char *raw = base64url_decode(text, &len);
  if (raw == NULL) return IPS_INVALID;
  json_t *doc = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
  free(raw);
  ips_status st = IPS_INVALID;
  json_t *keys = json_object_get(doc, "k");
  const char *s = json_string_value(json_object_get(doc, "s"));
  if (!json_is_object(doc) || json_object_size(doc) != 2 || s == NULL || strcmp(s, sort) != 0 ||
      !json_is_array(keys) || json_array_size(keys) != n)
    goto out;
  for (size_t i = 0; i < n; i++)
    if (!json_is_string(json_array_get(keys, i))) goto out;
  for (size_t i = 0; i < n; i++) values[i] = strdup(json_string_value(json_array_get(keys, i)));
  st = IPS_OK;
out:
  json_decref(doc);
  return st;
}
