/*
 * ids.h - validators for identifiers and simple formats
 *
 * Pure functions: no allocation, no global state, safe from any thread.
 * Every function returns false (or, for ids_teryt_gmina_current, NULL) for a
 * NULL input. The checksum algorithms are described in
 * shared/data/README.md ("Identifier checks").
 */
#ifndef IPS_DOMAIN_IDS_H
#define IPS_DOMAIN_IDS_H

#include <stdbool.h>
#include <stddef.h>

/* What a PESEL number says about its holder. */
typedef struct {
    int year, month, day; /* date of birth */
    bool male;            /* digit 10 odd */
} ids_pesel_info;

/*
 * Checks a NIP (tax id): exactly 10 digits, no dashes or spaces, weighted
 * checksum mod 11 equal to the last digit (a remainder of 10 is never valid).
 * Returns true when valid.
 */
bool ids_nip_valid(const char *s);

/*
 * Checks a REGON: 9 digits, or 14 digits whose first nine are a valid
 * REGON-9, each with its check digit ((weighted sum mod 11) mod 10).
 * Returns true when valid.
 */
bool ids_regon_valid(const char *s);

/*
 * Checks a KRS number: exactly 10 digits (zero-padded, no check digit).
 * Returns true when well-formed.
 */
bool ids_krs_valid(const char *s);

/*
 * Parses a PESEL: 11 digits, valid check digit, digits 1-6 a real date whose
 * month carries the century (1800-2299). On success fills *out (when out is
 * not NULL) and returns true; on any failure returns false and leaves *out
 * untouched.
 */
bool ids_pesel_parse(const char *s, ids_pesel_info *out);

/*
 * Returns true when year-month-day is a real Gregorian calendar date with
 * year in 1..9999.
 */
bool ids_date_valid(int year, int month, int day);

/*
 * Parses a strict "YYYY-MM-DD" date (exactly 10 characters) that must be a
 * real date (see ids_date_valid). On success stores the parts through the
 * non-NULL pointers among year, month, day and returns true; on failure
 * returns false and stores nothing.
 */
bool ids_parse_date(const char *s, int *year, int *month, int *day);

/* Returns true when s is a Polish postal code, "NN-NNN". */
bool ids_postal_code_valid(const char *s);

/*
 * Pragmatic e-mail check (not full RFC 5322): 3..254 ASCII characters, one
 * '@', a local part of 1..64 printable characters without spaces or
 * "(),:;<>@[\], and a domain of at least two dot-separated labels, each
 * 1..63 of [A-Za-z0-9-] not starting or ending with '-'.
 * Returns true when acceptable.
 */
bool ids_email_valid(const char *s);

/*
 * Checks the form of a 7-digit TERYT gmina code WWPPGGR: WW an even
 * voivodeship code 02..32, PP and GG not 00, R (kind) 1..5. Says nothing
 * about whether the gmina exists. Returns true when well-formed.
 */
bool ids_teryt_gmina_wellformed(const char *s);

/*
 * Maps a superseded TERYT gmina code to the current one: "1609122"
 * (Tułowice before 2018) gives the static string "1609123"; any other input
 * is returned as is (borrowed from the caller; NULL gives NULL). Does not
 * check well-formedness: call ids_teryt_gmina_wellformed for that.
 * This function can't fail.
 */
const char *ids_teryt_gmina_current(const char *s);

/*
 * Returns true when s is a slug of [a-z0-9-] whose length is in min..max
 * (inclusive).
 */
bool ids_code_slug_valid(const char *s, size_t min, size_t max);

/* A UUID in its canonical text form: 8-4-4-4-12 hexadecimal digits (either
 * case). Returns false for NULL. */
bool ids_uuid_valid(const char *s);

/* An RFC 3339 timestamp: YYYY-MM-DDTHH:MM:SS, optional fraction (1-6
 * digits), then Z or +HH:MM / -HH:MM; a real date and time. False for NULL. */
bool ids_timestamp_valid(const char *s);

/*
 * Checks a phone number: an optional leading '+', then 7..20 characters of
 * digits, spaces, '-', '(' and ')', at least 7 of them digits.
 * Returns true when acceptable.
 */
bool ids_phone_valid(const char *s);

/*
 * Checks an http(s) URL: "http://" or "https://" (lower case), a non-empty
 * host of [A-Za-z0-9.-], an optional ":port" (1..65535), then optionally a
 * rest beginning with '/', '?' or '#' of printable ASCII without spaces;
 * at most 2048 characters in all. Returns true when acceptable.
 */
bool ids_url_valid(const char *s);

#endif /* IPS_DOMAIN_IDS_H */
