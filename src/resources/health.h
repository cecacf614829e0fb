/* GET /healthz (the process answers) and GET /readyz (the database is
 * reachable and its schema is the one this binary needs). */
#ifndef IPS_RESOURCES_HEALTH_H
#define IPS_RESOURCES_HEALTH_H

#include "http/request.h"

void health_live(struct ips_request *req);
void health_ready(struct ips_request *req);

#endif
