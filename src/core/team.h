/*
 * A team of threads kept for many short parallel jobs (internal): started
 * once (the MLP starts one per fit), so that each job costs a wake-up, not
 * thread starts as dial_parallel_for's do. For one long loop,
 * dial_parallel_for is the simpler tool.
 *
 * A job is a count of items that the calling thread and the team's helpers
 * claim one at a time until none is left; the caller returns when every
 * item is done. A helper the system is slow to run (a busy machine) leaves
 * its items to the others instead of holding them up, so a job never waits
 * for a thread that has not started on it. Which thread runs an item is
 * left to chance: an item's result must not depend on it.
 */
#ifndef DIAL_CORE_TEAM_H
#define DIAL_CORE_TEAM_H

#include "dial/core.h"

typedef struct dial_team dial_team;

/* Runs item i of a job on the thread numbered worker (0 is the caller,
 * 1 .. threads - 1 the helpers). */
typedef void (*dial_team_task)(void *arg, size_t i, int worker);

/* Starts a team of threads (the caller and threads - 1 helpers; fewer
 * helpers when the system refuses to start them, their share then falling
 * to the others). Fails with DIAL_ERR_NOMEM; *team is NULL for threads <=
 * 1, where dial_team_run runs every item on the caller. */
dial_status dial_team_start(dial_ctx *ctx, int threads, dial_team **team);

/* Runs task(arg, i, worker) once for each i in 0 .. n - 1 and returns when
 * all are done. team may be NULL. */
void dial_team_run(dial_team *team, dial_team_task task, void *arg, size_t n);

/* Stops the helpers and frees the team; NULL is harmless. */
void dial_team_stop(dial_team *team);

#endif
