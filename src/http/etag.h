/*
 * Entity tags are the record's version in quotes: ETag: "3". A gzip-coded
 * answer is another representation of the same version, so its strong tag
 * differs (RFC 9110 §8.8.3): "3-gzip". An embedded file's tag is a hash of
 * its bytes, coded the same way. Pure code.
 */
#ifndef IPS_HTTP_ETAG_H
#define IPS_HTTP_ETAG_H

#include <stdbool.h>
#include <stddef.h>

/* Room for any tag this service makes, the gzip form of the longest included. */
#define ETAG_MAX 64

/* Writes "<version>" (quotes included) into out. */
void etag_format(long long version, char out[24]);

/*
 * Writes the gzip form of etag ("3" -> "3-gzip", W/"3" -> W/"3-gzip") into
 * out. False, and out untouched, when etag is not a quoted tag or has no
 * room there.
 */
bool etag_gzip_form(const char *etag, char out[ETAG_MAX]);

/*
 * True when header ("*" or a comma list of entity tags) names version, in
 * either form ("3" or "3-gzip": the same version of the record).
 * If-None-Match compares weakly (W/"3" matches); If-Match strongly
 * (RFC 9110 §13.1.1: a weak tag never matches), so pass weak_ok false.
 */
bool etag_list_matches(const char *header, long long version, bool weak_ok);
/* The same for any entity tag want, quotes included ("abc"; an embedded
 * file's is a hash of its bytes, docs/embedded.h), in either form too. */
bool etag_list_matches_tag(const char *header, const char *want, bool weak_ok);

/* True when the comma list header names exactly tag (quoted, without W/;
 * "*" does not count), weakly: a W/ in the list is ignored. */
bool etag_list_names(const char *header, const char *tag);

#endif
