/* dial drift MODEL.dial NEW.csv: has the data moved since the model was
 * fitted? Compares NEW.csv with the drift reference the model file keeps
 * (no training data needed), scores the model on NEW.csv when it holds
 * the target, and gives a verdict a cron job can act on: exit status 0
 * keep, 3 retrain, 4 re-tune (docs/drift.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

enum { DRIFT_EXIT_RETRAIN = 3, DRIFT_EXIT_RETUNE = 4 };

static const cli_command drift_command = {
    .name = "drift",
    .usage = "dial drift MODEL.dial NEW [options]",
    .positional = (const char *const[]){"MODEL.dial", "NEW"},
    .n_positional = 2,
    .options = CLI_OPT_TARGET | CLI_OPT_SEP | CLI_OPT_NO_HEADER | CLI_OPT_JSON | CLI_OPT_JOBS |
               CLI_OPT_HELP,
    .help = "Usage: dial drift MODEL.dial NEW [options]\n"
            "\n"
            "Compares the rows of NEW (CSV or LIBSVM) with what MODEL's training rows looked\n"
            "like, from the reference the model file keeps (dial fit and dial tune -o write\n"
            "it): per feature the population stability index (PSI) and a two-sample test\n"
            "(Kolmogorov-Smirnov for a numeric feature, chi-squared for a categorical one),\n"
            "levels never seen in training and the missing share, features sorted by PSI\n"
            "with the model's importance beside. When NEW holds the target (--target, or a\n"
            "column named as the model's target), the model's score on NEW is shown beside\n"
            "the cross-validated score dial tune recorded, with a confidence interval.\n"
            "\n"
            "Verdict and exit status:\n"
            "  keep     (0)  no feature drifted and the score holds\n"
            "  retrain  (3)  some feature drifted: PSI >= --psi-threshold and p-value <\n"
            "                --p-threshold; refit the same knobs on recent data\n"
            "  re-tune  (4)  the score fell below the CV interval, or the drifted features\n"
            "                carry at least --importance-threshold of the model's importance\n"
            "  errors exit 1 (2 for a mistake on the command line), as everywhere.\n"
            "\n"
            "Options:\n"
            "  -t, --target COLUMN          the column of true values in NEW\n"
            "  --psi-threshold X            PSI from which a feature has drifted (default 0.2)\n"
            "  --p-threshold P              test p-value below which it has (default 0.01)\n"
            "  --importance-threshold F     share of the importance whose drift means re-tune\n"
            "                               (default 0.5; models that learn an importance)\n"
            "  --confidence C               of the score's interval (default 0.95)\n"
            "  --sep CHAR                   the CSV separator (default: detect , ; or tab)\n"
            "  --no-header                  the first row is data, not column names\n"
            "  -j, --jobs N                 threads to use\n"
            "  --json                       print {verdict, reasons, score, features} as JSON\n"
            "  -h, --help                   this help\n"
            "\n"
            "Examples:\n"
            "  dial drift model.dial this_month.csv\n"
            "  dial drift model.dial this_month.csv --target price --json\n"
            "  dial drift model.dial new.csv --psi-threshold 0.1 || echo \"act: exit $?\"\n",
};

typedef struct drift_thresholds {
    double psi, p, importance, confidence;
} drift_thresholds;

/* The options only dial drift has, taken out of argv before the common
 * parser sees it. Returns -1 to go on, or an exit status. */
