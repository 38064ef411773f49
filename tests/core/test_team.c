/* A team of threads (core/team.h): every item of every
 * job runs exactly once, on a worker the team has, whatever the number of
 * threads and of items, job after job, and a team of one thread (NULL)
 * runs them all on the caller. */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "core/team.h"

#define MAX_ITEMS 200

typedef struct tally {
    int runs[MAX_ITEMS];
    int threads;
} tally;

/* Items write only their own slot, so no two threads share one. */
static void count_item(void *arg, size_t i, int worker) {
    tally *t = arg;
    t->runs[i]++;
    if (worker < 0 || worker >= t->threads) t->runs[i] += 1000; /* flags a bad worker */
}

static void run_jobs(int threads) {
    dial_ctx *ctx = test_ctx();
    dial_team *team = NULL;
    assert_dial_ok(ctx, dial_team_start(ctx, threads, &team));
    if (threads <= 1) assert_null(team);
    static const size_t counts[] = {0, 1, 7, 41, MAX_ITEMS};
    for (int round = 0; round < 50; round++)
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            tally t = {.threads = threads < 1 ? 1 : threads};
            dial_team_run(team, count_item, &t, counts[c]);
            for (size_t i = 0; i < MAX_ITEMS; i++)
                if (t.runs[i] != (i < counts[c] ? 1 : 0))
                    fail_msg("%d threads, job of %zu items: item %zu ran %d times", threads,
                             counts[c], i, t.runs[i]);
        }
    dial_team_stop(team);
    dial_ctx_free(ctx);
}

static void one_thread_runs_every_item_once_on_the_caller(void **state) {
    (void)state;
    run_jobs(1);
}

static void two_threads_run_every_item_once(void **state) {
    (void)state;
    run_jobs(2);
}

static void four_threads_run_every_item_once(void **state) {
    (void)state;
    run_jobs(4);
}

static void stopping_no_team_is_harmless(void **state) {
    (void)state;
    dial_team_stop(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_thread_runs_every_item_once_on_the_caller),
        cmocka_unit_test(two_threads_run_every_item_once),
        cmocka_unit_test(four_threads_run_every_item_once),
        cmocka_unit_test(stopping_no_team_is_harmless),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
