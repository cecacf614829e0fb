/* GET /problems and GET /problems/{slug}: the documentation of every kind
 * of problem this service sends, as HTML made from the problem table. */
#ifndef IPS_RESOURCES_PROBLEMS_H
#define IPS_RESOURCES_PROBLEMS_H

#include "http/request.h"

void problems_index(struct ips_request *req);
void problems_page(struct ips_request *req);

#endif
