/* Entity tags are the record's version in quotes: ETag: "3"; an embedded
 * file's is a hash of its bytes (docs/embedded.h). Pure code. */
#ifndef IPS_HTTP_ETAG_H
#define IPS_HTTP_ETAG_H

#include <stdbool.h>

/* Writes "<version>" (quotes included) into out. */
void etag_format(long long version, char out[24]);

/*
 * True when header ("*" or a comma list of entity tags) names version.
 * If-None-Match compares weakly (W/"3" matches); If-Match strongly
 * (RFC 9110 §13.1.1: a weak tag never matches), so pass weak_ok false.
 */
bool etag_list_matches(const char *header, long long version, bool weak_ok);
/* The same for any entity tag want, quotes included ("abc"). */
bool etag_list_matches_tag(const char *header, const char *want, bool weak_ok);

#endif
