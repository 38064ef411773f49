/* The study of a program (dial ask, tell and run): a study with no model,
 * whose parameters carry their own types (--space x=float:-5..10), kept in
 * a SQLite file so that any process, in any language, can ask for a trial
 * and tell its value.
 *
 * What makes two runs one experiment is recorded in the study's identity
 * when it is created and compared when it is resumed:
 *   kind         "program" (a study of a model has "model" instead; each
 *                kind of command refuses the other's studies)
 *   space        the typed space as canonical JSON (dial_space_typed_json)
 *   sampler      auto, tpe, gp, cmaes, qmc, random or grid
 *   seed         the sampler's seed
 *   grid_points  points per continuous parameter (grid only)
 *   startup_trials  trials drawn by qmc before a sampler that learns
 *                (tpe, gp, cmaes, auto) does; not kept for the others
 *   pruner       the pruner's canonical text (dial_pruner_spec_normalize
 *                on the program's steps: "none", "asha:reduction_factor=3,
 *                min_resource=1"); a study made before pruners has none
 *                recorded and compares no pruner
 * and kept beside it, never compared:
 *   note.direction  minimize or maximize, so that a later command that
 *                   leaves --direction out resumes the study as it was made
 *                   (the library refuses the other direction itself)
 *   note.command    the program dial run runs, for listings
 * A command that gives no --space or --space-file searches the recorded
 * space, and takes the sampler, seed, grid points, startup trials and pruner
 * it was made with (so `dial tell --step` judges with the study's pruner). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* A program study's settings: the command line's where given, else the
 * recorded ones, else the defaults of a new study. */
typedef struct program_settings {
    dial_direction direction;
    dial_sampler_kind sampler;
    uint64_t seed;
    size_t grid_points;
    size_t startup_trials; /* 0: the default (10) */
    char *pruner;          /* canonical text, owned */
} program_settings;

/* A recorded value that does not read back: the file was edited by hand. */
static dial_status bad_recorded(dial_ctx *ctx, const char *name, const char *path, const char *key,
                                const char *value, const char *option) {
    return dial_fail(ctx, DIAL_ERR_FORMAT,
                     "study '%s' in %s holds %s '%s', which this dial does not read; give %s on "
                     "the command line",
                     name, path, key, value, option);
}

/* Takes each setting the command line left out from the study's record. */
static dial_status restore_settings(dial_ctx *ctx, const cli_options *opts, const char *name,
                                    const char *path, const dial_study_identity *stored,
                                    program_settings *settings) {
    settings->direction = opts->direction;
    settings->sampler = opts->sampler;
    settings->seed = opts->seed;
    settings->grid_points = opts->grid_points ? opts->grid_points : 10;
    settings->startup_trials = opts->startup_trials;
    const char *value;
    if (!(opts->given & CLI_OPT_DIRECTION) &&
        (value = dial_study_identity_get(stored, "note.direction"))) {
        if (strcmp(value, "maximize") == 0)
            settings->direction = DIAL_MAXIMIZE;
        else if (strcmp(value, "minimize") != 0)
            return bad_recorded(ctx, name, path, "direction", value, "--direction");
    }
    if (!(opts->given & CLI_OPT_SAMPLER) && (value = dial_study_identity_get(stored, "sampler")) &&
        !cli_sampler_parse(value, &settings->sampler))
        return bad_recorded(ctx, name, path, "sampler", value, "--sampler");
    if (!(opts->given & CLI_OPT_SEED) && (value = dial_study_identity_get(stored, "seed"))) {
        char *end;
        unsigned long long seed = strtoull(value, &end, 10);
        if (!*value || *value == '-' || *end)
            return bad_recorded(ctx, name, path, "seed", value, "--seed");
        settings->seed = (uint64_t)seed;
    }
    if (!(opts->given & CLI_OPT_GRID_POINTS) &&
        (value = dial_study_identity_get(stored, "grid_points"))) {
        char *end;
        unsigned long long points = strtoull(value, &end, 10);
        if (!*value || *value == '-' || *end || points == 0)
            return bad_recorded(ctx, name, path, "grid_points", value, "--grid-points");
        settings->grid_points = (size_t)points;
    }
    if (!(opts->given & CLI_OPT_STARTUP_TRIALS) &&
        (value = dial_study_identity_get(stored, "startup_trials")) &&
        !cli_startup_trials_parse(value, &settings->startup_trials))
        return bad_recorded(ctx, name, path, "startup_trials", value, "--startup-trials");
    /* The program's steps are the resource: their end is unknown. */
    if (opts->given & CLI_OPT_PRUNER)
        return dial_pruner_spec_normalize(ctx, opts->pruner, DIAL_RESOURCE_STEPS, 0,
                                          &settings->pruner);
    value = dial_study_identity_get(stored, "pruner");
    if (dial_pruner_spec_normalize(ctx, value, DIAL_RESOURCE_STEPS, 0, &settings->pruner) !=
        DIAL_OK)
        return bad_recorded(ctx, name, path, "pruner", value, "--pruner");
    return DIAL_OK;
}

