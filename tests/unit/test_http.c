/* Unit tests of the pure HTTP pieces: query parsing, request ids, JSON
 * nesting, content types, entity tags, content codings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "http/client_address.h"
#include "http/content_coding.h"
#include "http/etag.h"
#include "http/query.h"
#include "http/shape.h"
#include "util/strbuf.h"

static void query_decodes_percent_and_plus(void **state) {
  (void)state;
  struct query q;
  assert_int_equal(query_parse("q=%C5%81ubniany&powiat=1609&x=a+b", &q), IPS_OK);
  assert_int_equal(q.n, 3);
  assert_string_equal(query_get(&q, "q"), "Łubniany");
  assert_string_equal(query_get(&q, "powiat"), "1609");
  assert_string_equal(query_get(&q, "x"), "a b");
  assert_null(query_get(&q, "limit"));
  query_free(&q);
}

static void query_empty_and_missing_values(void **state) {
  (void)state;
  struct query q;
  assert_int_equal(query_parse(NULL, &q), IPS_OK);
  assert_int_equal(q.n, 0);
  query_free(&q);
  assert_int_equal(query_parse("", &q), IPS_OK);
  assert_int_equal(q.n, 0);
  query_free(&q);
  assert_int_equal(query_parse("a&&b=", &q), IPS_OK);
  assert_string_equal(query_get(&q, "a"), "");
  assert_string_equal(query_get(&q, "b"), "");
  query_free(&q);
}

static void query_rejects_repeated_parameter(void **state) {
  (void)state;
  struct query q;
  assert_int_equal(query_parse("limit=1&limit=2", &q), IPS_INVALID);
  assert_string_equal(q.bad_key, "limit");
  query_free(&q);
}

static void query_rejects_bad_escapes(void **state) {
  (void)state;
  struct query q;
  assert_int_equal(query_parse("q=%zz", &q), IPS_INVALID);
  assert_string_equal(q.bad_key, "q");
  query_free(&q);
  assert_int_equal(query_parse("q=abc%4", &q), IPS_INVALID);
  query_free(&q);
  assert_int_equal(query_parse("q=%", &q), IPS_INVALID);
  query_free(&q);
}

static void query_rejects_nul_and_non_utf8(void **state) {
  (void)state;
  struct query q;
  assert_int_equal(query_parse("q=a%00b", &q), IPS_INVALID);
  query_free(&q);
  assert_int_equal(query_parse("q=%FF%FE", &q), IPS_INVALID);
  query_free(&q);
  assert_int_equal(query_parse("q=%C0%AF", &q), IPS_INVALID); /* overlong '/' */
  query_free(&q);
  assert_int_equal(query_parse("%FF=1", &q), IPS_INVALID);
  assert_string_equal(q.bad_key, "%FF"); /* garbage keys are reported printable */
  query_free(&q);
}

static void query_limits_count_and_length(void **state) {
  (void)state;
  struct query q;
  struct strbuf b;
  strbuf_init(&b);
  for (int i = 0; i <= QUERY_MAX_PARAMS; i++) strbuf_printf(&b, "p%d=1&", i);
  assert_int_equal(query_parse(b.data, &q), IPS_INVALID);
  query_free(&q);
  strbuf_free(&b);
  strbuf_puts(&b, "q=");
  for (int i = 0; i <= QUERY_MAX_VALUE; i++) strbuf_putc(&b, 'a');
  assert_int_equal(query_parse(b.data, &q), IPS_INVALID);
  assert_string_equal(q.bad_code, "too_long");
  query_free(&q);
  strbuf_free(&b);
}

static void query_unknown_key_found(void **state) {
  (void)state;
  static const char *const allowed[] = {"limit", "cursor", NULL};
  struct query q;
  assert_int_equal(query_parse("limit=5&foo=1", &q), IPS_OK);
  assert_string_equal(query_unknown_key(&q, allowed), "foo");
  query_free(&q);
  assert_int_equal(query_parse("limit=5", &q), IPS_OK);
  assert_null(query_unknown_key(&q, allowed));
  query_free(&q);
}

static void percent_encode_round_trips(void **state) {
  (void)state;
  struct strbuf b;
  strbuf_init(&b);
  query_percent_encode(&b, "a b&c=Ł~");
  assert_string_equal(b.data, "a%20b%26c%3D%C5%81~");
  char out[64];
  size_t n;
  assert_true(query_percent_decode(b.data, b.len, out, &n));
  assert_string_equal(out, "a b&c=Ł~");
  strbuf_free(&b);
}

