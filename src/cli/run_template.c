/* The argument templates of `dial run`: checking them against the space
 * before anything runs, and filling them in for one trial. One walker
 * reads a template for both, so what the check accepts is exactly what a
 * trial can fill in:
 *   {name}    the trial's value of parameter name ({trial}: its number)
 *   {{ , }}   a literal brace
 *   any other brace is a mistake, refused by the check.
 * The program is found as posix_spawnp finds it (a path, or a name on
 * PATH), checked once before the first trial. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run_program.h"

extern char **environ;

/* ---- a growing string ----------------------------------------------------------- */

typedef struct text_buffer {
    char *text;
    size_t length, capacity;
} text_buffer;

static void buffer_append(text_buffer *buffer, const char *bytes, size_t n) {
    if (buffer->length + n + 1 > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 64;
        while (capacity < buffer->length + n + 1) capacity *= 2;
        char *grown = cli_alloc(capacity, 1);
        if (buffer->length) memcpy(grown, buffer->text, buffer->length);
        free(buffer->text);
        buffer->text = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->text + buffer->length, bytes, n);
    buffer->length += n;
    buffer->text[buffer->length] = '\0';
}

/* ---- the walker ------------------------------------------------------------------- */

typedef enum template_mistake {
    TEMPLATE_OK = 0,
    TEMPLATE_UNKNOWN, /* {name} that is neither a parameter nor trial */
    TEMPLATE_UNCLOSED,
    TEMPLATE_LONE_CLOSE
} template_mistake;

/* Looks a placeholder's name up: returns false when it is not one the
 * trial can fill in; otherwise appends its value to out (out may be NULL:
 * only checking). */
typedef bool (*placeholder_fn)(void *user, const char *name, size_t length, text_buffer *out);

/* Walks one template, appending the filled-in text to out (may be NULL).
 * On a mistake, *where and *where_length give the placeholder or brace. */
static template_mistake walk_template(const char *template, placeholder_fn lookup, void *user,
                                      text_buffer *out, const char **where, size_t *where_length) {
    const char *p = template;
    while (*p) {
        size_t plain = strcspn(p, "{}");
        if (plain && out) buffer_append(out, p, plain);
        p += plain;
        if (!*p) break;
        if (p[0] == p[1]) { /* {{ or }} */
            if (out) buffer_append(out, p, 1);
            p += 2;
            continue;
        }
        *where = p;
        if (p[0] == '}') {
            *where_length = 1;
            return TEMPLATE_LONE_CLOSE;
        }
        const char *close = strchr(p + 1, '}');
        if (!close) {
            *where_length = 1;
            return TEMPLATE_UNCLOSED;
        }
        *where_length = (size_t)(close - p) + 1;
        if (!lookup(user, p + 1, (size_t)(close - p) - 1, out)) return TEMPLATE_UNKNOWN;
        p = close + 1;
    }
    return TEMPLATE_OK;
}

static bool is_trial(const char *name, size_t length) {
    return length == 5 && memcmp(name, "trial", 5) == 0;
}

static bool check_placeholder(void *user, const char *name, size_t length, text_buffer *out) {
    (void)out;
    const dial_space *space = user;
    if (is_trial(name, length)) return true;
    for (size_t i = 0; i < space->n; i++)
        if (strlen(space->params[i].name) == length &&
            memcmp(space->params[i].name, name, length) == 0)
            return true;
    return false;
}

/* A placeholder's name is a parameter's name: a letter or '_', then
 * letters, digits or '_'. Anything else between braces is more likely a
 * literal brace the user meant (a JSON argument), hence the hint. */
static bool looks_like_name(const char *name, size_t length) {
    if (length == 0 || (name[0] >= '0' && name[0] <= '9')) return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

int cli_run_check_templates(char *const *templates, size_t n, const dial_space *space) {
    for (size_t i = 0; i < n; i++) {
        const char *where = NULL;
        size_t length = 0;
        template_mistake mistake =
            walk_template(templates[i], check_placeholder, (void *)space, NULL, &where, &length);
        if (mistake == TEMPLATE_OK) continue;
        if (mistake == TEMPLATE_UNCLOSED)
            return cli_error(CLI_EXIT_USAGE,
                             "argument %zu after -- ('%s'): a '{' without its '}'; write {{ for "
                             "a literal brace",
                             i + 1, templates[i]);
        if (mistake == TEMPLATE_LONE_CLOSE)
            return cli_error(CLI_EXIT_USAGE,
                             "argument %zu after -- ('%s'): a '}' without its '{'; write }} for "
                             "a literal brace",
                             i + 1, templates[i]);
        text_buffer names = {0};
        for (size_t k = 0; k < space->n; k++) {
            if (k) buffer_append(&names, ", ", 2);
            buffer_append(&names, space->params[k].name, strlen(space->params[k].name));
        }
        int status = cli_error(
            CLI_EXIT_USAGE,
            "argument %zu after -- ('%s'): %.*s is not a parameter of the space (%s) "
            "nor {trial}%s",
            i + 1, templates[i], (int)length, where, names.text ? names.text : "",
            looks_like_name(where + 1, length - 2) ? "" : "; write {{ and }} for literal braces");
        free(names.text);
        return status;
    }
    return -1;
}

/* ---- the program ------------------------------------------------------------------ */

static bool executable_file(const char *path) {
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode) && access(path, X_OK) == 0;
}

