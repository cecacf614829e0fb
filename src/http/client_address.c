#include "http/client_address.h"

#include <string.h>

static bool is_trusted(const struct ip_address *a, const struct ip_net *trusted, size_t ntrusted) {
  for (size_t i = 0; i < ntrusted; i++)
    if (ip_net_contains(&trusted[i], a)) return true;
  return false;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

ips_status client_address_resolve(const struct sockaddr *peer, const char *forwarded_for,
                                  const struct ip_net *trusted, size_t ntrusted,
                                  struct ip_address *out) {
  if (ip_address_of_sockaddr(peer, out) != IPS_OK) return IPS_INVALID;
  if (forwarded_for == NULL || !is_trusted(out, trusted, ntrusted)) return IPS_OK;
  /* right to left over the comma list, while the hop is a trusted proxy */
  const char *end = forwarded_for + strlen(forwarded_for);
  while (end > forwarded_for) {
    const char *start = end;
    while (start > forwarded_for && start[-1] != ',') start--;
    const char *a = start, *b = end;
    while (a < b && is_blank(*a)) a++;
    while (b > a && is_blank(b[-1])) b--;
    struct ip_address hop;
    if (ip_address_parse(a, (size_t)(b - a), &hop) != IPS_OK) break;
    *out = hop;
    if (!is_trusted(&hop, trusted, ntrusted)) break;
    end = start > forwarded_for ? start - 1 : forwarded_for;
  }
  return IPS_OK;
}
