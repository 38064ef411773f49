/* One run of a trial's program for `dial run`: start it, read what it
 * prints, stop it when it must stop, and say how it ended.
 *
 * The program starts with posix_spawnp (fork and exec in one step, and
 * cheap: no copy of dial's memory) in a process group of its own, so that
 * stopping it reaches every process it started and a Ctrl-C at the
 * terminal reaches dial alone, which then stops the programs in order.
 * Its stdin is /dev/null (a program in a background group that read the
 * terminal would be stopped by SIGTTIN); its stdout and stderr are pipes.
 *
 * One poll() waits on everything a trial waits for: the two pipes, the
 * process's exit (a pidfd; without one, the pipes' end), the stop
 * descriptor that a Ctrl-C makes readable, and the time left before
 * --timeout-trial or the end of the grace period. Nothing is done while
 * nothing happens. Ending a program: SIGTERM to its group, SIGKILL once
 * the grace period (5 s) is over or at a second Ctrl-C.
 *
 * What it prints: stdout and stderr go to the trial's log file as they
 * come; each stdout line is read for the protocol (the last line that is
 * a number, `dial: value=V`, which wins, and `dial: step=S value=V`,
 * reported to the study and asked of its pruner); the last 20 lines (4 KB
 * at most) of stderr are kept for the message of a failed trial. */
#define _GNU_SOURCE /* pipe2 (O_CLOEXEC without a window for another \
                     * thread's spawn to inherit the descriptors) */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run_program.h"

/* A stdout line longer than this is neither a number nor a protocol line. */
#define STDOUT_LINE_MAX 1024
/* What a failed trial's message keeps of its stderr. */
#define TAIL_LINES 20
#define TAIL_BYTES 4096
/* A failed trial's message fits what the study keeps of an objective's
 * error (dial_fail's 1024 bytes): its last stderr lines are dropped
 * oldest first to fit, the log holds them all. */
#define MESSAGE_MAX 1000
/* How often a program being stopped looks for a second Ctrl-C. */
#define SECOND_INTERRUPT_MS 100

typedef enum stop_reason {
    STOP_NONE = 0,
    STOP_INTERRUPT,
    STOP_TIMEOUT,
    STOP_PRUNE,
    STOP_REPORT
} stop_reason;

/* Everything one run watches. */
typedef struct run_watch {
    dial_trial *trial;
    int log_fd;
    /* stdout: the line being read and what its lines said */
    char line[STDOUT_LINE_MAX + 1];
    size_t line_length;
    bool line_too_long;
    bool has_number, has_value, prune;
    double last_number, told_value;
    char *bad_line;     /* the first malformed `dial:` line */
    char *report_error; /* a step the study could not record */
    /* stderr: its last lines, oldest first from tail_start */
    char partial[TAIL_BYTES + 1];
    size_t partial_length;
    char *tail[TAIL_LINES];
    size_t tail_start, n_tail, tail_bytes;
} run_watch;

static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static int milliseconds_until(double when) {
    double left = (when - monotonic_seconds()) * 1e3;
    if (left <= 0) return 0;
    return left > 1e9 ? 1000000000 : (int)ceil(left);
}

/* ---- standard output: the protocol --------------------------------------------- */

static char *trimmed_copy(const char *text) {
    while (*text == ' ' || *text == '\t') text++;
    size_t length = strlen(text);
    while (length && (text[length - 1] == ' ' || text[length - 1] == '\t')) length--;
    return cli_format("%.*s", (int)length, text);
}

/* "S value=V" after "dial: step=". */
static bool parse_step(const char *text, int64_t *step, double *value) {
    char *end;
    errno = 0;
    long long number = strtoll(text, &end, 10);
    if (end == text || errno || number < 0 || strncmp(end, " value=", 7) != 0) return false;
    *step = (int64_t)number;
    return cli_told_value_parse(end + 7, value);
}