static int take_thresholds(int *argc, char **argv, drift_thresholds *out) {
    static const struct {
        const char *name;
        double low, high;
        bool low_open, high_open;
        const char *range;
    } specs[] = {
        {"--psi-threshold", 0, INFINITY, true, true, "must be > 0"},
        {"--p-threshold", 0, 1, true, false, "must be in (0, 1]"},
        {"--importance-threshold", 0, 1, true, false, "must be in (0, 1]"},
        {"--confidence", 0, 1, true, true, "must be in (0, 1)"},
    };
    double *targets[] = {&out->psi, &out->p, &out->importance, &out->confidence};
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        size_t which = sizeof specs / sizeof *specs;
        const char *text = NULL;
        for (size_t s = 0; s < sizeof specs / sizeof *specs; s++) {
            size_t length = strlen(specs[s].name);
            if (strcmp(argv[i], specs[s].name) == 0) {
                which = s;
                if (i + 1 >= *argc)
                    return cli_error(CLI_EXIT_USAGE, "%s needs a value; see dial drift --help",
                                     specs[s].name);
                text = argv[++i];
            } else if (strncmp(argv[i], specs[s].name, length) == 0 && argv[i][length] == '=') {
                which = s;
                text = argv[i] + length + 1;
            }
            if (text) break;
        }
        if (strcmp(argv[i], "--") == 0 && !text) {
            while (i < *argc) argv[kept++] = argv[i++];
            break;
        }
        if (!text) {
            argv[kept++] = argv[i];
            continue;
        }
        char *end = NULL;
        double value = strtod(text, &end);
        bool ok = end != text && *end == '\0' && !isnan(value) &&
                  (specs[which].low_open ? value > specs[which].low : value >= specs[which].low) &&
                  (specs[which].high_open ? value < specs[which].high : value <= specs[which].high);
        if (!ok)
            return cli_error(CLI_EXIT_USAGE, "%s %s is out of range: %s", specs[which].name, text,
                             specs[which].range);
        *targets[which] = value;
    }
    *argc = kept;
    argv[kept] = NULL;
    return -1;
}

/* The inverse of the standard normal CDF at p in (0, 1) (Acklam's rational
 * approximation refined by one Halley step: near double precision). */
