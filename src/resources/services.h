/* The catalogue of support: admin writes, everyone reads. */
#ifndef IPS_RESOURCES_SERVICES_H
#define IPS_RESOURCES_SERVICES_H

#include "resource/resource.h"

extern struct resource services_resource;
extern const char *const SERVICE_KINDS[];

#endif
