/* IP addresses and networks (CIDR), IPv4 and IPv6. Pure functions. */
#ifndef IPS_UTIL_IP_H
#define IPS_UTIL_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "ips.h"

/* Long enough for any address as text (INET6_ADDRSTRLEN). */
#define IP_TEXT_MAX 46

/* An address: AF_INET (4 bytes used) or AF_INET6 (16). */
struct ip_address {
  int family;
  unsigned char bytes[16];
};

/* A network: an address and how many leading bits count. */
struct ip_net {
  struct ip_address base;
  unsigned prefix;
};

/* Parses text[0..len) as an IPv4 or IPv6 literal (an IPv4-mapped IPv6
 * address becomes IPv4). IPS_INVALID for anything else. */
ips_status ip_address_parse(const char *text, size_t len, struct ip_address *out);

/* The address of a socket (AF_INET or AF_INET6, IPv4-mapped made IPv4);
 * IPS_INVALID for another family or NULL. */
ips_status ip_address_of_sockaddr(const struct sockaddr *sa, struct ip_address *out);

/* Writes the address as text (at most IP_TEXT_MAX bytes with the NUL). */
void ip_address_format(const struct ip_address *a, char out[IP_TEXT_MAX]);

/* Parses "ADDRESS" or "ADDRESS/PREFIX" from text[0..len); a bare address is
 * a network of that one address. IPS_INVALID when malformed. */
ips_status ip_net_parse(const char *text, size_t len, struct ip_net *out);

/* True when a lies inside net (same family, the prefix bits equal). */
bool ip_net_contains(const struct ip_net *net, const struct ip_address *a);

#endif
