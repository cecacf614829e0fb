/* Entity tags are the record's version in quotes: ETag: "3". Pure code. */
#ifndef IPS_HTTP_ETAG_H
#define IPS_HTTP_ETAG_H

#include <stdbool.h>

/* Writes "<version>" (quotes included) into out. */
void etag_format(long long version, char out[24]);

/*
 * True when header (an If-None-Match or If-Match value: "*" or a comma list
 * of entity tags, weak ones allowed) names version.
 */
bool etag_list_matches(const char *header, long long version);

#endif
