/* Users of the service (/v1/users, admin writes; admin and auditor read)
 * and GET /v1/me. */
#ifndef IPS_RESOURCES_USERS_H
#define IPS_RESOURCES_USERS_H

#include "http/request.h"
#include "resource/resource.h"

extern struct resource users_resource;

void users_me(struct ips_request *req);

/* True when s is a username: 2..64 of [a-z0-9._-], starting with a letter or digit. */
bool users_username_valid(const char *s);

#endif