static void read_step(run_watch *watch, const char *line) {
    int64_t step;
    double value;
    if (!parse_step(line + strlen("dial: step="), &step, &value)) {
        if (!watch->bad_line) watch->bad_line = cli_strdup(line);
        return;
    }
    /* Past the step it was pruned at, lines the program wrote before it
     * was stopped are not its: the trial stopped there. */
    if (!watch->trial || watch->report_error || watch->prune) return;
    if (dial_trial_report(watch->trial, step, value) != DIAL_OK) {
        watch->report_error = cli_format("could not record its line '%s': %s", line,
                                         dial_ctx_error(dial_trial_ctx(watch->trial)));
        return;
    }
    if (dial_trial_should_prune(watch->trial)) watch->prune = true;
}

static void end_stdout_line(run_watch *watch) {
    char *line = watch->line;
    size_t length = watch->line_length;
    bool too_long = watch->line_too_long;
    watch->line_length = 0;
    watch->line_too_long = false;
    if (too_long) return;
    if (length && line[length - 1] == '\r') length--;
    line[length] = '\0';
    if (strncmp(line, "dial: value=", 12) == 0) {
        double value;
        if (cli_told_value_parse(line + 12, &value)) {
            watch->has_value = true;
            watch->told_value = value;
        } else if (!watch->bad_line) {
            watch->bad_line = cli_strdup(line);
        }
        return;
    }
    if (strncmp(line, "dial: step=", 11) == 0) {
        read_step(watch, line);
        return;
    }
    char *number_text = trimmed_copy(line);
    double number;
    if (cli_told_value_parse(number_text, &number)) {
        watch->has_number = true;
        watch->last_number = number;
    }
    free(number_text);
}

static void read_stdout_bytes(run_watch *watch, const char *bytes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (bytes[i] == '\n') {
            end_stdout_line(watch);
        } else if (watch->line_length < STDOUT_LINE_MAX) {
            watch->line[watch->line_length++] = bytes[i];
        } else {
            watch->line_too_long = true;
        }
    }
}

/* ---- standard error: its last lines --------------------------------------------- */

static void end_stderr_line(run_watch *watch) {
    size_t length = watch->partial_length;
    if (length && watch->partial[length - 1] == '\r') length--;
    char *line = cli_format("%.*s", (int)length, watch->partial);
    watch->partial_length = 0;
    if (watch->n_tail == TAIL_LINES) {
        watch->tail_bytes -= strlen(watch->tail[watch->tail_start]);
        free(watch->tail[watch->tail_start]);
        watch->tail_start = (watch->tail_start + 1) % TAIL_LINES;
        watch->n_tail--;
    }
    watch->tail[(watch->tail_start + watch->n_tail) % TAIL_LINES] = line;
    watch->n_tail++;
    watch->tail_bytes += strlen(line);
    while (watch->n_tail > 1 && watch->tail_bytes > TAIL_BYTES) {
        watch->tail_bytes -= strlen(watch->tail[watch->tail_start]);
        free(watch->tail[watch->tail_start]);
        watch->tail_start = (watch->tail_start + 1) % TAIL_LINES;
        watch->n_tail--;
    }
}

static void read_stderr_bytes(run_watch *watch, const char *bytes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (bytes[i] == '\n')
            end_stderr_line(watch);
        else if (watch->partial_length < TAIL_BYTES)
            watch->partial[watch->partial_length++] = bytes[i];
    }
}

/* The last kept lines of stderr that fit in room bytes, joined by
 * newlines; NULL when there are none (or none fits). */
static char *stderr_tail(const run_watch *watch, size_t room) {
    size_t first = watch->n_tail, used = 0;
    while (first > 0) {
        size_t length = strlen(watch->tail[(watch->tail_start + first - 1) % TAIL_LINES]);
        if (used + length + 1 > room) break;
        used += length + 1;
        first--;
    }
    if (first == watch->n_tail) return NULL;
    char *text = cli_alloc(used + 1, 1);
    size_t at = 0;
    for (size_t k = first; k < watch->n_tail; k++) {
        const char *line = watch->tail[(watch->tail_start + k) % TAIL_LINES];
        if (k > first) text[at++] = '\n';
        size_t length = strlen(line);
        memcpy(text + at, line, length);
        at += length;
    }
    text[at] = '\0';
    return text;
}

