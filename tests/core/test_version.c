/* The runtime version (dial_version, dial_version_number in dial/core.h):
 * the library tells the version it is, the same one the headers and the
 * build (CMakeLists.txt's project version) say, as text and as a number. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void the_runtime_version_is_the_headers_version(void **state) {
    (void)state;
    assert_non_null(dial_version());
    assert_string_equal(dial_version(), DIAL_VERSION_STRING);
    assert_int_equal(dial_version_number(), DIAL_VERSION_NUMBER);
}

static void the_number_is_major_minor_patch_of_the_text(void **state) {
    (void)state;
    int major = -1, minor = -1, patch = -1;
    assert_int_equal(sscanf(dial_version(), "%d.%d.%d", &major, &minor, &patch), 3);
    assert_int_equal(dial_version_number(), major * 10000 + minor * 100 + patch);
}

/* The build names the version too (the shared library's file name and
 * dial.pc): the three must not drift apart. The tests run from the source
 * tree. */
static void the_build_declares_the_same_version(void **state) {
    (void)state;
    char *cmake = test_read_file("CMakeLists.txt", NULL);
    const char *declared = strstr(cmake, "project(dial VERSION ");
    assert_non_null(declared);
    declared += strlen("project(dial VERSION ");
    size_t length = strcspn(declared, " )");
    char version[32] = "";
    assert_true(length < sizeof version);
    memcpy(version, declared, length);
    assert_string_equal(version, dial_version());
    free(cmake);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_runtime_version_is_the_headers_version),
        cmocka_unit_test(the_number_is_major_minor_patch_of_the_text),
        cmocka_unit_test(the_build_declares_the_same_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
