/* Which storage a --study text names, and the text shown for it: a
 * PostgreSQL password never reaches a message or a listing. */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "tune/storage.h"

static void assert_redacts(const char *spec, const char *expected) {
    char *shown = dial_storage_redact(NULL, spec);
    assert_non_null(shown);
    assert_string_equal(shown, expected);
    free(shown);
}

static void test_urls_and_key_value_strings_are_postgres(void **state) {
    (void)state;
    assert_true(dial_storage_is_postgres("postgresql://u:p@db:5432/studies"));
    assert_true(dial_storage_is_postgres("postgres://db/studies"));
    assert_true(dial_storage_is_postgres("postgresql://"));
    assert_true(dial_storage_is_postgres("host=db dbname=studies"));
    assert_true(dial_storage_is_postgres("  dbname = studies"));
    assert_true(dial_storage_is_postgres("service=cluster"));
}

static void test_file_names_are_not_postgres(void **state) {
    (void)state;
    assert_false(dial_storage_is_postgres("study.db"));
    assert_false(dial_storage_is_postgres("runs/a=b.db"));
    assert_false(dial_storage_is_postgres("a=b.db")); /* 'a' is no libpq keyword */
    assert_false(dial_storage_is_postgres("hosts=1.db"));
    assert_false(dial_storage_is_postgres("postgresql.db"));
    assert_false(dial_storage_is_postgres(""));
    assert_false(dial_storage_is_postgres(NULL));
}

static void test_the_password_of_a_url_is_hidden(void **state) {
    (void)state;
    assert_redacts("postgresql://ann:s3cret@db.lab:5432/studies",
                   "postgresql://ann:***@db.lab:5432/studies");
    assert_redacts("postgres://ann:p@ss@db/studies", "postgres://ann:***@db/studies");
    assert_redacts("postgresql://ann@db/studies?password=s3cret&sslmode=require",
                   "postgresql://ann@db/studies?password=***&sslmode=require");
    assert_redacts("postgresql://ann:x@db/s?sslmode=require&password=y",
                   "postgresql://ann:***@db/s?sslmode=require&password=***");
    assert_redacts("postgresql://db/studies", "postgresql://db/studies");
    assert_redacts("postgresql://ann@db/studies", "postgresql://ann@db/studies");
}

static void test_the_password_of_a_key_value_string_is_hidden(void **state) {
    (void)state;
    assert_redacts("host=db password=s3cret dbname=studies", "host=db password=*** dbname=studies");
    assert_redacts("host=db password = 'two words \\' quoted' user=ann",
                   "host=db password = *** user=ann");
    assert_redacts("dbname=studies", "dbname=studies");
}

static void test_a_file_name_is_shown_as_it_is(void **state) {
    (void)state;
    assert_redacts("runs/password=x.db", "runs/password=x.db");
    assert_redacts("study.db", "study.db");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls_and_key_value_strings_are_postgres),
        cmocka_unit_test(test_file_names_are_not_postgres),
        cmocka_unit_test(test_the_password_of_a_url_is_hidden),
        cmocka_unit_test(test_the_password_of_a_key_value_string_is_hidden),
        cmocka_unit_test(test_a_file_name_is_shown_as_it_is),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