static double normal_quantile(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155092176e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    double q, x;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p > 1 - 0.02425) {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        q = p - 0.5;
        double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    double e = 0.5 * erfc(-x / sqrt(2)) - p;
    double u = e * sqrt(2 * 3.14159265358979323846) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

/* The model's score on NEW beside the recorded CV score. */
typedef struct drift_score {
    bool present; /* NEW had the target */
    dial_metric metric;
    double value;
    size_t rows;
    bool has_cv;
    double low, high; /* the interval around the CV mean */
    bool fell;        /* the value is beyond it on the bad side */
    dial_drift_feature_result target;
    bool has_target_drift;
} drift_score;

static dial_status score_new_rows(dial_ctx *ctx, const dial_model *model,
                                  const dial_drift_reference *reference, const dial_dataset *data,
                                  double confidence, drift_score *out) {
    out->present = true;
    out->rows = data->n_rows;
    out->metric = dial_metric_default(dial_model_get_task(model));
    dial_status status = DIAL_OK;
    if (reference->has_cv) status = dial_metric_parse(ctx, reference->cv.metric, &out->metric);
    if (status != DIAL_OK) return status;
    bool proba = dial_metric_needs_proba(out->metric);
    size_t n_classes = dial_model_n_classes(model), n = data->n_rows;
    double *predicted = cli_alloc(n ? n : 1, sizeof *predicted);
    double *probabilities = proba ? cli_alloc(n ? n * n_classes : 1, sizeof *probabilities) : NULL;
    dial_view all = dial_view_all(data);
    status = dial_model_predict(ctx, model, &all, predicted, probabilities);
    if (status == DIAL_OK)
        status = dial_metric_score(ctx, out->metric, data->y, predicted, probabilities, n,
                                   n_classes, &out->value);
    free(predicted);
    free(probabilities);
    if (status == DIAL_OK && reference->has_target) {
        status = dial_drift_compare_target(ctx, reference, data->y, n, &out->target);
        out->has_target_drift = status == DIAL_OK;
    }
    if (status != DIAL_OK || !reference->has_cv) return status;
    /* Normal approximation: the new score and the CV mean each estimate
     * the model's score; the fold scores' sd s, over k scores of test
     * folds of m rows, gives the CV mean an sd of s / sqrt(k) and a score
     * on n rows one of about s sqrt(m / n). */
    const dial_drift_cv *cv = &reference->cv;
    double k = (double)cv->n_scores, m = (double)cv->n_rows / (double)cv->n_folds;
    double spread = cv->sd * sqrt(1 / k + m / (double)(n ? n : 1));
    double z = normal_quantile(0.5 + confidence / 2);
    out->has_cv = true;
    out->low = cv->mean - z * spread;
    out->high = cv->mean + z * spread;
    out->fell = cv->maximize ? out->value < out->low : out->value > out->high;
    return DIAL_OK;
}

typedef struct drift_verdict {
    int exit_status;
    const char *name;
    char **reasons;
    size_t n_reasons;
} drift_verdict;

static void add_reason(drift_verdict *verdict, char *reason) {
    verdict->reasons =
        realloc(verdict->reasons, (verdict->n_reasons + 1) * sizeof *verdict->reasons);
    if (!verdict->reasons) {
        fprintf(stderr, "dial: out of memory\n");
        exit(CLI_EXIT_FAILURE);
    }
    verdict->reasons[verdict->n_reasons++] = reason;
}

static void decide(const dial_drift_reference *reference, const dial_drift_feature_result *results,
                   size_t n, bool has_importance, const drift_score *score,
                   const drift_thresholds *limits, drift_verdict *verdict) {
    size_t drifted = 0;
    double drifted_importance = 0;
    for (size_t i = 0; i < n; i++) {
        if (!results[i].drifted) continue;
        drifted++;
        if (!isnan(results[i].importance)) drifted_importance += results[i].importance;
        add_reason(verdict,
                   cli_format("feature '%s' drifted: PSI %.3f >= %g and %s p-value %.3g < %g",
                              results[i].name, results[i].psi, limits->psi,
                              strcmp(results[i].test, "ks") == 0 ? "KS" : "chi-squared",
                              results[i].p_value, limits->p));
    }
    bool retune = false;
    if (drifted && has_importance && drifted_importance >= limits->importance) {
        retune = true;
        add_reason(verdict, cli_format("the drifted features carry %.0f%% of the model's "
                                       "importance (>= %.0f%%)",
                                       100 * drifted_importance, 100 * limits->importance));
    }
    if (score->present && score->has_cv) {
        const dial_drift_cv *cv = &reference->cv;
        if (score->fell) {
            retune = true;
            add_reason(verdict,
                       cli_format("%s %.4f on the new rows is %s the CV interval [%.4f, %.4f] "
                                  "around %.4f",
                                  dial_metric_name(score->metric), score->value,
                                  cv->maximize ? "below" : "above", score->low, score->high,
                                  cv->mean));
        }
    } else if (score->present) {
        add_reason(verdict, cli_format("the model has no recorded CV score (fit by dial fit, not "
                                       "dial tune -o): the verdict rests on the inputs alone"));
    } else {
        add_reason(verdict, cli_format("the new rows have no target column: the verdict rests on "
                                       "the inputs alone"));
    }
    if (score->has_target_drift && score->target.psi >= limits->psi &&
        score->target.p_value < limits->p) {
        drifted++;
        add_reason(verdict, cli_format("the target '%s' drifted: PSI %.3f", score->target.name,
                                       score->target.psi));
    }
    if (reference->limit)
        add_reason(verdict, cli_format("the reference covers %s", reference->limit));
    verdict->exit_status = retune ? DRIFT_EXIT_RETUNE : drifted ? DRIFT_EXIT_RETRAIN : CLI_EXIT_OK;
    verdict->name = retune ? "re-tune" : drifted ? "retrain" : "keep";
    if (!retune && !drifted)
        add_reason(verdict, cli_format("no feature drifted (PSI >= %g with p-value < %g)%s",
                                       limits->psi, limits->p,
                                       score->present && score->has_cv
                                           ? " and the score is within its CV interval"
                                           : ""));
}

static json_t *score_json(const dial_drift_reference *reference, const drift_score *score,
                          double confidence) {
    if (!score->present) return json_null();
    json_t *json = json_pack("{s:s, s:o, s:I}", "metric", dial_metric_name(score->metric), "value",
                             cli_json_number(score->value), "rows", (json_int_t)score->rows);
    if (score->has_cv) {
        const dial_drift_cv *cv = &reference->cv;
        json_object_set_new(json, "cv",
                            json_pack("{s:o, s:o, s:I, s:I}", "mean", cli_json_number(cv->mean),
                                      "sd", cli_json_number(cv->sd), "folds",
                                      (json_int_t)cv->n_folds, "scores", (json_int_t)cv->n_scores));
        json_object_set_new(
            json, "interval",
            json_pack("[o, o]", cli_json_number(score->low), cli_json_number(score->high)));
        json_object_set_new(json, "confidence", json_real(confidence));
        json_object_set_new(json, "method", json_string("normal approximation"));
        json_object_set_new(json, "fell", json_boolean(score->fell));
    } else {
        json_object_set_new(json, "cv", json_null());
    }
    if (score->has_target_drift)
        json_object_set_new(json, "target_psi", cli_json_number(score->target.psi));
    return json;
}

static json_t *results_json(const dial_drift_reference *reference, const drift_score *score,
                            const drift_verdict *verdict, const dial_drift_feature_result *results,
                            size_t n, double confidence) {
    json_t *reasons = json_array(), *features = json_array();
    for (size_t i = 0; i < verdict->n_reasons; i++)
        json_array_append_new(reasons, json_string(verdict->reasons[i]));
    for (size_t i = 0; i < n; i++) {
        const dial_drift_feature_result *r = &results[i];
        json_t *levels = json_array();
        for (size_t l = 0; l < r->n_new_levels; l++)
            json_array_append_new(levels, json_string(r->new_levels[l]));
        json_array_append_new(features,
                              json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "name", r->name,
                                        "psi", cli_json_number(r->psi), "test", r->test, "p_value",
                                        cli_json_number(r->p_value), "new_levels", levels,
                                        "missing_share", cli_json_number(r->missing_share),
                                        "importance", cli_json_number(r->importance)));
    }
    return json_pack("{s:s, s:o, s:o, s:o}", "verdict", verdict->name, "reasons", reasons, "score",
                     score_json(reference, score, confidence), "features", features);
}

