/*
 * Reports for the funding body: the targets, the indicators against them,
 * and the participant list as CSV. Every number is computed by PostgreSQL.
 */
#ifndef IPS_RESOURCES_REPORTS_H
#define IPS_RESOURCES_REPORTS_H

#include "http/request.h"

void reports_targets_get(struct ips_request *req);
void reports_targets_patch(struct ips_request *req);
void reports_indicators(struct ips_request *req);
void reports_participants_csv(struct ips_request *req);

#endif
