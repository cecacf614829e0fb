/*
 * Who is calling: the bearer token of a request becomes its principal.
 * Resources never look at tokens; they read req->principal.
 */
#ifndef IPS_AUTH_AUTHN_H
#define IPS_AUTH_AUTHN_H

#include <stdbool.h>

#include "http/request.h"

/*
 * Verifies the request's bearer token (signature, claims, and that its user
 * is active and its partner exists) and fills req->principal. On failure
 * sends 401 with WWW-Authenticate (or 503 when the database is down) and
 * returns false.
 */
bool authn_authenticate(struct ips_request *req);

#endif