/* A study of a model belongs to dial tune: its trials mean something else. */
static dial_status refuse_model_study(dial_ctx *ctx, const char *name, const char *path,
                                      const dial_study_identity *stored) {
    const char *model = dial_study_identity_get(stored, "model");
    if (!model) return DIAL_OK;
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "study '%s' in %s tunes the model %s (dial tune); dial ask, tell and run "
                     "serve studies of a program",
                     name, path, model);
}

/* The space the command line gives: --space-file, then each --space item
 * (which replaces a parameter of the file's of the same name). */
static dial_status space_from_options(dial_ctx *ctx, const cli_options *opts, dial_space *space) {
    dial_status status = DIAL_OK;
    if (opts->space_file) {
        char *text = NULL;
        status = cli_read_space_file(ctx, opts->space_file, &text);
        if (status == DIAL_OK)
            status = dial_space_add_typed_json(ctx, space, text, opts->space_file);
        free(text);
    }
    for (size_t i = 0; status == DIAL_OK && i < opts->n_spaces; i++)
        status = dial_space_add_typed(ctx, space, opts->spaces[i]);
    if (status == DIAL_OK && space->n == 0)
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                           "space file %s defines no parameter: give at least one, such as "
                           "{\"x\": \"float:-5..10\"}",
                           opts->space_file);
    return status;
}

/* The space the study was created with. */
static dial_status space_from_study(dial_ctx *ctx, const char *name, const char *path,
                                    const dial_study_identity *stored, bool found,
                                    dial_space *space) {
    const char *recorded = found ? dial_study_identity_get(stored, "space") : NULL;
    if (!found)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "study '%s' in %s does not exist yet: give its space with --space "
                         "NAME=TYPE:... or --space-file FILE",
                         name, path);
    if (!recorded)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "study '%s' in %s has no recorded space: give it with --space "
                         "NAME=TYPE:... or --space-file FILE",
                         name, path);
    char *where = cli_format("the space of study '%s' in %s", name, path);
    dial_status status = dial_space_add_typed_json(ctx, space, recorded, where);
    free(where);
    return status;
}

/* kind, space, sampler, seed, grid_points, startup_trials, pruner; then
 * the notes. */
static dial_status program_identity(dial_ctx *ctx, const dial_space *space,
                                    const program_settings *settings, const char *program_note,
                                    dial_study_identity *identity) {
    char *space_json = NULL;
    dial_status status = dial_space_typed_json(ctx, space, &space_json);
    char number[32];
    if (status == DIAL_OK) status = dial_study_identity_set(ctx, identity, "kind", "program");
    if (status == DIAL_OK) status = dial_study_identity_set(ctx, identity, "space", space_json);
    if (status == DIAL_OK)
        status =
            dial_study_identity_set(ctx, identity, "sampler", cli_sampler_name(settings->sampler));
    snprintf(number, sizeof number, "%llu", (unsigned long long)settings->seed);
    if (status == DIAL_OK) status = dial_study_identity_set(ctx, identity, "seed", number);
    snprintf(number, sizeof number, "%zu", settings->grid_points);
    if (status == DIAL_OK && settings->sampler == DIAL_SAMPLER_GRID)
        status = dial_study_identity_set(ctx, identity, "grid_points", number);
    if (status == DIAL_OK)
        status =
            cli_startup_trials_identity(ctx, settings->sampler, settings->startup_trials, identity);
    if (status == DIAL_OK)
        status = dial_study_identity_set(ctx, identity, "pruner", settings->pruner);
    if (status == DIAL_OK)
        status =
            dial_study_identity_set(ctx, identity, "note.direction",
                                    settings->direction == DIAL_MAXIMIZE ? "maximize" : "minimize");
    if (status == DIAL_OK && program_note)
        status = dial_study_identity_set(ctx, identity, "note.command", program_note);
    free(space_json);
    return status;
}

