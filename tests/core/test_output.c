/* Output files (dial_output in dial/core.h): a regular file is replaced
 * only when the new one is whole, an abort or a failed write leaves the
 * old one, a symbolic link keeps being a link to the replaced file, a
 * device is written in place and stays a device, a folder is refused. */
/* mknod and S_IFCHR are XSI, beyond the POSIX the build asks for. */
#define _XOPEN_SOURCE 700
#include "test_support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <signal.h>
#include <unistd.h>

typedef struct folder {
    char path[64];
} folder;

static folder make_folder(void) {
    folder f;
    snprintf(f.path, sizeof f.path, "/tmp/dial-test-output-XXXXXX");
    assert_non_null(mkdtemp(f.path));
    return f;
}

static char *in(const folder *f, const char *name) {
    char *path = malloc(strlen(f->path) + strlen(name) + 2);
    sprintf(path, "%s/%s", f->path, name);
    return path;
}

static void write_text(const char *path, const char *text) {
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

static void assert_file_text(const char *path, const char *expected) {
    size_t length;
    char *text = test_read_file(path, &length);
    assert_string_equal(text, expected);
    free(text);
}

/* The names in the folder, sorted, joined by spaces. */
static void assert_folder_holds(const folder *f, const char *expected) {
    DIR *dir = opendir(f->path);
    assert_non_null(dir);
    char *names[16];
    size_t n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)))
        if (entry->d_name[0] != '.' && n < 16) names[n++] = strdup(entry->d_name);
    closedir(dir);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    char joined[512] = "";
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(joined, " ");
        strcat(joined, names[i]);
        free(names[i]);
    }
    assert_string_equal(joined, expected);
}

static void remove_folder(const folder *f) {
    DIR *dir = opendir(f->path);
    struct dirent *entry;
    while ((entry = readdir(dir)))
        if (entry->d_name[0] != '.') {
            char *path = in(f, entry->d_name);
            unlink(path);
            free(path);
        }
    closedir(dir);
    rmdir(f->path);
}

static void test_commit_replaces_the_file_and_leaves_no_temporary(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    folder f = make_folder();
    char *path = in(&f, "out.csv");
    write_text(path, "old\n");
    dial_output *output = NULL;
    assert_dial_ok(ctx, dial_output_open(ctx, path, &output));
    const char *temporary = dial_output_temporary(output);
    assert_non_null(temporary);
    assert_memory_equal(temporary, path, strlen(path));
    fputs("new\n", dial_output_stream(output));
    /* Until the commit, readers still see the old file. */
    assert_file_text(path, "old\n");
    assert_dial_ok(ctx, dial_output_commit(ctx, output));
    assert_file_text(path, "new\n");
    assert_folder_holds(&f, "out.csv");
    free(path);
    remove_folder(&f);
    dial_ctx_free(ctx);
}

static void test_abort_keeps_the_old_file(void **state) {
    (void)state;
    folder f = make_folder();
    dial_ctx *ctx = test_ctx();
    char *path = in(&f, "out.csv");
    write_text(path, "old\n");
    dial_output *output = NULL;
    assert_dial_ok(ctx, dial_output_open(ctx, path, &output));
    fputs("half of a new", dial_output_stream(output));
    dial_output_abort(output);
    dial_output_abort(NULL);
    assert_file_text(path, "old\n");
    assert_folder_holds(&f, "out.csv");
    free(path);
    remove_folder(&f);
    dial_ctx_free(ctx);
}

/* RLIMIT_FSIZE makes writes past 4 KiB fail with EFBIG (SIGXFSZ ignored),
 * as a full disk would with ENOSPC. */
static void test_a_failed_write_keeps_the_old_file_and_says_why(void **state) {
    (void)state;
    folder f = make_folder();
    dial_ctx *ctx = test_ctx();
    char *path = in(&f, "out.csv");
    write_text(path, "old\n");
    struct rlimit saved, small = {.rlim_cur = 4096, .rlim_max = RLIM_INFINITY};
    getrlimit(RLIMIT_FSIZE, &saved);
    small.rlim_max = saved.rlim_max;
    void (*previous)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    static char big[10000];
    memset(big, 'x', sizeof big);
    dial_status status = dial_output_write_all(ctx, path, big, sizeof big);
    setrlimit(RLIMIT_FSIZE, &saved);
    signal(SIGXFSZ, previous);
    char expected[256];
    snprintf(expected, sizeof expected, "cannot write %s: File too large", path);
    assert_int_equal(status, DIAL_ERR_IO);
    assert_string_equal(dial_ctx_error(ctx), expected);
    assert_file_text(path, "old\n");
    assert_folder_holds(&f, "out.csv");
    free(path);
    remove_folder(&f);
    dial_ctx_free(ctx);
}

