/*
 * Running a trial's program for `dial run` (run_template.c, run_program.c).
 *
 * The program and its arguments come from the command line after `--` as
 * templates: each `{name}` inside one argument is replaced by the trial's
 * value of parameter `name` ({trial} by the trial's number, {{ and }} are
 * literal braces), and the arguments go to the program as they are, never
 * through a shell, never split or re-read. The program runs in a process
 * group of its own, with its standard output and error read by dial (and
 * copied to the trial's log file); the value is the last line of standard
 * output that is a number, or the last line `dial: value=NUMBER`.
 */
#ifndef DIAL_CLI_RUN_PROGRAM_H
#define DIAL_CLI_RUN_PROGRAM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "dial/dial.h"

/* ---- the templates (run_template.c) ----------------------------------------- */

/* Checks the program's argument templates (templates[0] is the program)
 * against the space, before anything runs: every {name} must be a
 * parameter of the space or {trial}, every other brace doubled. Prints one
 * line ("dial: argument 3 after -- ('{y}'): {y} is not a parameter of the
 * space (x, opt) nor {trial}") and returns the exit status (2) on a
 * mistake, -1 when the templates are sound. */
int cli_run_check_templates(char *const *templates, size_t n, const dial_space *space);
/* Checks that the program can be run (a path to an executable file, or a
 * name found on PATH, as posix_spawnp looks for it), so that a mistyped
 * program fails once rather than in every trial. A program that holds a
 * {name} is known only per trial and is not checked. Prints one line and
 * returns the exit status (1) when it cannot run, -1 when it can. */
int cli_run_check_program(const char *program);

/* What one trial runs: the arguments and the environment, NULL-terminated,
 * owned (cli_run_command_free). */
typedef struct cli_run_command {
    char **argv;
    char **envp;
} cli_run_command;

/* Fills the templates in with the trial's values (floats in their shortest
 * round-trip form, ints as integers, a categorical's text byte for byte; a
 * parameter the trial does not have, inactive by its condition, as the
 * empty string) and builds the environment: the caller's, less inherited
 * DIAL_KNOB_* and DIAL_TRIAL, plus DIAL_KNOB_<name>=VALUE for each param of
 * the trial and DIAL_TRIAL=<number>. The templates must have passed
 * cli_run_check_templates. Exits on allocation failure (cli_alloc). */
void cli_run_command_build(char *const *templates, size_t n, const dial_trial_record *record,
                           cli_run_command *out);
void cli_run_command_free(cli_run_command *command);
/* The text a param's value is substituted as (see above): malloc'ed. */
char *cli_run_param_text(const dial_trial_record *record, size_t i);

/* ---- one run of the program (run_program.c) ------------------------------------ */

/* What stops a running program from outside: the stop descriptor becomes
 * readable on the first Ctrl-C (SIGINT, SIGTERM or SIGHUP of dial), when
 * the program gets SIGTERM; a second one (interrupts >= 2) sends SIGKILL
 * without waiting out the grace period. */
typedef struct cli_run_limits {
    double timeout_seconds; /* --timeout-trial; 0: none */
    double grace_seconds;   /* SIGTERM to SIGKILL */
    int stop_fd;            /* -1: none */
    volatile sig_atomic_t *interrupts;
} cli_run_limits;

typedef enum cli_run_end {
    CLI_RUN_COMPLETE = 0, /* a value was read */
    CLI_RUN_FAILED,       /* see message */
    CLI_RUN_PRUNED,       /* the study's pruner stopped it */
    CLI_RUN_INTERRUPTED   /* stopped by Ctrl-C: not an outcome of its params */
} cli_run_end;

typedef struct cli_run_outcome {
    cli_run_end end;
    double value;  /* COMPLETE */
    char *message; /* FAILED (and INTERRUPTED): why, its exit status and the
                    * last lines of its stderr; malloc'ed */
} cli_run_outcome;

/* Runs one trial's command in a new process group, stdin from /dev/null,
 * stdout and stderr read through pipes and copied to log_path (created or
 * emptied), until it exits, its timeout passes or it is stopped: SIGTERM to
 * its whole group, SIGKILL after the grace period. Lines `dial: step=S
 * value=V` of its stdout are reported to trial (dial_trial_report) and
 * stop it when dial_trial_should_prune says so. Never prints. The caller
 * frees out->message. */
void cli_run_program(const cli_run_command *command, const char *log_path,
                     const cli_run_limits *limits, dial_trial *trial, cli_run_outcome *out);

#endif
