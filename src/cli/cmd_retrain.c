/* dial retrain MODEL.dial NEW.csv -o NEW.dial [--append OLD.csv]: the
 * saved model's family and knobs (its preprocessing knobs included),
 * target, task and features refitted on new rows, optionally after the
 * rows of an older file; the new model file records what it was
 * retrained from ("retrained_from", docs/modelfile.md).
 *
 * Map: the old model is loaded and its checksum read; each data file is
 * read and bound to the model's columns on its own (so an error names the
 * file, and each file's rows get their own fingerprint); with --append the
 * two files' text is read once more as one table, so that a column's
 * levels and type are those of all the rows; then the fit, the record and
 * the save, which replaces -o atomically and never the old model. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const cli_command retrain_command = {
    .name = "retrain",
    .usage = "dial retrain MODEL.dial NEW.csv -o NEW.dial [options]",
    .positional = (const char *const[]){"MODEL", "DATA"},
    .n_positional = 2,
    .options = CLI_OPT_OUTPUT | CLI_OPT_APPEND | CLI_OPT_SEP | CLI_OPT_NO_HEADER | CLI_OPT_SEED |
               CLI_OPT_JOBS | CLI_OPT_JSON | CLI_OPT_HELP,
    .help = "Usage: dial retrain MODEL.dial NEW.csv -o NEW.dial [options]\n"
            "\n"
            "Refits a saved model on new data with the same knobs: the same family, knobs\n"
            "(preprocessing ones included), target, task and features, found in NEW.csv by\n"
            "name (other columns are ignored). The new model file records what it was\n"
            "retrained from: the old model file's checksum and data hash, where its knobs\n"
            "came from (the tuning that chose them), and each data file with its rows and\n"
            "hash; 'dial inspect NEW.dial' shows it. Use it when 'dial drift' says\n"
            "retrain; when it says re-tune, run 'dial tune ... --warm-start STUDY'.\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE     where to save the new model (required); never MODEL.dial\n"
            "                        itself: write beside it, check, then rename\n"
            "  --append OLD.csv      read the rows of OLD.csv first, then NEW.csv's: both\n"
            "                        files must have the same columns in the same order\n"
            "  --sep CHAR            the CSV separator (default: detect , ; or tab)\n"
            "  --no-header           the first row is data, not column names\n"
            "  --seed N              seed of the fit's randomness (default: the old model's)\n"
            "  -j, --jobs N          threads to use (default: the number of CPUs)\n"
            "  --json                print the summary as JSON\n"
            "  -h, --help            this help\n"
            "\n"
            "Example:\n"
            "  dial fit logistic data/breast_cancer.csv --target diagnosis -o bc.dial\n"
            "  dial retrain bc.dial may.csv -o bc-may.dial\n"
            "  dial retrain bc.dial may.csv --append data/breast_cancer.csv -o bc-may.dial\n",
};

/* The CRC-64 in a model file's last 8 bytes: it identifies the file's
 * exact bytes. Read after the model loaded, which checked it. */
static dial_status model_checksum(dial_ctx *ctx, const char *path, uint64_t *checksum) {
    FILE *file = fopen(path, "rb");
    unsigned char bytes[8];
    bool read = file && fseek(file, -8, SEEK_END) == 0 && fread(bytes, 1, 8, file) == 8;
    if (file) fclose(file);
    if (!read) return dial_fail(ctx, DIAL_ERR_IO, "cannot read the checksum of %s", path);
    *checksum = 0;
    for (int i = 0; i < 8; i++) *checksum |= (uint64_t)bytes[i] << (8 * i);
    return DIAL_OK;
}

