/*
 * ids.c - validators for identifiers and simple formats
 *
 * Everything here is a pure function of its arguments. Characters are
 * compared against explicit ASCII ranges rather than <ctype.h>, so the
 * result never depends on the locale and bytes >= 0x80 are always rejected.
 */
#include "domain/ids.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Printable ASCII other than space: '!'..'~'. */
static bool is_graph(char c)
{
    return c >= '!' && c <= '~';
}

/* Returns strlen(s), or max + 1 if s is longer than max; reads at most
 * max + 1 bytes. */
static size_t length_up_to(const char *s, size_t max)
{
    size_t n = 0;

    while (n <= max && s[n] != '\0')
        n++;
    return n;
}

/* True when s is exactly n digits and nothing else. */
static bool digits_exactly(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return s[n] == '\0';
}

/* Value of the n digits at s; the caller has checked they are digits. */
static int digits_value(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Sum of digit[i] * weight[i] over the first n digits of s. */
static int weighted_sum(const char *s, const int *weights, size_t n)
{
    int sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += (s[i] - '0') * weights[i];
    return sum;
}

bool ids_nip_valid(const char *s)
{
    const int weights[9] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
    int check;

    if (s == NULL || !digits_exactly(s, 10))
        return false;
    check = weighted_sum(s, weights, 9) % 11;
    /* Remainder 10 has no digit: such numbers are never issued. */
    return check != 10 && check == s[9] - '0';
}

/* REGON check digit: (weighted sum mod 11) mod 10, i.e. 10 becomes 0. */
static bool regon_check_ok(const char *s, const int *weights, size_t n)
{
    return weighted_sum(s, weights, n) % 11 % 10 == s[n] - '0';
}

bool ids_regon_valid(const char *s)
{
    const int weights9[8] = {8, 9, 2, 3, 4, 5, 6, 7};
    const int weights14[13] = {2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8};

    if (s == NULL)
        return false;
    if (digits_exactly(s, 9))
        return regon_check_ok(s, weights9, 8);
    if (digits_exactly(s, 14))
        return regon_check_ok(s, weights9, 8) &&
               regon_check_ok(s, weights14, 13);
    return false;
}

bool ids_krs_valid(const char *s)
{
    return s != NULL && digits_exactly(s, 10);
}

bool ids_date_valid(int year, int month, int day)
{
    const int month_days[12] = {31, 28, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};
    int last;

    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
        return false;
    last = month_days[month - 1];
    if (month == 2 &&
        ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        last = 29;
    return day <= last;
}

bool ids_pesel_parse(const char *s, ids_pesel_info *out)
{
    const int weights[10] = {1, 3, 7, 9, 1, 3, 7, 9, 1, 3};
    int year, month, day;

    if (s == NULL || !digits_exactly(s, 11))
        return false;
    if ((10 - weighted_sum(s, weights, 10) % 10) % 10 != s[10] - '0')
        return false;

    year = digits_value(s, 2);
    month = digits_value(s + 2, 2);
    day = digits_value(s + 4, 2);
    /* The month's tens carry the century: 80s for the 1800s, then 0, 20,
     * 40, 60 for the 1900s to the 2200s. */
    if (month >= 81 && month <= 92) {
        year += 1800;
        month -= 80;
    } else if (month >= 1 && month <= 12) {
        year += 1900;
    } else if (month >= 21 && month <= 32) {
        year += 2000;
        month -= 20;
    } else if (month >= 41 && month <= 52) {
        year += 2100;
        month -= 40;
    } else if (month >= 61 && month <= 72) {
        year += 2200;
        month -= 60;
    } else {
        return false;
    }
    if (!ids_date_valid(year, month, day))
        return false;

    if (out != NULL) {
        out->year = year;
        out->month = month;
        out->day = day;
        out->male = (s[9] - '0') % 2 == 1;
    }
    return true;
}

bool ids_parse_date(const char *s, int *year, int *month, int *day)
{
    int y, m, d;

    if (s == NULL)
        return false;
    for (size_t i = 0; i < 10; i++) {
        bool dash_here = i == 4 || i == 7;

        if (dash_here ? s[i] != '-' : !is_digit(s[i]))
            return false;
    }
    if (s[10] != '\0')
        return false;

    y = digits_value(s, 4);
    m = digits_value(s + 5, 2);
    d = digits_value(s + 8, 2);
    if (!ids_date_valid(y, m, d))
        return false;

    if (year != NULL)
        *year = y;
    if (month != NULL)
        *month = m;
    if (day != NULL)
        *day = d;
    return true;
}

bool ids_postal_code_valid(const char *s)
{
    if (s == NULL)
        return false;
    for (size_t i = 0; i < 6; i++) {
        if (i == 2 ? s[i] != '-' : !is_digit(s[i]))
            return false;
    }
    return s[6] == '\0';
}

/* Characters allowed in the local part: printable, no space, none of the
 * characters that need quoting in RFC 5322. */
static bool is_email_local_char(char c)
{
    return is_graph(c) && strchr("\"(),:;<>@[\\]", c) == NULL;
}

/* Checks the domain part: >= 2 labels of 1..63 [A-Za-z0-9-] chars, not
 * starting or ending with '-'. */
static bool email_domain_valid(const char *d)
{
    size_t label_len = 0;
    size_t labels = 1;

    for (const char *p = d;; p++) {
        if (*p == '.' || *p == '\0') {
            if (label_len == 0 || label_len > 63 || p[-1] == '-')
                return false;
            if (*p == '\0')
                break;
            labels++;
            label_len = 0;
        } else if (is_alnum(*p) || *p == '-') {
            if (label_len == 0 && *p == '-')
                return false;
            label_len++;
        } else {
            return false;
        }
    }
    return labels >= 2;
}

bool ids_email_valid(const char *s)
{
    size_t len, local_len;
    const char *at;

    if (s == NULL)
        return false;
    len = length_up_to(s, 254);
    if (len < 3 || len > 254)
        return false;

    at = strchr(s, '@');
    if (at == NULL)
        return false;
    local_len = (size_t)(at - s);
    if (local_len == 0 || local_len > 64)
        return false;
    for (size_t i = 0; i < local_len; i++)
        if (!is_email_local_char(s[i]))
            return false;
    /* A second '@' is not a domain character, so the domain check rejects
     * it. */
    return email_domain_valid(at + 1);
}

bool ids_teryt_gmina_wellformed(const char *s)
{
    int voivodeship;

    if (s == NULL || !digits_exactly(s, 7))
        return false;
    voivodeship = digits_value(s, 2);
    return voivodeship >= 2 && voivodeship <= 32 && voivodeship % 2 == 0 &&
           digits_value(s + 2, 2) != 0 &&
           digits_value(s + 4, 2) != 0 &&
           s[6] >= '1' && s[6] <= '5';
}

const char *ids_teryt_gmina_current(const char *s)
{
    /* Tułowice became an urban-rural gmina in 2018 (README, reference
     * data); records of 2010-2017 still carry the old code. */
    if (s != NULL && strcmp(s, "1609122") == 0)
        return "1609123";
    return s;
}

bool ids_code_slug_valid(const char *s, size_t min, size_t max)
{
    size_t n = 0;

    if (s == NULL)
        return false;
    for (; s[n] != '\0'; n++) {
        if (n >= max)
            return false;
        if (!(is_digit(s[n]) || (s[n] >= 'a' && s[n] <= 'z') || s[n] == '-'))
            return false;
    }
    return n >= min;
}

bool ids_phone_valid(const char *s)
{
    size_t n = 0;
    size_t digits = 0;

    if (s == NULL)
        return false;
    if (*s == '+')
        s++;
    for (; s[n] != '\0'; n++) {
        if (n >= 20)
            return false;
        if (is_digit(s[n]))
            digits++;
        else if (strchr(" -()", s[n]) == NULL)
            return false;
    }
    return n >= 7 && digits >= 7;
}

bool ids_url_valid(const char *s)
{
    const char *p;
    size_t host_len = 0;

    if (s == NULL || length_up_to(s, 2048) > 2048)
        return false;
    if (strncmp(s, "http://", 7) == 0)
        p = s + 7;
    else if (strncmp(s, "https://", 8) == 0)
        p = s + 8;
    else
        return false;

    while (is_alnum(p[host_len]) || p[host_len] == '.' || p[host_len] == '-')
        host_len++;
    if (host_len == 0)
        return false;
    p += host_len;

    if (*p == ':') {
        long port = 0;
        size_t port_len = 0;

        p++;
        while (is_digit(p[port_len]) && port_len < 5) {
            port = port * 10 + (p[port_len] - '0');
            port_len++;
        }
        if (port_len == 0 || port < 1 || port > 65535)
            return false;
        p += port_len;
    }

    if (*p == '\0')
        return true;
    if (*p != '/' && *p != '?' && *p != '#')
        return false;
    for (; *p != '\0'; p++)
        if (!is_graph(*p))
            return false;
    return true;
}

bool ids_uuid_valid(const char *s) {
  if (s == NULL) return false;
  for (int i = 0; i < 36; i++) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (c == '\0') return false;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return false;
  }
  return s[36] == '\0';
}

static bool two_digits(const char *s, int max, int *out) {
  if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return false;
  *out = (s[0] - '0') * 10 + (s[1] - '0');
  return *out <= max;
}

bool ids_timestamp_valid(const char *s) {
  char date[11];
  int hh, mm, ss, oh, om;
  if (s == NULL || strlen(s) < 20) return false;
  memcpy(date, s, 10);
  date[10] = '\0';
  if (!ids_parse_date(date, NULL, NULL, NULL)) return false;
  if ((s[10] != 'T' && s[10] != 't') || !two_digits(s + 11, 23, &hh) || s[13] != ':' ||
      !two_digits(s + 14, 59, &mm) || s[16] != ':' || !two_digits(s + 17, 60, &ss))
    return false;
  const char *p = s + 19;
  if (*p == '.') {
    int digits = 0;
    for (p++; *p >= '0' && *p <= '9'; p++) digits++;
    if (digits < 1 || digits > 6) return false;
  }
  if ((*p == 'Z' || *p == 'z') && p[1] == '\0') return true;
  if ((*p != '+' && *p != '-') || !two_digits(p + 1, 23, &oh) || p[3] != ':' || !two_digits(p + 4, 59, &om))
    return false;
  return p[6] == '\0';
}
