/*
 * test_ids.c - unit tests for the identifier and format validators
 *
 * Every checksum vector below was computed with an independent script from
 * the algorithms in shared/data/README.md and checked against it; the
 * derivation is noted next to the vector.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "domain/ids.h"

/* ---- NIP ---------------------------------------------------------------- */

static void nip_accepts_valid_numbers(void **state)
{
    (void)state;
    assert_true(ids_nip_valid("8567346215")); /* README example */
    assert_true(ids_nip_valid("1234563218")); /* sum 118, 118 % 11 = 8 */
    assert_true(ids_nip_valid("5260000005")); /* sum 82, 82 % 11 = 5 */
}

static void nip_rejects_wrong_check_digit(void **state)
{
    (void)state;
    assert_false(ids_nip_valid("8567346216"));
    assert_false(ids_nip_valid("8567346214"));
    assert_false(ids_nip_valid("1234563210"));
}

static void nip_rejects_remainder_ten_whatever_the_last_digit(void **state)
{
    /* 123456789: weighted sum 230, 230 % 11 = 10, so no tenth digit fits. */
    char nip[] = "1234567890";

    (void)state;
    for (char d = '0'; d <= '9'; d++) {
        nip[9] = d;
        assert_false(ids_nip_valid(nip));
    }
}

static void nip_rejects_separators_and_prefixes(void **state)
{
    (void)state;
    assert_false(ids_nip_valid("856-734-62-15"));
    assert_false(ids_nip_valid("856-73-46-215"));
    assert_false(ids_nip_valid("856 734 62 15"));
    assert_false(ids_nip_valid("PL8567346215"));
    assert_false(ids_nip_valid(" 8567346215"));
    assert_false(ids_nip_valid("8567346215 "));
}

static void nip_rejects_wrong_length_and_non_digits(void **state)
{
    (void)state;
    assert_false(ids_nip_valid(""));
    assert_false(ids_nip_valid("856734621"));
    assert_false(ids_nip_valid("85673462150"));
    assert_false(ids_nip_valid("856734621a"));
    assert_false(ids_nip_valid("85673462\xc5\x82"));
}

static void nip_rejects_null(void **state)
{
    (void)state;
    assert_false(ids_nip_valid(NULL));
}

/* ---- REGON -------------------------------------------------------------- */

static void regon9_accepts_valid_numbers(void **state)
{
    (void)state;
    assert_true(ids_regon_valid("123456785")); /* sum 192, 192 % 11 = 5 */
}

static void regon9_maps_remainder_ten_to_zero(void **state)
{
    (void)state;
    /* 10000005: weighted sum 43, 43 % 11 = 10, check digit 0. */
    assert_true(ids_regon_valid("100000050"));
    assert_false(ids_regon_valid("100000051"));
}

static void regon9_rejects_wrong_check_digit(void **state)
{
    (void)state;
    assert_false(ids_regon_valid("123456786"));
    assert_false(ids_regon_valid("123456784"));
}

static void regon14_accepts_valid_numbers_built_on_regon9(void **state)
{
    (void)state;
    /* 123456785 + 1234, check 7 (weighted sum 260, 260 % 11 = 7). */
    assert_true(ids_regon_valid("12345678512347"));
    /* 123456785 + 0001, weighted sum 219, 219 % 11 = 10, check 0. */
    assert_true(ids_regon_valid("12345678500010"));
}

static void regon14_rejects_wrong_check_digit(void **state)
{
    (void)state;
    assert_false(ids_regon_valid("12345678512348"));
    assert_false(ids_regon_valid("12345678500011"));
}

static void regon14_rejects_invalid_first_nine_digits(void **state)
{
    (void)state;
    /* Its own 14-digit check digit is right, but 123456786 is no REGON-9. */
    assert_false(ids_regon_valid("12345678612342"));
}

static void regon_rejects_other_lengths_and_non_digits(void **state)
{
    (void)state;
    assert_false(ids_regon_valid(""));
    assert_false(ids_regon_valid("12345678"));
    assert_false(ids_regon_valid("1234567850"));
    assert_false(ids_regon_valid("1234567851234"));
    assert_false(ids_regon_valid("123456785123470"));
    assert_false(ids_regon_valid("12345678a"));
    assert_false(ids_regon_valid("123-456-785"));
    assert_false(ids_regon_valid("1234567851234a"));
    assert_false(ids_regon_valid(NULL));
}

/* ---- KRS ---------------------------------------------------------------- */