static dial_status read_bytes(dial_ctx *ctx, const char *path, char **bytes, size_t *length) {
    FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!file) return dial_fail(ctx, DIAL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    size_t capacity = 1 << 16, n = 0;
    char *buffer = cli_alloc(capacity, 1);
    size_t got;
    while ((got = fread(buffer + n, 1, capacity - n, file)) > 0) {
        n += got;
        if (n == capacity) {
            char *bigger = realloc(buffer, capacity * 2);
            if (!bigger) {
                free(buffer);
                if (file != stdin) fclose(file);
                return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading %s", path);
            }
            buffer = bigger;
            capacity *= 2;
        }
    }
    bool failed = ferror(file) != 0;
    if (file != stdin) fclose(file);
    if (failed) {
        free(buffer);
        return dial_fail(ctx, DIAL_ERR_IO, "cannot read %s", path);
    }
    *bytes = buffer;
    *length = n;
    return DIAL_OK;
}

/* Where the first record of a CSV text ends (after its newline): a header
 * row, whose quoted fields may hold newlines. */
static size_t first_record_end(const char *bytes, size_t length) {
    bool quoted = false;
    for (size_t i = 0; i < length; i++) {
        if (bytes[i] == '"') quoted = !quoted;
        if (bytes[i] == '\n' && !quoted) return i + 1;
    }
    return length;
}

static bool is_feature(const dial_model *model, const char *name) {
    for (size_t j = 0; j < dial_model_n_features(model); j++)
        if (strcmp(dial_model_feature_name(model, j), name) == 0) return true;
    return false;
}

/* The rows of table as model's fit saw its own: its target (by name) and
 * task, its features in its order and of its types, every other column
 * ignored. name is the file, for messages. */
static dial_status bind_rows(dial_ctx *ctx, const dial_model *model, const char *model_path,
                             const dial_table *table, const char *name, dial_dataset **out) {
    *out = NULL;
    dial_task task = dial_model_get_task(model);
    const char *target = dial_model_target_name(model);
    bool clustering = task == DIAL_TASK_CLUSTERING;
    if (table->sparse && !table->sparse_first) /* a LIBSVM file, not a CSV read sparse */
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "%s is sparse (LIBSVM): dial retrain reads CSV; refit a model of sparse "
                         "data with 'dial fit'",
                         name);
    if (!clustering && dial_table_find(table, target) < 0)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "%s has no column '%s', the target of %s: retrain needs the model's "
                         "target and features (see 'dial inspect %s')",
                         name, target, model_path, model_path);
    for (size_t j = 0; j < dial_model_n_features(model); j++) {
        const char *feature = dial_model_feature_name(model, j);
        long c = dial_table_find(table, feature);
        if (c < 0)
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "%s has no column '%s', a feature of %s: retrain needs the model's "
                             "target and features (see 'dial inspect %s')",
                             name, feature, model_path, model_path);
        dial_column_type type = dial_model_feature_type(model, j);
        if (table->cols[c].type != type)
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "column '%s' of %s is %s, but %s was fitted on it as %s: a retrain "
                             "keeps the model's features; fit a new model with 'dial fit'",
                             feature, name,
                             table->cols[c].type == DIAL_COLUMN_NUMERIC ? "numeric" : "categorical",
                             model_path, type == DIAL_COLUMN_NUMERIC ? "numeric" : "categorical");
    }
    dial_dataset *data = NULL;
    dial_status status = clustering ? dial_dataset_features_only(ctx, table, &data)
                                    : dial_dataset_from_table(ctx, table, target, task, &data);
    for (size_t c = 0; status == DIAL_OK && c < table->n_cols; c++) {
        const char *column = table->cols[c].name;
        if ((clustering || strcmp(column, target) != 0) && !is_feature(model, column))
            status = dial_dataset_ignore(ctx, data, column);
    }
    /* The model's order, so that the new model's features read as the
     * old one's whatever the order of the file's columns. */
    for (size_t j = 0; status == DIAL_OK && j < data->n_features; j++) {
        const char *feature = dial_model_feature_name(model, j);
        for (size_t k = j; k < data->n_features; k++)
            if (strcmp(data->features[k]->name, feature) == 0) {
                const dial_column *swap = data->features[j];
                data->features[j] = data->features[k];
                data->features[k] = swap;
                break;
            }
    }
    if (status != DIAL_OK) {
        dial_dataset_free(data);
        return status;
    }
    *out = data;
    return DIAL_OK;
}