static void utf8_validation(void **state) {
  (void)state;
  assert_true(utf8_valid("zażółć", strlen("zażółć")));
  assert_true(utf8_valid("\xF0\x9F\x98\x80", 4));     /* emoji */
  assert_false(utf8_valid("\xED\xA0\x80", 3));        /* surrogate */
  assert_false(utf8_valid("\xE2\x82", 2));            /* truncated */
  assert_false(utf8_valid("\xF4\x90\x80\x80", 4));    /* above U+10FFFF */
  assert_false(utf8_valid("\x80", 1));
}

static void request_ids(void **state) {
  (void)state;
  assert_true(request_id_valid("abc-123_X.y"));
  assert_true(request_id_valid("a"));
  char max[REQUEST_ID_MAX + 2];
  memset(max, 'a', REQUEST_ID_MAX);
  max[REQUEST_ID_MAX] = '\0';
  assert_true(request_id_valid(max));
  max[REQUEST_ID_MAX] = 'a';
  max[REQUEST_ID_MAX + 1] = '\0';
  assert_false(request_id_valid(max));
  assert_false(request_id_valid(""));
  assert_false(request_id_valid(NULL));
  assert_false(request_id_valid("bad id"));
  assert_false(request_id_valid("a\nb"));
  char a[33], b[33];
  request_id_generate(a);
  request_id_generate(b);
  assert_int_equal(strlen(a), 32);
  assert_true(request_id_valid(a));
  assert_string_not_equal(a, b);
}

static void json_depth_counts_outside_strings(void **state) {
  (void)state;
  const char *flat = "{\"a\":[1,2,{\"b\":\"[[[[{{{{\"}]}";
  assert_int_equal(json_nesting_depth(flat, strlen(flat), 32), 3);
  const char *esc = "{\"a\":\"\\\"[[[\"}";
  assert_int_equal(json_nesting_depth(esc, strlen(esc), 32), 1);
  char deep[201];
  memset(deep, '[', 200);
  deep[200] = '\0';
  assert_true(json_nesting_depth(deep, 200, 32) > 32);
  assert_int_equal(json_nesting_depth("1", 1, 32), 0);
}

static void content_types(void **state) {
  (void)state;
  assert_true(content_type_is_json("application/json"));
  assert_true(content_type_is_json("application/json; charset=utf-8"));
  assert_true(content_type_is_json("Application/JSON"));
  assert_true(content_type_is_json("application/merge-patch+json"));
  assert_false(content_type_is_json("text/plain"));
  assert_false(content_type_is_json("application/jsonx"));
  assert_false(content_type_is_json("application/x-www-form-urlencoded"));
  assert_false(content_type_is_json(NULL));
}

static void etags(void **state) {
  (void)state;
  char tag[24];
  etag_format(7, tag);
  assert_string_equal(tag, "\"7\"");
  for (int weak_ok = 0; weak_ok < 2; weak_ok++) {
    assert_true(etag_list_matches("\"7\"", 7, weak_ok));
    assert_true(etag_list_matches("\"1\", \"7\"", 7, weak_ok));
    assert_true(etag_list_matches("*", 7, weak_ok));
    assert_false(etag_list_matches("\"17\"", 7, weak_ok));
    assert_false(etag_list_matches("\"7", 7, weak_ok));
    assert_false(etag_list_matches("7", 7, weak_ok));
    assert_false(etag_list_matches("", 7, weak_ok));
    assert_false(etag_list_matches(NULL, 7, weak_ok));
  }
  /* If-None-Match compares weakly, If-Match strongly */
  assert_true(etag_list_matches("W/\"7\"", 7, true));
  assert_false(etag_list_matches("W/\"7\"", 7, false));
  assert_true(etag_list_matches("W/\"1\", \"7\"", 7, false));
}

