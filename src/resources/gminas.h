/* The gminas dictionary: GET /v1/gminas and GET /v1/gminas/{teryt}. */
#ifndef IPS_RESOURCES_GMINAS_H
#define IPS_RESOURCES_GMINAS_H

#include "http/request.h"

void gminas_list(struct ips_request *req);
void gminas_get(struct ips_request *req);

#endif
