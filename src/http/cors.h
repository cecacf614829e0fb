/*
 * CORS for the staff web frontend, served from another origin. Origins come
 * from IPS_CORS_ORIGINS (never "*"); there are no cookies, so credentials
 * are never allowed.
 */
#ifndef IPS_HTTP_CORS_H
#define IPS_HTTP_CORS_H

#include <stdbool.h>

#include "http/request.h"
#include "http/router.h"

/*
 * Adds the CORS headers for an allowed Origin. Returns true when the request
 * was a preflight for a known path and has been answered (204, or 403 for an
 * origin that is not allowed); the token is never asked for.
 */
bool cors_apply(struct ips_request *req, const struct route_match *m);

#endif