/* An embedded document's tag is a hash, not a version: the same rules. */
static void etags_of_any_tag(void **state) {
  (void)state;
  const char *tag = "\"6e4ff218d2a56e10\"";
  assert_true(etag_list_matches_tag("\"6e4ff218d2a56e10\"", tag, false));
  assert_true(etag_list_matches_tag("\"00\", \"6e4ff218d2a56e10\"", tag, false));
  assert_true(etag_list_matches_tag("W/\"6e4ff218d2a56e10\"", tag, true));
  assert_false(etag_list_matches_tag("W/\"6e4ff218d2a56e10\"", tag, false));
  assert_false(etag_list_matches_tag("\"6e4ff218d2a56e1\"", tag, true));
  assert_false(etag_list_matches_tag("\"6e4ff218d2a56e10", tag, true));
  assert_false(etag_list_matches_tag(NULL, tag, true));
  /* an embedded file's tag (a 128-bit hash) has its gzip form too, which names it */
  const char *file_tag = "\"0123456789abcdef0123456789abcdef\"";
  char coded[ETAG_MAX];
  assert_true(etag_gzip_form(file_tag, coded));
  assert_string_equal(coded, "\"0123456789abcdef0123456789abcdef-gzip\"");
  assert_true(etag_list_matches_tag(coded, file_tag, false));
}

static void etags_of_gzip_answers(void **state) {
  (void)state;
  char coded[ETAG_MAX];
  assert_true(etag_gzip_form("\"7\"", coded));
  assert_string_equal(coded, "\"7-gzip\"");
  assert_true(etag_gzip_form("W/\"7\"", coded));
  assert_string_equal(coded, "W/\"7-gzip\"");
  assert_true(etag_gzip_form("\"9223372036854775807\"", coded));
  assert_string_equal(coded, "\"9223372036854775807-gzip\"");
  assert_false(etag_gzip_form("7", coded));
  assert_false(etag_gzip_form("\"", coded));
  assert_false(etag_gzip_form("", coded));
  /* either form names the version, for If-Match (strong) and If-None-Match */
  for (int weak_ok = 0; weak_ok < 2; weak_ok++) {
    assert_true(etag_list_matches("\"7-gzip\"", 7, weak_ok));
    assert_true(etag_list_matches("\"1\", \"7-gzip\"", 7, weak_ok));
    assert_false(etag_list_matches("\"17-gzip\"", 7, weak_ok));
    assert_false(etag_list_matches("\"7-gzi\"", 7, weak_ok));
    assert_false(etag_list_matches("\"7-gzip-gzip\"", 7, weak_ok));
    assert_false(etag_list_matches("\"7gzip\"", 7, weak_ok));
  }
  assert_false(etag_list_matches("W/\"7-gzip\"", 7, false));
  /* which form a list names exactly, for the tag of a 304 */
  assert_true(etag_list_names("\"3\", W/\"7-gzip\"", "\"7-gzip\""));
  assert_false(etag_list_names("\"7\"", "\"7-gzip\""));
  assert_false(etag_list_names("*", "\"7-gzip\""));
  assert_false(etag_list_names(NULL, "\"7-gzip\""));
}

static void accept_encoding_gzip_and_weights(void **state) {
  (void)state;
  assert_true(content_coding_gzip_accepted("gzip"));
  assert_true(content_coding_gzip_accepted("x-gzip"));
  assert_true(content_coding_gzip_accepted("GZip"));
  assert_true(content_coding_gzip_accepted("gzip, deflate, br"));
  assert_true(content_coding_gzip_accepted("br;q=1.0, gzip;q=0.8, *;q=0.1"));
  assert_true(content_coding_gzip_accepted("  deflate ,\tgzip ; q = 0.5 "));
  assert_true(content_coding_gzip_accepted("gzip;Q=0.001"));
  assert_true(content_coding_gzip_accepted("gzip;q=1.000"));
  assert_true(content_coding_gzip_accepted("*"));
  /* refused, by name or by "*" */
  assert_false(content_coding_gzip_accepted("gzip;q=0"));
  assert_false(content_coding_gzip_accepted("gzip;q=0.000, deflate"));
  assert_false(content_coding_gzip_accepted("x-gzip;q=0"));
  assert_false(content_coding_gzip_accepted("*;q=0"));
  assert_false(content_coding_gzip_accepted("gzip;q=0, *"));
  assert_false(content_coding_gzip_accepted("deflate, br"));
  /* named twice: the larger weight */
  assert_true(content_coding_gzip_accepted("gzip;q=0, x-gzip"));
  /* identity preferred by weight */
  assert_false(content_coding_gzip_accepted("gzip;q=0.5, identity"));
  assert_false(content_coding_gzip_accepted("gzip;q=0.5, *"));
  assert_true(content_coding_gzip_accepted("gzip, identity;q=0.5"));
  assert_true(content_coding_gzip_accepted("gzip;q=0.5, identity;q=0.5"));
  /* absent or empty: identity */
  assert_false(content_coding_gzip_accepted(NULL));
  assert_false(content_coding_gzip_accepted(""));
  assert_false(content_coding_gzip_accepted("identity"));
  /* identity refused and nothing else offered: identity all the same (no 406) */
  assert_false(content_coding_gzip_accepted("identity;q=0"));
}