/* One data file: its text, its table, its rows bound to the model. */
typedef struct data_file {
    const char *path;
    char *bytes;
    size_t length;
    dial_table *table;
    dial_dataset *data;
} data_file;

static dial_status read_data_file(dial_ctx *ctx, const cli_options *opts, const dial_model *model,
                                  const char *model_path, data_file *file) {
    /* A model fitted on a CSV read sparse is refitted on one. */
    dial_csv_options csv = {.separator = opts->separator,
                            .header = opts->no_header ? DIAL_HEADER_NO : DIAL_HEADER_AUTO,
                            .sparse = cli_model_reads_csv_sparse(model)};
    dial_status status = read_bytes(ctx, file->path, &file->bytes, &file->length);
    if (status == DIAL_OK)
        status = dial_csv_parse(ctx, cli_display_path(file->path), file->bytes, file->length, &csv,
                                &file->table);
    if (status == DIAL_OK)
        status = bind_rows(ctx, model, model_path, file->table, cli_display_path(file->path),
                           &file->data);
    return status;
}

static void data_file_free(data_file *file) {
    dial_dataset_free(file->data);
    dial_table_free(file->table);
    free(file->bytes);
}

/* --append: the same columns in the same order, or one line saying where
 * they part. */
static dial_status check_same_columns(dial_ctx *ctx, const data_file *old, const data_file *new) {
    const dial_table *a = old->table, *b = new->table;
    const char *old_name = cli_display_path(old->path), *new_name = cli_display_path(new->path);
    for (size_t c = 0; c < a->n_cols && c < b->n_cols; c++)
        if (strcmp(a->cols[c].name, b->cols[c].name) != 0)
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "--append %s: its column %zu is '%s' where %s has '%s'; the files "
                             "must have the same columns in the same order",
                             old_name, c + 1, a->cols[c].name, new_name, b->cols[c].name);
    if (a->n_cols != b->n_cols)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "--append %s has %zu columns but %s has %zu; the files must have the "
                         "same columns in the same order",
                         old_name, a->n_cols, new_name, b->n_cols);
    return DIAL_OK;
}

/* Both files as one table: the old text, then the new one less its header
 * row, parsed together so that a level or a type is the same in all rows. */
static dial_status append_tables(dial_ctx *ctx, const cli_options *opts, const data_file *old,
                                 const data_file *new, char **bytes, dial_table **table) {
    size_t skip = old->table->has_header ? first_record_end(new->bytes, new->length) : 0;
    bool newline = old->length > 0 && old->bytes[old->length - 1] != '\n';
    size_t length = old->length + newline + (new->length - skip);
    *bytes = cli_alloc(length + 1, 1);
    memcpy(*bytes, old->bytes, old->length);
    if (newline) (*bytes)[old->length] = '\n';
    memcpy(*bytes + old->length + newline, new->bytes + skip, new->length - skip);
    char *name = cli_format("%s + %s", cli_display_path(old->path), cli_display_path(new->path));
    dial_csv_options csv = {.separator = opts->separator,
                            .header = opts->no_header ? DIAL_HEADER_NO : DIAL_HEADER_AUTO,
                            .sparse = old->table->sparse_first != NULL};
    dial_status status = dial_csv_parse(ctx, name, *bytes, length, &csv, table);
    free(name);
    return status;
}

static json_t *hex_json(uint64_t value) {
    char text[17];
    snprintf(text, sizeof text, "%016" PRIx64, value);
    return json_string(text);
}