static void print_text(const char *model_path, const char *data_path,
                       const dial_drift_reference *reference, const drift_score *score,
                       const drift_verdict *verdict, const dial_drift_feature_result *results,
                       size_t n, size_t rows, double confidence) {
    printf("%s against %s: %zu new rows, %llu training rows, %zu features compared\n", data_path,
           model_path, rows, (unsigned long long)reference->n_rows, n);
    cli_table table;
    cli_table_init(&table, 7);
    table.right[1] = table.right[3] = table.right[5] = table.right[6] = true;
    cli_table_add(&table, (const char *[]){"feature", "psi", "test", "p-value", "new levels",
                                           "missing", "importance"});
    for (size_t i = 0; i < n; i++) {
        const dial_drift_feature_result *r = &results[i];
        char psi[32], p[32], levels[96], missing[32], importance[32];
        snprintf(psi, sizeof psi, "%.4f", r->psi);
        snprintf(p, sizeof p, "%.3g", r->p_value);
        if (r->n_new_levels)
            snprintf(levels, sizeof levels, "%zu (%.60s%s)", r->n_new_levels, r->new_levels[0],
                     r->n_new_levels > 1 ? ", ..." : "");
        else
            snprintf(levels, sizeof levels, "-");
        snprintf(missing, sizeof missing, "%.1f%%", 100 * r->missing_share);
        if (isnan(r->importance))
            snprintf(importance, sizeof importance, "-");
        else
            snprintf(importance, sizeof importance, "%.3f", r->importance);
        cli_table_add(&table,
                      (const char *[]){r->name, psi, r->test, p, levels, missing, importance});
    }
    cli_table_print(&table, stdout, 2);
    cli_table_free(&table);
    if (score->present) {
        printf("score: %s %.4f on the new rows", dial_metric_name(score->metric), score->value);
        if (score->has_cv)
            printf("; CV %.4f (sd %.4f over %zu folds), %.0f%% interval [%.4f, %.4f]\n",
                   reference->cv.mean, reference->cv.sd, reference->cv.n_scores, 100 * confidence,
                   score->low, score->high);
        else
            printf("; no recorded CV score\n");
    }
    printf("verdict: %s\n", verdict->name);
    for (size_t i = 0; i < verdict->n_reasons; i++) printf("  %s\n", verdict->reasons[i]);
}