static void test_a_link_stays_a_link_to_the_replaced_file(void **state) {
    (void)state;
    folder f = make_folder();
    dial_ctx *ctx = test_ctx();
    char *target = in(&f, "target.csv"), *link = in(&f, "link.csv");
    write_text(target, "old\n");
    assert_int_equal(symlink("target.csv", link), 0); /* relative, as ln -s makes */
    assert_dial_ok(ctx, dial_output_write_all(ctx, link, "new\n", 4));
    struct stat info;
    assert_int_equal(lstat(link, &info), 0);
    assert_true(S_ISLNK(info.st_mode));
    assert_file_text(target, "new\n");
    assert_folder_holds(&f, "link.csv target.csv");
    /* A dangling link creates the file it names. */
    unlink(target);
    assert_dial_ok(ctx, dial_output_write_all(ctx, link, "newer\n", 6));
    assert_file_text(target, "newer\n");
    free(target);
    free(link);
    remove_folder(&f);
    dial_ctx_free(ctx);
}

static void test_a_replaced_file_keeps_its_permissions(void **state) {
    (void)state;
    folder f = make_folder();
    dial_ctx *ctx = test_ctx();
    char *path = in(&f, "secret.csv");
    write_text(path, "old\n");
    chmod(path, 0600);
    assert_dial_ok(ctx, dial_output_write_all(ctx, path, "new\n", 4));
    struct stat info;
    assert_int_equal(stat(path, &info), 0);
    assert_int_equal(info.st_mode & 07777, 0600);
    free(path);
    remove_folder(&f);
    dial_ctx_free(ctx);
}

static void test_a_device_is_written_in_place_and_stays_a_device(void **state) {
    (void)state;
    folder f = make_folder();
    dial_ctx *ctx = test_ctx();
    char *path = in(&f, "null");
    /* A copy of /dev/null; mknod needs root, which the CLI test also uses. */
    if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) != 0) {
        free(path);
        remove_folder(&f);
        dial_ctx_free(ctx);
        skip();
    }
    dial_output *output = NULL;
    assert_dial_ok(ctx, dial_output_open(ctx, path, &output));
    assert_null(dial_output_temporary(output));
    fputs("discarded\n", dial_output_stream(output));
    assert_dial_ok(ctx, dial_output_commit(ctx, output));
    struct stat info;
    assert_int_equal(lstat(path, &info), 0);
    assert_true(S_ISCHR(info.st_mode));
    assert_folder_holds(&f, "null");
    free(path);
    remove_folder(&f);
    dial_ctx_free(ctx);
}

static void test_a_full_device_reports_no_space(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    assert_dial_error(ctx, dial_output_write_all(ctx, "/dev/full", "x", 1), DIAL_ERR_IO,
                      "cannot write /dev/full: No space left on device");
    dial_ctx_free(ctx);
}

static void test_a_folder_is_refused(void **state) {
    (void)state;
    folder f = make_folder();
    dial_ctx *ctx = test_ctx();
    dial_output *output = (dial_output *)1;
    char expected[128];
    snprintf(expected, sizeof expected, "cannot write %s: it is a folder; name a file", f.path);
    assert_dial_error(ctx, dial_output_open(ctx, f.path, &output), DIAL_ERR_IO, expected);
    assert_null(output);
    assert_folder_holds(&f, "");
    remove_folder(&f);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_replaces_the_file_and_leaves_no_temporary),
        cmocka_unit_test(test_abort_keeps_the_old_file),
        cmocka_unit_test(test_a_failed_write_keeps_the_old_file_and_says_why),
        cmocka_unit_test(test_a_link_stays_a_link_to_the_replaced_file),
        cmocka_unit_test(test_a_replaced_file_keeps_its_permissions),
        cmocka_unit_test(test_a_device_is_written_in_place_and_stays_a_device),
        cmocka_unit_test(test_a_full_device_reports_no_space),
        cmocka_unit_test(test_a_folder_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
