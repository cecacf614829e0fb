#include "util/ip.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

static const unsigned char V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 client itself. */
static void unmap_v4(struct ip_address *a) {
  if (a->family != AF_INET6 || memcmp(a->bytes, V4_MAPPED, sizeof V4_MAPPED) != 0) return;
  memmove(a->bytes, a->bytes + 12, 4);
  memset(a->bytes + 4, 0, 12);
  a->family = AF_INET;
}

ips_status ip_address_parse(const char *text, size_t len, struct ip_address *out) {
  char buf[IP_TEXT_MAX];
  if (text == NULL || len == 0 || len >= sizeof buf) return IPS_INVALID;
  memcpy(buf, text, len);
  buf[len] = '\0';
  memset(out, 0, sizeof *out);
  if (inet_pton(AF_INET, buf, out->bytes) == 1) {
    out->family = AF_INET;
    return IPS_OK;
  }
  if (inet_pton(AF_INET6, buf, out->bytes) == 1) {
    out->family = AF_INET6;
    unmap_v4(out);
    return IPS_OK;
  }
  return IPS_INVALID;
}

ips_status ip_address_of_sockaddr(const struct sockaddr *sa, struct ip_address *out) {
  memset(out, 0, sizeof *out);
  if (sa == NULL) return IPS_INVALID;
  if (sa->sa_family == AF_INET) {
    out->family = AF_INET;
    memcpy(out->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    return IPS_OK;
  }
  if (sa->sa_family == AF_INET6) {
    out->family = AF_INET6;
    memcpy(out->bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    unmap_v4(out);
    return IPS_OK;
  }
  return IPS_INVALID;
}

void ip_address_format(const struct ip_address *a, char out[IP_TEXT_MAX]) {
  if (inet_ntop(a->family, a->bytes, out, IP_TEXT_MAX) == NULL) out[0] = '\0';
}

ips_status ip_net_parse(const char *text, size_t len, struct ip_net *out) {
  const char *slash = memchr(text, '/', len);
  size_t addr_len = slash ? (size_t)(slash - text) : len;
  if (ip_address_parse(text, addr_len, &out->base) != IPS_OK) return IPS_INVALID;
  unsigned max = out->base.family == AF_INET ? 32 : 128;
  out->prefix = max;
  if (slash == NULL) return IPS_OK;
  char digits[4];
  size_t n = len - addr_len - 1;
  if (n == 0 || n >= sizeof digits) return IPS_INVALID;
  memcpy(digits, slash + 1, n);
  digits[n] = '\0';
  unsigned long prefix;
  if (config_parse_uint(digits, 0, max, &prefix) != IPS_OK) return IPS_INVALID;
  out->prefix = (unsigned)prefix;
  return IPS_OK;
}

bool ip_net_contains(const struct ip_net *net, const struct ip_address *a) {
  if (net->base.family != a->family) return false;
  unsigned whole = net->prefix / 8, rest = net->prefix % 8;
  if (memcmp(net->base.bytes, a->bytes, whole) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = (unsigned char)(0xff << (8 - rest));
  return (net->base.bytes[whole] & mask) == (a->bytes[whole] & mask);
}