/* Where the old model's knobs came from: its tuning record, or, for a
 * model retrained itself, its own record's source; null when they were
 * set by hand or left at their defaults. */
static json_t *knobs_source(const dial_model *old) {
    const char *tuning = dial_model_get_tuning(old);
    if (tuning) return json_loads(tuning, 0, NULL);
    const char *retrained = dial_model_get_retrained_from(old);
    json_t *record = retrained ? json_loads(retrained, 0, NULL) : NULL;
    json_t *source = record ? json_incref(json_object_get(record, "knobs_source")) : NULL;
    json_decref(record);
    return source ? source : json_null();
}

static json_t *retrained_record(const char *model_path, uint64_t checksum, const dial_model *old,
                                const data_file *files, size_t n_files) {
    json_t *data = json_array();
    for (size_t i = 0; i < n_files; i++) {
        dial_view all = dial_view_all(files[i].data);
        json_array_append_new(data,
                              json_pack("{s:s, s:I, s:o}", "file", cli_display_path(files[i].path),
                                        "rows", (json_int_t)files[i].data->n_rows, "fingerprint",
                                        hex_json(dial_view_fingerprint(&all))));
    }
    return json_pack("{s:s, s:o, s:o, s:o, s:o}", "model_file", cli_display_path(model_path),
                     "model_checksum", hex_json(checksum), "model_data_fingerprint",
                     hex_json(dial_model_get_facts(old)->data_fingerprint), "knobs_source",
                     knobs_source(old), "data", data);
}

/* "C=0.5, gamma=0.01": every active knob, as the old model holds it. */
static char *knobs_text(const dial_knobs *knobs) {
    char *text = cli_strdup("");
    for (size_t i = 0; i < knobs->n; i++) {
        if (!dial_knobs_active(knobs, i)) continue;
        char value[64];
        dial_knobs_format(knobs, i, value, sizeof value);
        char *longer =
            cli_format("%s%s%s=%s", text, *text ? ", " : "", knobs->specs[i].name, value);
        free(text);
        text = longer;
    }
    return text;
}

static void print_summary(const char *model_path, const dial_model *model, const data_file *files,
                          size_t n_files, const char *output) {
    printf("retrained %s from %s\n", dial_model_get_family(model)->name,
           cli_display_path(model_path));
    cli_table table;
    cli_table_init(&table, 2);
    table.wrap[1] = true;
    char *knobs = knobs_text(dial_model_get_knobs(model));
    char *rows =
        n_files > 1 ? cli_format("%zu:", dial_model_get_facts(model)->n_rows) : cli_strdup("");
    for (size_t i = 0; i < n_files; i++) {
        char *longer = cli_format("%s%s%zu from %s", rows,
                                  i       ? " + "
                                  : *rows ? " "
                                          : "",
                                  files[i].data->n_rows, cli_display_path(files[i].path));
        free(rows);
        rows = longer;
    }
    char *hash = cli_format("%016" PRIx64, dial_model_get_facts(model)->data_fingerprint);
    cli_table_add(&table, (const char *[]){"knobs", knobs});
    cli_table_add(&table, (const char *[]){"rows", rows});
    cli_table_add(&table, (const char *[]){"data hash", hash});
    cli_table_add(&table, (const char *[]){"saved to", output});
    cli_table_print(&table, stdout, 2);
    cli_table_free(&table);
    free(knobs);
    free(rows);
    free(hash);
}

/* The usage mistakes, before anything is read: -o missing, or naming the
 * old model or a data file. Returns -1 or the exit status. */
static int check_output(const cli_options *opts) {
    if (!opts->output)
        return cli_error(CLI_EXIT_USAGE,
                         "retrain needs -o NEW.dial, where to save the retrained model (it never "
                         "replaces %s)",
                         opts->positional[0]);
    if (strcmp(opts->output, "-") == 0) return -1;
    int refused =
        cli_check_option_output_not_input("-o", opts->output, opts->positional[0], "the old model");
    if (refused < 0)
        refused = cli_check_option_output_not_input("-o", opts->output, opts->positional[1],
                                                    "the new data file");
    if (refused < 0 && opts->append)
        refused = cli_check_option_output_not_input("-o", opts->output, opts->append,
                                                    "the --append data file");
    return refused;
}

