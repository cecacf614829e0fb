/* The gminas dictionary: GET /v1/gminas, GET and PATCH /v1/gminas/{teryt}. */
#ifndef IPS_RESOURCES_GMINAS_H
#define IPS_RESOURCES_GMINAS_H

#include "http/request.h"

void gminas_list(struct ips_request *req);
void gminas_get(struct ips_request *req);
/* PATCH /v1/gminas/{teryt}: an admin sets high_poverty (If-Match, audited). */
void gminas_patch(struct ips_request *req);

#endif