static void watch_free(run_watch *watch) {
    free(watch->bad_line);
    free(watch->report_error);
    for (size_t k = 0; k < watch->n_tail; k++)
        free(watch->tail[(watch->tail_start + k) % TAIL_LINES]);
}

/* ---- the pipes ------------------------------------------------------------------- */

static void write_log(int log_fd, const char *bytes, size_t n) {
    while (log_fd >= 0 && n > 0) {
        ssize_t written = write(log_fd, bytes, n);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return; /* a full disk loses the log, not the trial */
        bytes += written;
        n -= (size_t)written;
    }
}

/* Reads what a pipe holds now; closes it at its end. */
static void drain(run_watch *watch, int *fd, bool is_stdout) {
    char buffer[65536];
    while (*fd >= 0) {
        ssize_t n = read(*fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return; /* EAGAIN: nothing more for now */
        if (n == 0) {
            /* A last line without its newline still counts. */
            if (is_stdout && (watch->line_length || watch->line_too_long)) end_stdout_line(watch);
            if (!is_stdout && watch->partial_length) end_stderr_line(watch);
            close(*fd);
            *fd = -1;
            return;
        }
        write_log(watch->log_fd, buffer, (size_t)n);
        if (is_stdout)
            read_stdout_bytes(watch, buffer, (size_t)n);
        else
            read_stderr_bytes(watch, buffer, (size_t)n);
    }
}

/* ---- starting the program --------------------------------------------------------- */

/* Starts the command with its stdout and stderr on the write ends given;
 * returns 0 or an errno value (the program cannot be run). */
static int spawn(const cli_run_command *command, int out_fd, int err_fd, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
    posix_spawnattr_init(&attributes);
    /* A group of its own; signals as a fresh program expects them, whatever
     * dial's threads block or dial itself catches. */
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                              POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attributes, 0);
    sigset_t signals;
    sigemptyset(&signals);
    posix_spawnattr_setsigmask(&attributes, &signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    sigaddset(&signals, SIGQUIT);
    sigaddset(&signals, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &signals);
    int error =
        posix_spawnp(pid, command->argv[0], &actions, &attributes, command->argv, command->envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return error;
}

/* A descriptor that becomes readable when the process exits, or -1 where
 * the kernel has none (then the end of its pipes stands for its exit). */
static int exit_descriptor(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

/* ---- how it ended ------------------------------------------------------------------- */

typedef struct run_end {
    stop_reason stopped;
    bool killed; /* SIGKILL was needed */
    bool exited;
    int status; /* waitpid's */
} run_end;

/* "1 s", "2.5 s", "10 min 0 s": a limit as it was given. malloc'ed. */
static char *duration_text(double seconds) {
    return seconds < 60 ? cli_format("%g s", seconds) : cli_seconds_text(seconds);
}

static char *failure_reason(const run_watch *watch, const run_end *end,
                            const cli_run_limits *limits, const char *program) {
    if (end->stopped == STOP_TIMEOUT) {
        char *limit = duration_text(limits->timeout_seconds);
        char *grace = duration_text(limits->grace_seconds);
        char *reason = cli_format("timed out after %s (--timeout-trial)%s%s", limit,
                                  end->killed ? "; it outlived SIGTERM and was killed after " : "",
                                  end->killed ? grace : "");
        free(limit);
        free(grace);
        return reason;
    }
    if (end->stopped == STOP_REPORT) return cli_strdup(watch->report_error);
    if (WIFSIGNALED(end->status))
        return cli_format("killed by signal %d (%s)", WTERMSIG(end->status),
                          strsignal(WTERMSIG(end->status)));
    if (WIFEXITED(end->status) && WEXITSTATUS(end->status) != 0)
        return cli_format("exited with status %d", WEXITSTATUS(end->status));
    if (watch->bad_line)
        return cli_format("printed '%s', which is no value line: write 'dial: value=NUMBER' or "
                          "'dial: step=N value=NUMBER'",
                          watch->bad_line);
    if (!watch->has_value && !watch->has_number)
        return cli_format("'%s' printed no value: a trial's value is the last line of standard "
                          "output that is a number, or a line 'dial: value=NUMBER'",
                          program);
    return NULL;
}

/* The outcome of a run that went to its end (or was stopped). */
static void judge(const run_watch *watch, const run_end *end, const cli_run_limits *limits,
                  const char *program, const char *log_path, cli_run_outcome *out) {
    if (end->stopped == STOP_INTERRUPT) {
        out->end = CLI_RUN_INTERRUPTED;
        out->message = cli_strdup("interrupted");
        return;
    }
    /* Pruned even when it ended before it could be stopped: the verdict,
     * not the race with the program's exit, decides. */
    if (end->stopped == STOP_PRUNE || (watch->prune && end->stopped == STOP_NONE)) {
        out->end = CLI_RUN_PRUNED;
        return;
    }
    char *reason = failure_reason(watch, end, limits, program);
    if (!reason) {
        out->end = CLI_RUN_COMPLETE;
        out->value = watch->has_value ? watch->told_value : watch->last_number;
        return;
    }
    out->end = CLI_RUN_FAILED;
    char *head = cli_format("%s (log %s)", reason, log_path);
    const char *intro = "; the end of its stderr:\n";
    size_t used = strlen(head) + strlen(intro);
    char *tail = used < MESSAGE_MAX ? stderr_tail(watch, MESSAGE_MAX - used) : NULL;
    out->message = tail ? cli_format("%s%s%s", head, intro, tail) : cli_strdup(head);
    free(head);
    free(tail);
    free(reason);
}

/* ---- the run ------------------------------------------------------------------------- */

static void stop_group(pid_t pid, run_end *end, stop_reason why, double grace, double *kill_at) {
    end->stopped = why;
    kill(-pid, SIGTERM);
    *kill_at = monotonic_seconds() + grace;
}

void cli_run_program(const cli_run_command *command, const char *log_path,
                     const cli_run_limits *limits, dial_trial *trial, cli_run_outcome *out) {
    memset(out, 0, sizeof *out);
    out->value = NAN;
    if (limits->interrupts && *limits->interrupts > 0) {
        out->end = CLI_RUN_INTERRUPTED;
        out->message = cli_strdup("interrupted before it started");
        return;
    }
    run_watch watch = {.trial = trial, .log_fd = -1};
    watch.log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (watch.log_fd < 0) {
        out->end = CLI_RUN_FAILED;
        out->message = cli_format("cannot write its log %s: %s", log_path, strerror(errno));
        return;
    }
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) {
        out->end = CLI_RUN_FAILED;
        out->message = cli_format("cannot make a pipe: %s", strerror(errno));
        close(watch.log_fd);
        return;
    }
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        out->end = CLI_RUN_FAILED;
        out->message = cli_format("cannot make a pipe: %s", strerror(errno));
        close(out_pipe[0]);
        close(out_pipe[1]);
        close(watch.log_fd);
        return;
    }
    pid_t pid;
    int error = spawn(command, out_pipe[1], err_pipe[1], &pid);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (error != 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        out->end = CLI_RUN_FAILED;
        out->message = cli_format("cannot run '%s': %s", command->argv[0], strerror(error));
        write_log(watch.log_fd, out->message, strlen(out->message));
        write_log(watch.log_fd, "\n", 1);
        close(watch.log_fd);
        return;
    }
    int stdout_fd = out_pipe[0], stderr_fd = err_pipe[0];
    fcntl(stdout_fd, F_SETFL, O_NONBLOCK);
    fcntl(stderr_fd, F_SETFL, O_NONBLOCK);
    int exit_fd = exit_descriptor(pid);

    run_end end = {.stopped = STOP_NONE};
    double deadline =
        limits->timeout_seconds > 0 ? monotonic_seconds() + limits->timeout_seconds : 0;
    double kill_at = 0;
    for (;;) {
        /* Without a pidfd, the pipes' end says the program is done with
         * them; its exit is then looked for at each wake-up. */
        if (!end.exited && exit_fd < 0 && stdout_fd < 0 && stderr_fd < 0 &&
            waitpid(pid, &end.status, WNOHANG) == pid)
            end.exited = true;
        if (end.exited) break;
        struct pollfd fds[4];
        int n_fds = 0, stdout_at = -1, stderr_at = -1, exit_at = -1, stop_at = -1;
        if (stdout_fd >= 0) stdout_at = n_fds, fds[n_fds++] = (struct pollfd){stdout_fd, POLLIN, 0};
        if (stderr_fd >= 0) stderr_at = n_fds, fds[n_fds++] = (struct pollfd){stderr_fd, POLLIN, 0};
        if (exit_fd >= 0) exit_at = n_fds, fds[n_fds++] = (struct pollfd){exit_fd, POLLIN, 0};
        if (end.stopped == STOP_NONE && limits->stop_fd >= 0)
            stop_at = n_fds, fds[n_fds++] = (struct pollfd){limits->stop_fd, POLLIN, 0};
        int wait_ms = -1;
        if (end.stopped == STOP_NONE && deadline > 0) wait_ms = milliseconds_until(deadline);
        if (end.stopped != STOP_NONE && !end.killed) {
            wait_ms = milliseconds_until(kill_at);
            if (wait_ms > SECOND_INTERRUPT_MS) wait_ms = SECOND_INTERRUPT_MS;
        }
        if (exit_fd < 0 && stdout_fd < 0 && stderr_fd < 0 && (wait_ms < 0 || wait_ms > 10))
            wait_ms = 10;
        int ready = poll(fds, (nfds_t)n_fds, wait_ms);
        if (ready < 0 && errno != EINTR) {
            /* Cannot wait for it any more: end it rather than leave it. */
            kill(-pid, SIGKILL);
            waitpid(pid, &end.status, 0);
            end.exited = end.killed = true;
            break;
        }
        if (ready > 0) {
            if (stdout_at >= 0 && fds[stdout_at].revents) drain(&watch, &stdout_fd, true);
            if (stderr_at >= 0 && fds[stderr_at].revents) drain(&watch, &stderr_fd, false);
            if (exit_at >= 0 && fds[exit_at].revents) {
                waitpid(pid, &end.status, 0);
                end.exited = true;
                /* What it wrote before it exited is in the pipes now. */
                drain(&watch, &stdout_fd, true);
                drain(&watch, &stderr_fd, false);
            }
        }
        if (end.exited) continue;
        if (end.stopped == STOP_NONE) {
            if (watch.report_error)
                stop_group(pid, &end, STOP_REPORT, limits->grace_seconds, &kill_at);
            else if (watch.prune)
                stop_group(pid, &end, STOP_PRUNE, limits->grace_seconds, &kill_at);
            else if (stop_at >= 0 && fds[stop_at].revents)
                stop_group(pid, &end, STOP_INTERRUPT, limits->grace_seconds, &kill_at);
            else if (deadline > 0 && monotonic_seconds() >= deadline)
                stop_group(pid, &end, STOP_TIMEOUT, limits->grace_seconds, &kill_at);
        } else if (!end.killed && (monotonic_seconds() >= kill_at ||
                                   (limits->interrupts && *limits->interrupts >= 2))) {
            kill(-pid, SIGKILL);
            end.killed = true;
        }
    }
    /* Processes of its group still running once it is gone (a stopped
     * program's children) go with it. */
    if (end.stopped != STOP_NONE) kill(-pid, SIGKILL);
    if (stdout_fd >= 0) close(stdout_fd);
    if (stderr_fd >= 0) close(stderr_fd);
    if (exit_fd >= 0) close(exit_fd);
    /* A last line whose newline never came (the pipe outlived the program,
     * held by a child of it) still counts. */
    if (watch.line_length || watch.line_too_long) end_stdout_line(&watch);
    if (watch.partial_length) end_stderr_line(&watch);
    close(watch.log_fd);
    judge(&watch, &end, limits, command->argv[0], log_path, out);
    watch_free(&watch);
}
