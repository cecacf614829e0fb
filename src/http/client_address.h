/*
 * Who the client of a request is, for rate limits and logs. Behind a reverse
 * proxy the socket's peer is the proxy; the proxy names the client in
 * X-Forwarded-For. That header is believed only when the peer is one of the
 * configured trusted proxies (IPS_TRUSTED_PROXIES): anyone else could write
 * any address into it.
 */
#ifndef IPS_HTTP_CLIENT_ADDRESS_H
#define IPS_HTTP_CLIENT_ADDRESS_H

#include <stddef.h>
#include <sys/socket.h>

#include "ips.h"
#include "util/ip.h"

/*
 * The client: the socket's peer, unless the peer is a trusted proxy and
 * forwarded_for (X-Forwarded-For, may be NULL) is given; then the right-most
 * address of forwarded_for that is not a trusted proxy (each proxy appends
 * the peer it saw, so entries left of the first untrusted one are the
 * client's own say-so). When every entry is trusted, the left-most; an entry
 * that is not an address stops the walk at the hop that wrote it.
 * IPS_INVALID when the peer has no IP address. Pure.
 */
ips_status client_address_resolve(const struct sockaddr *peer, const char *forwarded_for,
                                  const struct ip_net *trusted, size_t ntrusted,
                                  struct ip_address *out);

#endif