int cli_run_check_program(const char *program) {
    if (strchr(program, '{')) return -1;
    if (!*program) return cli_error(CLI_EXIT_USAGE, "the program after -- is an empty argument");
    if (strchr(program, '/')) {
        struct stat info;
        if (stat(program, &info) != 0)
            return cli_error(CLI_EXIT_FAILURE, "cannot run '%s': %s", program, strerror(errno));
        if (!S_ISREG(info.st_mode))
            return cli_error(CLI_EXIT_FAILURE, "cannot run '%s': it is not a file", program);
        if (access(program, X_OK) != 0)
            return cli_error(CLI_EXIT_FAILURE,
                             "cannot run '%s': it is not executable (chmod +x %s, or name its "
                             "interpreter after --: -- sh %s)",
                             program, program, program);
        return -1;
    }
    /* posix_spawnp's search: each folder of PATH, an empty one meaning the
     * current folder; without PATH, glibc's default. */
    const char *path = getenv("PATH");
    if (!path) path = "/bin:/usr/bin";
    for (const char *folder = path;; folder += strcspn(folder, ":") + 1) {
        size_t length = strcspn(folder, ":");
        char *candidate = length ? cli_format("%.*s/%s", (int)length, folder, program)
                                 : cli_format("./%s", program);
        bool found = executable_file(candidate);
        free(candidate);
        if (found) return -1;
        if (!folder[length]) break;
    }
    return cli_error(CLI_EXIT_FAILURE,
                     "cannot run '%s': no executable of that name on PATH (a program in this "
                     "folder is ./%s)",
                     program, program);
}

/* ---- filling in a trial ------------------------------------------------------------ */

char *cli_run_param_text(const dial_trial_record *record, size_t i) {
    switch (record->param_kinds[i]) {
    case DIAL_PARAM_FLOAT: {
        char number[64];
        cli_format_double(record->param_values[i], number, sizeof number);
        return cli_strdup(number);
    }
    case DIAL_PARAM_INT: return cli_format("%lld", (long long)record->param_values[i]);
    case DIAL_PARAM_CHOICE: break;
    }
    return cli_strdup(record->param_texts[i] ? record->param_texts[i] : "");
}

static bool fill_placeholder(void *user, const char *name, size_t length, text_buffer *out) {
    const dial_trial_record *record = user;
    if (is_trial(name, length)) {
        char number[32];
        int n = snprintf(number, sizeof number, "%lld", (long long)record->number);
        buffer_append(out, number, (size_t)n);
        return true;
    }
    for (size_t i = 0; i < record->n_params; i++) {
        if (strlen(record->param_names[i]) != length ||
            memcmp(record->param_names[i], name, length) != 0)
            continue;
        char *text = cli_run_param_text(record, i);
        buffer_append(out, text, strlen(text));
        free(text);
        return true;
    }
    /* A parameter of the space (the check said so) that this trial does not
     * have: its condition is off. */
    return true;
}

void cli_run_command_build(char *const *templates, size_t n, const dial_trial_record *record,
                           cli_run_command *out) {
    out->argv = cli_alloc(n + 1, sizeof *out->argv);
    for (size_t i = 0; i < n; i++) {
        text_buffer filled = {0};
        buffer_append(&filled, "", 0);
        const char *where;
        size_t length;
        walk_template(templates[i], fill_placeholder, (void *)record, &filled, &where, &length);
        out->argv[i] = filled.text;
    }
    size_t inherited = 0;
    while (environ && environ[inherited]) inherited++;
    out->envp = cli_alloc(inherited + record->n_params + 2, sizeof *out->envp);
    size_t n_env = 0;
    for (size_t i = 0; i < inherited; i++)
        if (strncmp(environ[i], "DIAL_KNOB_", 10) != 0 && strncmp(environ[i], "DIAL_TRIAL=", 11))
            out->envp[n_env++] = cli_strdup(environ[i]);
    for (size_t i = 0; i < record->n_params; i++) {
        char *text = cli_run_param_text(record, i);
        out->envp[n_env++] = cli_format("DIAL_KNOB_%s=%s", record->param_names[i], text);
        free(text);
    }
    out->envp[n_env++] = cli_format("DIAL_TRIAL=%lld", (long long)record->number);
    out->envp[n_env] = NULL;
}

void cli_run_command_free(cli_run_command *command) {
    for (size_t i = 0; command->argv && command->argv[i]; i++) free(command->argv[i]);
    for (size_t i = 0; command->envp && command->envp[i]; i++) free(command->envp[i]);
    free(command->argv);
    free(command->envp);
    command->argv = command->envp = NULL;
}