static void accept_encoding_garbage_is_identity(void **state) {
  (void)state;
  /* a malformed element counts as absent; the others still count */
  static const char *const bad[] = {
    "gzip;q=1.5", "gzip;q=2", "gzip;q=0.0001", "gzip;q=-1", "gzip;q=", "gzip;q", "gzip;=1",
    "gzip;q=0.5x", "gzip;q=1.001", "gzip x", "\"gzip\"", "gzip/1", ",,,;;;===", ";", "=",
    "gzip;q=0.5;", "\x01gzip", "gzi\xc3\xa9p",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_false(content_coding_gzip_accepted(bad[i]));
  assert_true(content_coding_gzip_accepted("gzip;q=2, x-gzip"));
  assert_true(content_coding_gzip_accepted("@@@, gzip"));
  assert_true(content_coding_gzip_accepted(",,gzip,,"));
  assert_true(content_coding_gzip_accepted("gzip;level=9"));
  /* long headers are read in one pass, without a limit of their own */
  size_t n = 200000;
  char *big = malloc(n + 8);
  assert_non_null(big);
  for (size_t i = 0; i < n; i++) big[i] = i % 2 ? ',' : ';';
  big[n] = '\0';
  assert_false(content_coding_gzip_accepted(big));
  memcpy(big + n - 6, ",gzip", 6);
  assert_true(content_coding_gzip_accepted(big));
  free(big);
}

static void compressible_content_types(void **state) {
  (void)state;
  static const char *const yes[] = {
    "application/json", "application/problem+json", "Application/JSON; charset=utf-8", "text/csv; charset=utf-8",
    "application/yaml", "application/x-yaml", "text/yaml", "application/vnd.oai.openapi", "application/openapi+yaml",
    "text/html; charset=utf-8", " application/json", "text/javascript; charset=utf-8",
  };
  static const char *const no[] = {
    "text/plain; version=0.0.4", "application/octet-stream", "image/png", "application/jsonx", "text/csvx",
    "application/gzip", "+json", "text/+json", "", NULL,
  };
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) assert_true(content_coding_compressible(yes[i]));
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) assert_false(content_coding_compressible(no[i]));
}

static struct ip_net net_of(const char *text) {
  struct ip_net n;
  assert_int_equal(ip_net_parse(text, strlen(text), &n), IPS_OK);
  return n;
}

static bool in_net(const char *net, const char *address) {
  struct ip_net n = net_of(net);
  struct ip_address a;
  assert_int_equal(ip_address_parse(address, strlen(address), &a), IPS_OK);
  return ip_net_contains(&n, &a);
}

static void ip_networks(void **state) {
  (void)state;
  assert_true(in_net("10.0.0.0/8", "10.200.3.4"));
  assert_false(in_net("10.0.0.0/8", "11.0.0.1"));
  assert_true(in_net("192.168.1.7", "192.168.1.7"));
  assert_false(in_net("192.168.1.7", "192.168.1.8"));
  assert_true(in_net("172.16.0.0/12", "172.31.255.255"));
  assert_false(in_net("172.16.0.0/12", "172.32.0.0"));
  assert_true(in_net("0.0.0.0/0", "8.8.8.8"));
  assert_true(in_net("fd00::/8", "fd12:3456::1"));
  assert_false(in_net("fd00::/8", "fe80::1"));
  assert_false(in_net("10.0.0.0/8", "::1"));
  assert_true(in_net("127.0.0.1", "::ffff:127.0.0.1")); /* IPv4-mapped is IPv4 */
  struct ip_net n;
  assert_int_equal(ip_net_parse("10.0.0.0/", 9, &n), IPS_INVALID);
  assert_int_equal(ip_net_parse("10.0.0.0/x", 10, &n), IPS_INVALID);
  assert_int_equal(ip_net_parse("10.0.0.0/33", 11, &n), IPS_INVALID);
  assert_int_equal(ip_net_parse("example.org", 11, &n), IPS_INVALID);
}