/* Reads what the file records of the study, refusing a study of a model. */
static dial_status read_record(dial_ctx *ctx, const char *path, const char *name,
                               dial_study_identity *stored, bool *found) {
    dial_status status = dial_study_identity_read(ctx, path, name, stored, found);
    if (status == DIAL_OK && *found) status = refuse_model_study(ctx, name, path, stored);
    return status;
}

static dial_status open_with(dial_ctx *ctx, const cli_options *opts, const char *path,
                             const char *name, const program_settings *settings,
                             const dial_space *space, const dial_study_identity *identity,
                             dial_study **study) {
    dial_study_options options = {.name = name,
                                  .storage = path,
                                  .direction = settings->direction,
                                  .sampler = settings->sampler,
                                  .space = space,
                                  .grid_points = settings->grid_points,
                                  .seed = settings->seed,
                                  .heartbeat_seconds = opts->heartbeat,
                                  .identity = identity,
                                  .startup_trials = settings->startup_trials,
                                  .cost_aware = opts->cost_aware,
                                  .pruner = settings->pruner,
                                  .resource = DIAL_RESOURCE_STEPS};
    return dial_study_open(ctx, &options, study);
}

dial_status cli_program_study_open(dial_ctx *ctx, const cli_options *opts, const char *path,
                                   const char *program_note, dial_study **study, dial_space *space,
                                   bool *created) {
    *study = NULL;
    if (created) *created = false;
    *space = (dial_space){0, NULL};
    const char *name = opts->study_name ? opts->study_name : "default";
    dial_study_identity stored = {0}, wanted = {0};
    program_settings settings = {0};
    bool found = false;
    dial_status status = read_record(ctx, path, name, &stored, &found);
    if (status == DIAL_OK) status = restore_settings(ctx, opts, name, path, &stored, &settings);
    if (status == DIAL_OK) {
        if (opts->n_spaces > 0 || opts->space_file)
            status = space_from_options(ctx, opts, space);
        else
            status = space_from_study(ctx, name, path, &stored, found, space);
    }
    if (status == DIAL_OK) status = program_identity(ctx, space, &settings, program_note, &wanted);
    if (status == DIAL_OK)
        status = open_with(ctx, opts, path, name, &settings, space, &wanted, study);
    if (status != DIAL_OK) dial_space_free(space);
    if (status == DIAL_OK && created) *created = !found;
    free(settings.pruner);
    dial_study_identity_free(&stored);
    dial_study_identity_free(&wanted);
    return status;
}

dial_status cli_program_study_open_existing(dial_ctx *ctx, const cli_options *opts,
                                            const char *path, dial_study **study) {
    *study = NULL;
    const char *name = opts->study_name ? opts->study_name : "default";
    dial_study_identity stored = {0};
    dial_space space = {0, NULL};
    program_settings settings = {0};
    bool found = false;
    dial_status status = read_record(ctx, path, name, &stored, &found);
    if (status == DIAL_OK && !found) {
        /* The library's reader names what the file holds (or that there
         * is no file), and never creates one. */
        dial_study *missing = NULL;
        status = dial_study_load(ctx, path, name, &missing);
        dial_study_free(missing);
        if (status == DIAL_OK)
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT, "study '%s' in %s is empty", name, path);
    }
    if (status == DIAL_OK) status = restore_settings(ctx, opts, name, path, &stored, &settings);
    if (status == DIAL_OK) status = space_from_study(ctx, name, path, &stored, found, &space);
    /* Opened without an identity: nothing is compared or recorded. */
    if (status == DIAL_OK)
        status = open_with(ctx, opts, path, name, &settings, &space, NULL, study);
    dial_space_free(&space);
    free(settings.pruner);
    dial_study_identity_free(&stored);
    return status;
}

dial_status cli_study_is_program(dial_ctx *ctx, const char *path, const dial_study *study,
                                 bool *program) {
    dial_study_identity identity = {0};
    bool found = false;
    dial_status status =
        dial_study_identity_read(ctx, path, dial_study_name(study), &identity, &found);
    *program = status == DIAL_OK && found && cli_is_program_study(&identity);
    dial_study_identity_free(&identity);
    return status;
}
