/* GET /v1/audit (admin, auditor): every change and sign-in, newest first. */
#ifndef IPS_RESOURCES_AUDIT_H
#define IPS_RESOURCES_AUDIT_H

#include "http/request.h"

void audit_list(struct ips_request *req);

#endif