/* Resolves the client of a peer (IPv4 text) with X-Forwarded-For xff and
 * the trusted list "127.0.0.1, 10.0.0.0/8"; returns the address as text. */
static const char *client_of(const char *peer, const char *xff, char out[IP_TEXT_MAX]) {
  struct ip_net trusted[] = {net_of("127.0.0.1"), net_of("10.0.0.0/8")};
  struct sockaddr_in sa = {.sin_family = AF_INET};
  assert_int_equal(inet_pton(AF_INET, peer, &sa.sin_addr), 1);
  struct ip_address a;
  assert_int_equal(client_address_resolve((struct sockaddr *)&sa, xff, trusted, 2, &a), IPS_OK);
  ip_address_format(&a, out);
  return out;
}

static void client_addresses(void **state) {
  (void)state;
  char out[IP_TEXT_MAX];
  /* an untrusted peer is the client, whatever it says */
  assert_string_equal(client_of("203.0.113.9", "198.51.100.1", out), "203.0.113.9");
  assert_string_equal(client_of("203.0.113.9", NULL, out), "203.0.113.9");
  /* a trusted proxy without the header is the client itself */
  assert_string_equal(client_of("127.0.0.1", NULL, out), "127.0.0.1");
  /* the right-most entry that is not a trusted proxy */
  assert_string_equal(client_of("127.0.0.1", "198.51.100.1", out), "198.51.100.1");
  assert_string_equal(client_of("127.0.0.1", "1.1.1.1, 198.51.100.1, 10.1.2.3", out), "198.51.100.1");
  assert_string_equal(client_of("10.0.0.5", " 198.51.100.2 ,10.9.9.9 ", out), "198.51.100.2");
  /* every entry trusted: the left-most */
  assert_string_equal(client_of("127.0.0.1", "10.0.0.1, 10.0.0.2", out), "10.0.0.1");
  /* garbage stops the walk at the hop that wrote it */
  assert_string_equal(client_of("127.0.0.1", "198.51.100.1, not-an-ip", out), "127.0.0.1");
  assert_string_equal(client_of("127.0.0.1", "not-an-ip, 10.0.0.7", out), "10.0.0.7");
  assert_string_equal(client_of("127.0.0.1", "", out), "127.0.0.1");
  assert_string_equal(client_of("127.0.0.1", ",,,", out), "127.0.0.1");
  /* IPv6 entries; a mapped IPv4 one is IPv4 */
  assert_string_equal(client_of("127.0.0.1", "2001:db8::1", out), "2001:db8::1");
  assert_string_equal(client_of("127.0.0.1", "::ffff:198.51.100.3", out), "198.51.100.3");
  /* no peer address */
  struct ip_address a;
  assert_int_equal(client_address_resolve(NULL, "1.2.3.4", NULL, 0, &a), IPS_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(query_decodes_percent_and_plus),
    cmocka_unit_test(query_empty_and_missing_values),
    cmocka_unit_test(query_rejects_repeated_parameter),
    cmocka_unit_test(query_rejects_bad_escapes),
    cmocka_unit_test(query_rejects_nul_and_non_utf8),
    cmocka_unit_test(query_limits_count_and_length),
    cmocka_unit_test(query_unknown_key_found),
    cmocka_unit_test(percent_encode_round_trips),
    cmocka_unit_test(utf8_validation),
    cmocka_unit_test(request_ids),
    cmocka_unit_test(json_depth_counts_outside_strings),
    cmocka_unit_test(content_types),
    cmocka_unit_test(etags),
    cmocka_unit_test(etags_of_any_tag),
    cmocka_unit_test(etags_of_gzip_answers),
    cmocka_unit_test(accept_encoding_gzip_and_weights),
    cmocka_unit_test(accept_encoding_garbage_is_identity),
    cmocka_unit_test(compressible_content_types),
    cmocka_unit_test(ip_networks),
    cmocka_unit_test(client_addresses),
  };
  return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
