/* GET /v1/changes?after=SEQ&limit=N&wait=SECONDS: the change feed for sync. */
#ifndef IPS_RESOURCES_CHANGES_H
#define IPS_RESOURCES_CHANGES_H

#include "http/request.h"

#define CHANGES_MAX_WAIT_S 30

void changes_list(struct ips_request *req);

#endif