static void krs_accepts_ten_digits(void **state)
{
    (void)state;
    assert_true(ids_krs_valid("0000123456"));
    assert_true(ids_krs_valid("0000000001"));
    assert_true(ids_krs_valid("9999999999"));
}

static void krs_rejects_unpadded_long_and_non_digit(void **state)
{
    (void)state;
    assert_false(ids_krs_valid(""));
    assert_false(ids_krs_valid("123456"));
    assert_false(ids_krs_valid("000012345"));
    assert_false(ids_krs_valid("00001234567"));
    assert_false(ids_krs_valid("000012345a"));
    assert_false(ids_krs_valid("0000 12345"));
    assert_false(ids_krs_valid("KRS0000123"));
    assert_false(ids_krs_valid(NULL));
}

/* ---- PESEL -------------------------------------------------------------- */

/* Parses s, which must be valid, and checks every field. */
static void assert_pesel(const char *s, int year, int month, int day,
                         bool male)
{
    ids_pesel_info info = {0, 0, 0, false};

    assert_true(ids_pesel_parse(s, &info));
    assert_int_equal(info.year, year);
    assert_int_equal(info.month, month);
    assert_int_equal(info.day, day);
    assert_int_equal(info.male, male);
}

static void pesel_parses_1800s_with_month_plus_80(void **state)
{
    (void)state;
    assert_pesel("50810112354", 1850, 1, 1, true);
    assert_pesel("00810100095", 1800, 1, 1, true);
}

static void pesel_parses_1900s_with_plain_month(void **state)
{
    (void)state;
    assert_pesel("44051401359", 1944, 5, 14, true);  /* published example */
    assert_pesel("02070803628", 1902, 7, 8, false);  /* published example */
    assert_pesel("90051545687", 1990, 5, 15, false);
    assert_pesel("99123111137", 1999, 12, 31, true);
    assert_pesel("00030177763", 1900, 3, 1, false);
}

static void pesel_parses_2000s_with_month_plus_20(void **state)
{
    (void)state;
    assert_pesel("24222924616", 2024, 2, 29, true);
}

static void pesel_parses_2100s_with_month_plus_40(void **state)
{
    (void)state;
    assert_pesel("01523198713", 2101, 12, 31, true);
}

static void pesel_parses_2200s_with_month_plus_60(void **state)
{
    (void)state;
    assert_pesel("99663000005", 2299, 6, 30, false);
    assert_pesel("99723155520", 2299, 12, 31, false);
}

static void pesel_accepts_29_february_2000(void **state)
{
    (void)state;
    assert_pesel("00222901246", 2000, 2, 29, false);
}

static void pesel_rejects_29_february_1900(void **state)
{
    (void)state;
    /* Right check digit; 1900 is not a leap year. */
    assert_false(ids_pesel_parse("00022912343", NULL));
}

static void pesel_rejects_29_february_2100(void **state)
{
    (void)state;
    assert_false(ids_pesel_parse("00422912345", NULL));
}

static void pesel_rejects_30_february(void **state)
{
    (void)state;
    assert_false(ids_pesel_parse("04223012343", NULL)); /* 2004-02-30 */
}

static void pesel_rejects_31_april(void **state)
{
    (void)state;
    assert_false(ids_pesel_parse("90043112349", NULL));
}

static void pesel_rejects_months_outside_every_century(void **state)
{
    (void)state;
    /* All with a right check digit. */
    assert_false(ids_pesel_parse("90000112348", NULL)); /* month 00 */
    assert_false(ids_pesel_parse("90130112344", NULL)); /* month 13 */
    assert_false(ids_pesel_parse("90930112348", NULL)); /* month 93 */
}

static void pesel_rejects_day_zero(void **state)
{
    (void)state;
    assert_false(ids_pesel_parse("90050012346", NULL));
}

static void pesel_rejects_bad_checksum(void **state)
{
    (void)state;
    assert_false(ids_pesel_parse("44051401358", NULL));
    assert_false(ids_pesel_parse("44051401350", NULL));
    assert_false(ids_pesel_parse("00222901247", NULL));
}

static void pesel_rejects_wrong_length(void **state)
{
    (void)state;
    assert_false(ids_pesel_parse("", NULL));
    assert_false(ids_pesel_parse("4405140135", NULL));
    assert_false(ids_pesel_parse("440514013590", NULL));
}

static void pesel_rejects_non_digits(void **state)
{
    (void)state;
    assert_false(ids_pesel_parse("4405140135a", NULL));
    assert_false(ids_pesel_parse("44-05-14-01", NULL));
    assert_false(ids_pesel_parse(" 44051401359", NULL));
    assert_false(ids_pesel_parse(NULL, NULL));
}