/* NEW bound to the model, with its true values when it has the target. */
static dial_status bind_new_rows(dial_ctx *ctx, const cli_options *opts, const dial_model *model,
                                 const dial_table *table, const char *data_path,
                                 dial_dataset **data) {
    const char *target = dial_model_target_name(model);
    bool has_target = opts->target || (target && target[0] && dial_table_find(table, target) >= 0);
    if (has_target && dial_task_needs_target(dial_model_get_task(model)))
        return cli_model_truth(ctx, opts, model, table, data_path, data);
    return dial_model_bind(ctx, model, table, data);
}

int cli_cmd_drift(int argc, char **argv) {
    drift_thresholds limits = {.psi = 0.2, .p = 0.01, .importance = 0.5, .confidence = 0.95};
    char **args = cli_alloc((size_t)argc + 1, sizeof *args);
    memcpy(args, argv, (size_t)argc * sizeof *args);
    int n_args = argc;
    int status = take_thresholds(&n_args, args, &limits);
    cli_options opts;
    if (status < 0)
        status = cli_parse(&drift_command, n_args, args, &opts);
    else {
        free(args);
        return status;
    }
    if (status >= 0) {
        cli_options_free(&opts);
        free(args);
        return status;
    }
    const char *model_path = cli_display_path(opts.positional[0]);
    const char *data_path = cli_display_path(opts.positional[1]);
    dial_ctx *ctx = cli_context(&opts);
    dial_model *model = NULL;
    dial_drift_reference *reference = NULL;
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    dial_drift_feature_result *results = NULL;
    double *importance = NULL;
    drift_score score = {0};
    drift_verdict verdict = {0};

    dial_status result = dial_model_load(ctx, opts.positional[0], &model);
    if (result == DIAL_OK) result = dial_model_drift_reference(ctx, model, &reference);
    if (result == DIAL_OK && !reference)
        result = dial_fail(ctx, DIAL_ERR_DATA,
                           "%s carries no drift reference (it was saved before dial kept one); "
                           "fit it again with dial fit or dial tune -o to compare new data "
                           "with its training rows",
                           model_path);
    if (result == DIAL_OK)
        result = cli_read_table_for_model(ctx, &opts, model, opts.positional[1], &table);
    if (result == DIAL_OK) result = bind_new_rows(ctx, &opts, model, table, data_path, &data);
    if (result == DIAL_OK && dial_model_has_feature_importance(model)) {
        importance = cli_alloc(dial_model_n_features(model) + 1, sizeof *importance);
        result = dial_model_feature_importance(ctx, model, importance);
    }
    if (result == DIAL_OK) {
        dial_view all = dial_view_all(data);
        result = dial_drift_compare(ctx, model, reference, &all, importance, limits.psi, limits.p,
                                    &results);
    }
    if (result == DIAL_OK && data->y)
        result = score_new_rows(ctx, model, reference, data, limits.confidence, &score);
    if (result != DIAL_OK) {
        status = cli_fail(ctx, result);
        goto done;
    }
    decide(reference, results, reference->n_features, importance != NULL, &score, &limits,
           &verdict);
    if (opts.json)
        cli_json_print(results_json(reference, &score, &verdict, results, reference->n_features,
                                    limits.confidence),
                       stdout, 17);
    else
        print_text(model_path, data_path, reference, &score, &verdict, results,
                   reference->n_features, data->n_rows, limits.confidence);
    status = cli_close_output(stdout, "-") ? verdict.exit_status : CLI_EXIT_FAILURE;

done:
    for (size_t i = 0; i < verdict.n_reasons; i++) free(verdict.reasons[i]);
    free(verdict.reasons);
    for (size_t l = 0; l < score.target.n_new_levels; l++) free(score.target.new_levels[l]);
    free(score.target.new_levels);
    if (reference) dial_drift_results_free(results, reference->n_features);
    free(importance);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_drift_reference_free(reference);
    dial_model_free(model);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    free(args);
    return status;
}
