/* Members of the local partnership: local government, businesses, ES
 * entities, labour-market and social institutions, NGOs, and the project
 * partners themselves. */
#ifndef IPS_RESOURCES_PARTNERSHIP_MEMBERS_H
#define IPS_RESOURCES_PARTNERSHIP_MEMBERS_H

#include "resource/resource.h"

extern struct resource partnership_members_resource;

#endif