static void pesel_tells_male_from_female_by_tenth_digit(void **state)
{
    ids_pesel_info info = {0, 0, 0, true};

    (void)state;
    /* Same date and serial, tenth digit 8 then 7. */
    assert_true(ids_pesel_parse("90051545687", &info));
    assert_false(info.male);
    assert_true(ids_pesel_parse("90051545670", &info));
    assert_true(info.male);
}

static void pesel_accepts_null_out(void **state)
{
    (void)state;
    assert_true(ids_pesel_parse("44051401359", NULL));
}

static void pesel_leaves_out_untouched_on_failure(void **state)
{
    ids_pesel_info info = {1, 2, 3, true};

    (void)state;
    assert_false(ids_pesel_parse("00022912343", &info));
    assert_int_equal(info.year, 1);
    assert_int_equal(info.month, 2);
    assert_int_equal(info.day, 3);
    assert_true(info.male);
}

/* ---- dates -------------------------------------------------------------- */

static void date_valid_accepts_real_dates(void **state)
{
    (void)state;
    assert_true(ids_date_valid(2024, 2, 29));
    assert_true(ids_date_valid(2000, 2, 29));
    assert_true(ids_date_valid(2023, 2, 28));
    assert_true(ids_date_valid(2023, 4, 30));
    assert_true(ids_date_valid(2023, 12, 31));
    assert_true(ids_date_valid(1, 1, 1));
    assert_true(ids_date_valid(9999, 12, 31));
}

static void date_valid_applies_gregorian_leap_rules(void **state)
{
    (void)state;
    assert_false(ids_date_valid(1900, 2, 29));
    assert_false(ids_date_valid(2100, 2, 29));
    assert_false(ids_date_valid(2023, 2, 29));
    assert_true(ids_date_valid(1600, 2, 29));
    assert_true(ids_date_valid(1996, 2, 29));
}

static void date_valid_rejects_impossible_parts(void **state)
{
    (void)state;
    assert_false(ids_date_valid(0, 1, 1));
    assert_false(ids_date_valid(10000, 1, 1));
    assert_false(ids_date_valid(-1, 1, 1));
    assert_false(ids_date_valid(2024, 0, 1));
    assert_false(ids_date_valid(2024, 13, 1));
    assert_false(ids_date_valid(2024, -1, 1));
    assert_false(ids_date_valid(2024, 1, 0));
    assert_false(ids_date_valid(2024, 1, 32));
    assert_false(ids_date_valid(2024, 4, 31));
    assert_false(ids_date_valid(2024, 2, 30));
    assert_false(ids_date_valid(2024, 1, -5));
}

static void parse_date_reads_strict_iso_date(void **state)
{
    int y = 0, m = 0, d = 0;

    (void)state;
    assert_true(ids_parse_date("2024-02-29", &y, &m, &d));
    assert_int_equal(y, 2024);
    assert_int_equal(m, 2);
    assert_int_equal(d, 29);
    assert_true(ids_parse_date("0001-01-01", &y, &m, &d));
    assert_int_equal(y, 1);
    assert_true(ids_parse_date("9999-12-31", NULL, NULL, NULL));
}

static void parse_date_rejects_unreal_dates(void **state)
{
    (void)state;
    assert_false(ids_parse_date("2023-02-29", NULL, NULL, NULL));
    assert_false(ids_parse_date("1900-02-29", NULL, NULL, NULL));
    assert_false(ids_parse_date("2024-02-30", NULL, NULL, NULL));
    assert_false(ids_parse_date("2024-13-01", NULL, NULL, NULL));
    assert_false(ids_parse_date("2024-00-10", NULL, NULL, NULL));
    assert_false(ids_parse_date("2024-01-00", NULL, NULL, NULL));
    assert_false(ids_parse_date("0000-01-01", NULL, NULL, NULL));
}

static void parse_date_rejects_other_shapes(void **state)
{
    (void)state;
    assert_false(ids_parse_date("", NULL, NULL, NULL));
    assert_false(ids_parse_date("2024-2-29", NULL, NULL, NULL));
    assert_false(ids_parse_date("2024-02-9", NULL, NULL, NULL));
    assert_false(ids_parse_date("24-02-29", NULL, NULL, NULL));
    assert_false(ids_parse_date("2024/02/29", NULL, NULL, NULL));
    assert_false(ids_parse_date("20240229", NULL, NULL, NULL));
    assert_false(ids_parse_date("2024-02-29T00:00:00Z", NULL, NULL, NULL));
    assert_false(ids_parse_date(" 2024-02-29", NULL, NULL, NULL));
    assert_false(ids_parse_date("2024-02-29 ", NULL, NULL, NULL));
    assert_false(ids_parse_date("+024-02-29", NULL, NULL, NULL));
    assert_false(ids_parse_date("2024-+2-29", NULL, NULL, NULL));
    assert_false(ids_parse_date("12024-02-29", NULL, NULL, NULL));
    assert_false(ids_parse_date(NULL, NULL, NULL, NULL));
}