int cli_cmd_retrain(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&retrain_command, argc, argv, &opts);
    if (status < 0) status = check_output(&opts);
    if (status < 0 && strcmp(opts.positional[0], "-") == 0)
        status = cli_error(CLI_EXIT_USAGE,
                           "retrain reads MODEL from a file, not stdin: its checksum is recorded");
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    const char *model_path = opts.positional[0];
    dial_ctx *ctx = cli_context(&opts);
    dial_model *old = NULL, *model = NULL;
    data_file files[2] = {{0}};
    size_t n_files = 0;
    dial_table *all_table = NULL;
    dial_dataset *all_data = NULL;
    char *all_bytes = NULL;
    json_t *record = NULL;
    uint64_t checksum = 0;

    dial_status result = dial_model_load(ctx, model_path, &old);
    if (result == DIAL_OK) result = model_checksum(ctx, model_path, &checksum);
    /* The fit draws as the old one did unless told otherwise. */
    if (result == DIAL_OK && !(opts.given & CLI_OPT_SEED))
        dial_ctx_set_seed(ctx, dial_model_get_facts(old)->seed);
    if (result == DIAL_OK && opts.append) {
        files[n_files++].path = opts.append;
        result = read_data_file(ctx, &opts, old, model_path, &files[0]);
    }
    if (result == DIAL_OK) {
        files[n_files].path = opts.positional[1];
        result = read_data_file(ctx, &opts, old, model_path, &files[n_files++]);
    }
    const dial_dataset *fit_data = result == DIAL_OK ? files[n_files - 1].data : NULL;
    if (result == DIAL_OK && n_files == 2) {
        result = check_same_columns(ctx, &files[0], &files[1]);
        if (result == DIAL_OK)
            result = append_tables(ctx, &opts, &files[0], &files[1], &all_bytes, &all_table);
        if (result == DIAL_OK)
            result = bind_rows(ctx, old, model_path, all_table, "the appended files", &all_data);
        fit_data = all_data;
    }
    if (result == DIAL_OK) {
        dial_view all = dial_view_all(fit_data);
        result = dial_model_fit(ctx, dial_model_get_family(old), dial_model_get_knobs(old), &all,
                                &model);
        /* The new rows are what later data is compared with (dial drift). */
        if (result == DIAL_OK) result = dial_model_set_drift_reference(ctx, model, &all);
    }
    if (result == DIAL_OK) {
        record = retrained_record(model_path, checksum, old, files, n_files);
        char *text = record ? json_dumps(record, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
        result = text ? dial_model_set_retrained_from(ctx, model, text)
                      : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory");
        free(text);
    }
    if (result == DIAL_OK) result = cli_save_model(ctx, model, opts.output);

    if (result != DIAL_OK) {
        status = cli_fail(ctx, result);
    } else if (strcmp(opts.output, "-") == 0) {
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    } else {
        if (opts.json)
            cli_json_print(json_pack("{s:s, s:s, s:I, s:s, s:O}", "model",
                                     dial_model_get_family(model)->name, "from",
                                     cli_display_path(model_path), "rows",
                                     (json_int_t)dial_model_get_facts(model)->n_rows, "output",
                                     opts.output, "retrained_from", record),
                           stdout, 17);
        else
            print_summary(model_path, model, files, n_files, opts.output);
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    json_decref(record);
    dial_model_free(model);
    dial_model_free(old);
    dial_dataset_free(all_data);
    dial_table_free(all_table);
    free(all_bytes);
    for (size_t i = 0; i < n_files; i++) data_file_free(&files[i]);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}