static void parse_date_stores_nothing_on_failure(void **state)
{
    int y = 7, m = 8, d = 9;

    (void)state;
    assert_false(ids_parse_date("2023-02-29", &y, &m, &d));
    assert_int_equal(y, 7);
    assert_int_equal(m, 8);
    assert_int_equal(d, 9);
}

/* ---- postal code -------------------------------------------------------- */

static void postal_code_accepts_nn_nnn(void **state)
{
    (void)state;
    assert_true(ids_postal_code_valid("45-001"));
    assert_true(ids_postal_code_valid("46-220"));
    assert_true(ids_postal_code_valid("00-000"));
}

static void postal_code_rejects_other_shapes(void **state)
{
    (void)state;
    assert_false(ids_postal_code_valid(""));
    assert_false(ids_postal_code_valid("45001"));
    assert_false(ids_postal_code_valid("45-0011"));
    assert_false(ids_postal_code_valid("4-50011"));
    assert_false(ids_postal_code_valid("45 001"));
    assert_false(ids_postal_code_valid("45-00a"));
    assert_false(ids_postal_code_valid("ab-cde"));
    assert_false(ids_postal_code_valid("45\xe2\x80\x93" "001")); /* en dash */
    assert_false(ids_postal_code_valid(" 45-001"));
    assert_false(ids_postal_code_valid(NULL));
}

/* ---- e-mail ------------------------------------------------------------- */

static void email_accepts_ordinary_addresses(void **state)
{
    (void)state;
    assert_true(ids_email_valid("jan.kowalski@example.pl"));
    assert_true(ids_email_valid("biuro@ips.opole.pl"));
    assert_true(ids_email_valid("user+tag@sub-domain.example.com"));
    assert_true(ids_email_valid("o'brien_1@example.ie"));
    assert_true(ids_email_valid("a@b.c"));
    assert_true(ids_email_valid("x@123.45"));
}

static void email_rejects_missing_or_repeated_at(void **state)
{
    (void)state;
    assert_false(ids_email_valid("jan.kowalski.example.pl"));
    assert_false(ids_email_valid("jan@kowalski@example.pl"));
    assert_false(ids_email_valid("@example.pl"));
    assert_false(ids_email_valid("jan@"));
}

static void email_rejects_domain_without_dot_or_with_empty_label(void **state)
{
    (void)state;
    assert_false(ids_email_valid("jan@localhost"));
    assert_false(ids_email_valid("jan@.example.pl"));
    assert_false(ids_email_valid("jan@example.pl."));
    assert_false(ids_email_valid("jan@example..pl"));
    assert_false(ids_email_valid("jan@."));
}

static void email_rejects_labels_with_hyphen_at_edges(void **state)
{
    (void)state;
    assert_false(ids_email_valid("jan@-example.pl"));
    assert_false(ids_email_valid("jan@example-.pl"));
    assert_false(ids_email_valid("jan@example.-pl"));
    assert_false(ids_email_valid("jan@example.pl-"));
    assert_true(ids_email_valid("jan@ex-am-ple.pl"));
}

static void email_rejects_bad_domain_characters(void **state)
{
    (void)state;
    assert_false(ids_email_valid("jan@ex_ample.pl"));
    assert_false(ids_email_valid("jan@example.pl "));
    assert_false(ids_email_valid("jan@[127.0.0.1]"));
    assert_false(ids_email_valid("jan@przyk\xc5\x82" "ad.pl"));
}

static void email_rejects_special_characters_in_local_part(void **state)
{
    const char *bad[] = {
        "ja n@example.pl",  "\"jan\"@example.pl", "ja(n@example.pl",
        "ja)n@example.pl",  "ja,n@example.pl",    "ja:n@example.pl",
        "ja;n@example.pl",  "ja<n@example.pl",    "ja>n@example.pl",
        "ja[n@example.pl",  "ja\\n@example.pl",   "ja]n@example.pl",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(ids_email_valid(bad[i]));
}

static void email_rejects_control_and_non_ascii_characters(void **state)
{
    (void)state;
    assert_false(ids_email_valid("ja\tn@example.pl"));
    assert_false(ids_email_valid("jan\r\n@example.pl"));
    assert_false(ids_email_valid("ja\x7fn@example.pl"));
    assert_false(ids_email_valid("za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87@example.pl"));
}

static void email_enforces_length_limits(void **state)
{
    char buf[300];

    (void)state;
    assert_false(ids_email_valid(""));
    assert_false(ids_email_valid("@a"));

    /* Local part: 64 characters pass, 65 do not. */
    memset(buf, 'a', 64);
    strcpy(buf + 64, "@example.pl");
    assert_true(ids_email_valid(buf));
    memset(buf, 'a', 65);
    strcpy(buf + 65, "@example.pl");
    assert_false(ids_email_valid(buf));

    /* Domain label: 63 characters pass, 64 do not. */
    buf[0] = 'a';
    buf[1] = '@';
    memset(buf + 2, 'b', 63);
    strcpy(buf + 65, ".pl");
    assert_true(ids_email_valid(buf));
    memset(buf + 2, 'b', 64);
    strcpy(buf + 66, ".pl");
    assert_false(ids_email_valid(buf));

    /* Whole address: 64 + 1 + (63 + 1 + 63 + 1 + 61) = 254 passes,
     * one more character does not. */
    memset(buf, 'a', 64);
    buf[64] = '@';
    memset(buf + 65, 'b', 63);
    buf[128] = '.';
    memset(buf + 129, 'c', 63);
    buf[192] = '.';
    memset(buf + 193, 'd', 61);
    buf[254] = '\0';
    assert_int_equal(strlen(buf), 254);
    assert_true(ids_email_valid(buf));
    buf[254] = 'd';
    buf[255] = '\0';
    assert_false(ids_email_valid(buf));
}

static void email_rejects_null(void **state)
{
    (void)state;
    assert_false(ids_email_valid(NULL));
}

/* ---- TERYT -------------------------------------------------------------- */

static void teryt_accepts_every_opolskie_gmina(void **state)
{
    /* shared/data/teryt-opolskie-gminas.csv, all 71 codes. */
    const char *codes[] = {
        "1601011", "1601022", "1601033", "1601043", "1601052", "1601062",
        "1602013", "1602022", "1602033", "1602043", "1603011", "1603022",
        "1603032", "1603042", "1603052", "1603062", "1604013", "1604023",
        "1604032", "1604043", "1605013", "1605023", "1605032", "1605042",
        "1605053", "1606012", "1606023", "1606032", "1606042", "1606052",
        "1607013", "1607022", "1607033", "1607042", "1607053", "1607063",
        "1607073", "1607082", "1607092", "1608013", "1608023", "1608033",
        "1608043", "1608052", "1608062", "1608072", "1609012", "1609022",
        "1609032", "1609042", "1609052", "1609062", "1609073", "1609083",
        "1609092", "1609103", "1609112", "1609123", "1609132", "1610013",
        "1610023", "1610032", "1610043", "1611012", "1611022", "1611033",
        "1611043", "1611053", "1611063", "1611073", "1661011",
    };

    (void)state;
    assert_int_equal(sizeof codes / sizeof codes[0], 71);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        assert_true(ids_teryt_gmina_wellformed(codes[i]));
}

static void teryt_accepts_gminas_outside_the_region(void **state)
{
    (void)state;
    assert_true(ids_teryt_gmina_wellformed("2463011")); /* Chorzów */
    assert_true(ids_teryt_gmina_wellformed("1465011")); /* Warszawa */
    assert_true(ids_teryt_gmina_wellformed("0201011")); /* lowest voivodeship */
    assert_true(ids_teryt_gmina_wellformed("3201011")); /* highest */
    assert_true(ids_teryt_gmina_wellformed("1609122")); /* old Tułowice */
}

static void teryt_accepts_kinds_one_to_five_only(void **state)
{
    char code[] = "1601010";

    (void)state;
    for (char kind = '0'; kind <= '9'; kind++) {
        code[6] = kind;
        if (kind >= '1' && kind <= '5')
            assert_true(ids_teryt_gmina_wellformed(code));
        else
            assert_false(ids_teryt_gmina_wellformed(code));
    }
}

static void teryt_rejects_unknown_voivodeship_codes(void **state)
{
    (void)state;
    assert_false(ids_teryt_gmina_wellformed("0001011"));
    assert_false(ids_teryt_gmina_wellformed("0101011"));
    assert_false(ids_teryt_gmina_wellformed("1501011"));
    assert_false(ids_teryt_gmina_wellformed("3301011"));
    assert_false(ids_teryt_gmina_wellformed("3401011"));
    assert_false(ids_teryt_gmina_wellformed("9901011"));
}

static void teryt_rejects_zero_powiat_or_gmina(void **state)
{
    (void)state;
    assert_false(ids_teryt_gmina_wellformed("1600011"));
    assert_false(ids_teryt_gmina_wellformed("1601001"));
}

static void teryt_rejects_wrong_length_and_non_digits(void **state)
{
    (void)state;
    assert_false(ids_teryt_gmina_wellformed(""));
    assert_false(ids_teryt_gmina_wellformed("1601"));
    assert_false(ids_teryt_gmina_wellformed("160101"));
    assert_false(ids_teryt_gmina_wellformed("16010111"));
    assert_false(ids_teryt_gmina_wellformed("160101a"));
    assert_false(ids_teryt_gmina_wellformed("16 01 01 1"));
    assert_false(ids_teryt_gmina_wellformed(NULL));
}

static void teryt_current_maps_old_tulowice_code(void **state)
{
    (void)state;
    assert_string_equal(ids_teryt_gmina_current("1609122"), "1609123");
}

static void teryt_current_returns_other_input_itself(void **state)
{
    const char *current = "1609123";
    const char *other = "1601011";
    const char *garbage = "not a code";

    (void)state;
    assert_ptr_equal(ids_teryt_gmina_current(current), current);
    assert_ptr_equal(ids_teryt_gmina_current(other), other);
    assert_ptr_equal(ids_teryt_gmina_current(garbage), garbage);
    assert_null(ids_teryt_gmina_current(NULL));
}

/* ---- slugs -------------------------------------------------------------- */

static void slug_accepts_lowercase_digits_and_hyphens(void **state)
{
    (void)state;
    assert_true(ids_code_slug_valid("advisory-basic", 1, 64));
    assert_true(ids_code_slug_valid("byczyna", 1, 64));
    assert_true(ids_code_slug_valid("2024-q1", 1, 64));
    assert_true(ids_code_slug_valid("-", 1, 64));
}

static void slug_rejects_other_characters(void **state)
{
    (void)state;
    assert_false(ids_code_slug_valid("Advisory", 1, 64));
    assert_false(ids_code_slug_valid("advisory_basic", 1, 64));
    assert_false(ids_code_slug_valid("advisory basic", 1, 64));
    assert_false(ids_code_slug_valid("porada.prawna", 1, 64));
    assert_false(ids_code_slug_valid("doradztwo-\xc5\x82", 1, 64));
    assert_false(ids_code_slug_valid(NULL, 0, 64));
}

static void slug_enforces_length_bounds(void **state)
{
    (void)state;
    assert_true(ids_code_slug_valid("abc", 3, 5));
    assert_true(ids_code_slug_valid("abcde", 3, 5));
    assert_false(ids_code_slug_valid("ab", 3, 5));
    assert_false(ids_code_slug_valid("abcdef", 3, 5));
    assert_false(ids_code_slug_valid("", 1, 64));
    assert_true(ids_code_slug_valid("", 0, 64));
}

/* ---- phone -------------------------------------------------------------- */

static void phone_accepts_common_formats(void **state)
{
    (void)state;
    assert_true(ids_phone_valid("+48 123 456 789"));
    assert_true(ids_phone_valid("+48 (77) 123-45-67"));
    assert_true(ids_phone_valid("(77) 123 45 67"));
    assert_true(ids_phone_valid("123-45-67"));
    assert_true(ids_phone_valid("1234567"));
    assert_true(ids_phone_valid("12345678901234567890"));
    assert_true(ids_phone_valid("+12345678901234567890"));
}

static void phone_rejects_too_few_digits(void **state)
{
    (void)state;
    assert_false(ids_phone_valid(""));
    assert_false(ids_phone_valid("+"));
    assert_false(ids_phone_valid("123456"));
    assert_false(ids_phone_valid("+123456"));
    assert_false(ids_phone_valid("12 34 56"));
    assert_false(ids_phone_valid("(((((((("));
}

static void phone_rejects_more_than_twenty_characters(void **state)
{
    (void)state;
    assert_false(ids_phone_valid("123456789012345678901"));
    assert_false(ids_phone_valid("+48 123 456 789 000 00"));
}

static void phone_rejects_misplaced_plus_and_other_characters(void **state)
{
    (void)state;
    assert_false(ids_phone_valid("++48123456789"));
    assert_false(ids_phone_valid("48+123456789"));
    assert_false(ids_phone_valid("123 456 7x9"));
    assert_false(ids_phone_valid("123.456.789"));
    assert_false(ids_phone_valid("123456789 ext 12"));
    assert_false(ids_phone_valid("123\t456\t789"));
    assert_false(ids_phone_valid(NULL));
}

/* ---- URL ---------------------------------------------------------------- */

static void url_accepts_http_and_https(void **state)
{
    (void)state;
    assert_true(ids_url_valid("http://example.com"));
    assert_true(ids_url_valid("https://ips.example.pl/"));
    assert_true(ids_url_valid("https://ips.example.pl/o-nas/zespol.html"));
    assert_true(ids_url_valid("https://example.com/a?x=1&y=%C5%82#top"));
    assert_true(ids_url_valid("https://example.com?x=1"));
    assert_true(ids_url_valid("http://127.0.0.1"));
}

static void url_accepts_a_port_in_range(void **state)
{
    (void)state;
    assert_true(ids_url_valid("http://localhost:8080"));
    assert_true(ids_url_valid("https://example.com:443/path"));
    assert_true(ids_url_valid("https://example.com:1"));
    assert_true(ids_url_valid("https://example.com:65535/"));
}

static void url_rejects_bad_ports(void **state)
{
    (void)state;
    assert_false(ids_url_valid("https://example.com:"));
    assert_false(ids_url_valid("https://example.com:/path"));
    assert_false(ids_url_valid("https://example.com:0"));
    assert_false(ids_url_valid("https://example.com:65536"));
    assert_false(ids_url_valid("https://example.com:123456"));
    assert_false(ids_url_valid("https://example.com:80a"));
}

static void url_rejects_other_schemes(void **state)
{
    (void)state;
    assert_false(ids_url_valid("ftp://example.com"));
    assert_false(ids_url_valid("javascript:alert(1)"));
    assert_false(ids_url_valid("//example.com"));
    assert_false(ids_url_valid("example.com"));
    assert_false(ids_url_valid("http:/example.com"));
    assert_false(ids_url_valid("HTTPS://example.com"));
}

static void url_rejects_empty_or_bad_host(void **state)
{
    (void)state;
    assert_false(ids_url_valid("https://"));
    assert_false(ids_url_valid("https:///path"));
    assert_false(ids_url_valid("https://:8080"));
    assert_false(ids_url_valid("https://exa mple.com"));
    assert_false(ids_url_valid("https://user@example.com"));
    assert_false(ids_url_valid("https://exa_mple.com"));
    assert_false(ids_url_valid("https://przyk\xc5\x82" "ad.pl"));
    assert_false(ids_url_valid("https://example.com\\evil"));
}

static void url_rejects_spaces_and_control_characters_in_path(void **state)
{
    (void)state;
    assert_false(ids_url_valid("https://example.com/a b"));
    assert_false(ids_url_valid("https://example.com/a\tb"));
    assert_false(ids_url_valid("https://example.com/a\nb"));
    assert_false(ids_url_valid("https://example.com/\xc5\x82"));
}

static void url_enforces_2048_character_limit(void **state)
{
    char buf[2100];
    size_t prefix = strlen("https://example.com/");

    (void)state;
    strcpy(buf, "https://example.com/");
    memset(buf + prefix, 'a', 2048 - prefix);
    buf[2048] = '\0';
    assert_true(ids_url_valid(buf));
    buf[2048] = 'a';
    buf[2049] = '\0';
    assert_false(ids_url_valid(buf));
    assert_false(ids_url_valid(""));
    assert_false(ids_url_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nip_accepts_valid_numbers),
        cmocka_unit_test(nip_rejects_wrong_check_digit),
        cmocka_unit_test(nip_rejects_remainder_ten_whatever_the_last_digit),
        cmocka_unit_test(nip_rejects_separators_and_prefixes),
        cmocka_unit_test(nip_rejects_wrong_length_and_non_digits),
        cmocka_unit_test(nip_rejects_null),

        cmocka_unit_test(regon9_accepts_valid_numbers),
        cmocka_unit_test(regon9_maps_remainder_ten_to_zero),
        cmocka_unit_test(regon9_rejects_wrong_check_digit),
        cmocka_unit_test(regon14_accepts_valid_numbers_built_on_regon9),
        cmocka_unit_test(regon14_rejects_wrong_check_digit),
        cmocka_unit_test(regon14_rejects_invalid_first_nine_digits),
        cmocka_unit_test(regon_rejects_other_lengths_and_non_digits),

        cmocka_unit_test(krs_accepts_ten_digits),
        cmocka_unit_test(krs_rejects_unpadded_long_and_non_digit),

        cmocka_unit_test(pesel_parses_1800s_with_month_plus_80),
        cmocka_unit_test(pesel_parses_1900s_with_plain_month),
        cmocka_unit_test(pesel_parses_2000s_with_month_plus_20),
        cmocka_unit_test(pesel_parses_2100s_with_month_plus_40),
        cmocka_unit_test(pesel_parses_2200s_with_month_plus_60),
        cmocka_unit_test(pesel_accepts_29_february_2000),
        cmocka_unit_test(pesel_rejects_29_february_1900),
        cmocka_unit_test(pesel_rejects_29_february_2100),
        cmocka_unit_test(pesel_rejects_30_february),
        cmocka_unit_test(pesel_rejects_31_april),
        cmocka_unit_test(pesel_rejects_months_outside_every_century),
        cmocka_unit_test(pesel_rejects_day_zero),
        cmocka_unit_test(pesel_rejects_bad_checksum),
        cmocka_unit_test(pesel_rejects_wrong_length),
        cmocka_unit_test(pesel_rejects_non_digits),
        cmocka_unit_test(pesel_tells_male_from_female_by_tenth_digit),
        cmocka_unit_test(pesel_accepts_null_out),
        cmocka_unit_test(pesel_leaves_out_untouched_on_failure),

        cmocka_unit_test(date_valid_accepts_real_dates),
        cmocka_unit_test(date_valid_applies_gregorian_leap_rules),
        cmocka_unit_test(date_valid_rejects_impossible_parts),
        cmocka_unit_test(parse_date_reads_strict_iso_date),
        cmocka_unit_test(parse_date_rejects_unreal_dates),
        cmocka_unit_test(parse_date_rejects_other_shapes),
        cmocka_unit_test(parse_date_stores_nothing_on_failure),

        cmocka_unit_test(postal_code_accepts_nn_nnn),
        cmocka_unit_test(postal_code_rejects_other_shapes),

        cmocka_unit_test(email_accepts_ordinary_addresses),
        cmocka_unit_test(email_rejects_missing_or_repeated_at),
        cmocka_unit_test(email_rejects_domain_without_dot_or_with_empty_label),
        cmocka_unit_test(email_rejects_labels_with_hyphen_at_edges),
        cmocka_unit_test(email_rejects_bad_domain_characters),
        cmocka_unit_test(email_rejects_special_characters_in_local_part),
        cmocka_unit_test(email_rejects_control_and_non_ascii_characters),
        cmocka_unit_test(email_enforces_length_limits),
        cmocka_unit_test(email_rejects_null),

        cmocka_unit_test(teryt_accepts_every_opolskie_gmina),
        cmocka_unit_test(teryt_accepts_gminas_outside_the_region),
        cmocka_unit_test(teryt_accepts_kinds_one_to_five_only),
        cmocka_unit_test(teryt_rejects_unknown_voivodeship_codes),
        cmocka_unit_test(teryt_rejects_zero_powiat_or_gmina),
        cmocka_unit_test(teryt_rejects_wrong_length_and_non_digits),
        cmocka_unit_test(teryt_current_maps_old_tulowice_code),
        cmocka_unit_test(teryt_current_returns_other_input_itself),

        cmocka_unit_test(slug_accepts_lowercase_digits_and_hyphens),
        cmocka_unit_test(slug_rejects_other_characters),
        cmocka_unit_test(slug_enforces_length_bounds),

        cmocka_unit_test(phone_accepts_common_formats),
        cmocka_unit_test(phone_rejects_too_few_digits),
        cmocka_unit_test(phone_rejects_more_than_twenty_characters),
        cmocka_unit_test(phone_rejects_misplaced_plus_and_other_characters),

        cmocka_unit_test(url_accepts_http_and_https),
        cmocka_unit_test(url_accepts_a_port_in_range),
        cmocka_unit_test(url_rejects_bad_ports),
        cmocka_unit_test(url_rejects_other_schemes),
        cmocka_unit_test(url_rejects_empty_or_bad_host),
        cmocka_unit_test(url_rejects_spaces_and_control_characters_in_path),
        cmocka_unit_test(url_enforces_2048_character_limit),
    };

    return cmocka_run_group_tests_name("ids", tests, NULL, NULL);
}
