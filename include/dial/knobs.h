/*
 * dial/knobs.h: the hyperparameter schema.
 *
 * Each model declares one static table of dial_knob_spec. That table drives
 * validation (with messages that name the knob and its valid range), the
 * CLI's `-s name=value`, `dial knobs MODEL`, the record of hyperparameters in
 * the model file and the tuner's default search space.
 */
#ifndef DIAL_KNOBS_H
#define DIAL_KNOBS_H

#include "dial/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dial_knob_type {
    DIAL_KNOB_FLOAT = 0,
    DIAL_KNOB_INT,
    DIAL_KNOB_BOOL,
    DIAL_KNOB_CHOICE
} dial_knob_type;

/* "float", "int", "bool", "choice" */
DIAL_API const char *dial_knob_type_name(dial_knob_type type);

/* Bounds: a knob value v is valid when lower <= v <= upper, or lower < v
 * when lower_open (and likewise for upper). Infinite bounds mean none. */
typedef struct dial_knob_spec {
    const char *name;
    dial_knob_type type;
    const char *default_text; /* "1.0", "5", "true", "l2" */
    double lower, upper;      /* valid bounds (FLOAT, INT) */
    bool lower_open, upper_open;
    const char *const *choices;     /* NULL-terminated (CHOICE) */
    bool has_search_range;          /* dial tune searches it by default (unless its
                                     * condition cannot hold under the defaults) */
    double search_low, search_high; /* FLOAT, INT; CHOICE and BOOL: see search_choices */
    bool log_scale;                 /* search on a log scale */
    const char *condition;          /* "" or "knob=value" or "knob=v1|v2": active only then */
    const char *doc;                /* one line: what it controls (and the source of its range) */
    /* FLOAT or INT only: when not NULL the knob is a list of 1 to
     * DIAL_KNOB_LIST_MAX values written with commas ("128,64"), each within
     * the bounds, and this names one value in messages ("layer"). A tuner
     * that sees only the type and search range searches lists of one. */
    const char *list_item;
    /* FLOAT only: a word that stands for special_value, accepted by
     * dial_knobs_set and printed by dial_knobs_format (svm's gamma=scale,
     * whose value 0 means "derive it from the data"). */
    const char *special_word;
    double special_value;
    /* CHOICE only: the values the default search tries, NULL-terminated,
     * each one of choices; NULL tries every choice. The others stay valid
     * (-s, --space) but are left out of the default space when they would
     * waste trials (an alias of another value, a setting rarely best). */
    const char *const *search_choices;
} dial_knob_spec;

/* Most values a list knob holds. */
#define DIAL_KNOB_LIST_MAX 16

/* The value of one knob: number for FLOAT and INT, 0/1 for BOOL, the index
 * into choices for CHOICE. A list knob keeps its values in items (stored
 * inline, so a value copies with memcpy and needs no free) and its first
 * value in number. */
typedef struct dial_knob_value {
    double number;
    bool set_by_user; /* given explicitly (not the default) */
    size_t n_items;   /* list knobs: how many values; 0 for other knobs */
    double items[DIAL_KNOB_LIST_MAX];
} dial_knob_value;

/* The knob values of one model: a values array parallel to its spec table.
 * model_name appears in messages ("unknown knob 'gama' for svm"). */
typedef struct dial_knobs {
    const char *model_name;
    const dial_knob_spec *specs;
    size_t n;
    dial_knob_value *values; /* owned */
} dial_knobs;

/* Fills *knobs with every default of the table. Returns DIAL_ERR_NOMEM or
 * DIAL_ERR_INTERNAL (a default that does not parse: a bug in the table).
 * Free with dial_knobs_free. */
DIAL_API dial_status dial_knobs_init(dial_ctx *ctx, const char *model_name,
                                     const dial_knob_spec *specs, size_t n, dial_knobs *knobs);
DIAL_API void dial_knobs_free(dial_knobs *knobs);
DIAL_API dial_status dial_knobs_copy(dial_ctx *ctx, const dial_knobs *from, dial_knobs *to);

/* Index of the knob, or -1. */
DIAL_API long dial_knobs_find(const dial_knobs *knobs, const char *name);

/* Parses and sets one knob from text. Errors (DIAL_ERR_KNOB), messages exact:
 *   unknown knob 'gama' for svm; did you mean 'gamma'?
 *   unknown knob 'zzz' for svm; known knobs: C, kernel, ...
 *   knob 'C' = -1 is out of range: must be > 0
 *   knob 'l1_ratio' = 2 is out of range: must be in [0, 1]
 *   knob 'k' expects an integer, got '2.5'
 *   knob 'C' expects a number, got 'abc'
 *   knob 'fit_intercept' expects true or false, got 'maybe'
 *   knob 'penalty' = 'l3' is not one of: l2, l1, none
 * and for a list knob:
 *   knob 'hidden' = '128,0' is out of range: each layer must be in [1, 100000]
 *   knob 'hidden' expects integers separated by commas, got '128,x'
 *   knob 'hidden' = '1,1,...' has 17 layers: at most 16                */
DIAL_API dial_status dial_knobs_set(dial_ctx *ctx, dial_knobs *knobs, const char *name,
                                    const char *text);
/* Parses "name=value" and sets it. */
DIAL_API dial_status dial_knobs_set_assignment(dial_ctx *ctx, dial_knobs *knobs,
                                               const char *assignment);
/* Sets a knob from a number (FLOAT/INT/BOOL, or a CHOICE index), validated
 * like dial_knobs_set; a list knob becomes a list of that one value. */
DIAL_API dial_status dial_knobs_set_number(dial_ctx *ctx, dial_knobs *knobs, const char *name,
                                           double value);
/* Sets a list knob from n values, each validated like dial_knobs_set
 * (DIAL_ERR_KNOB when n is 0 or above DIAL_KNOB_LIST_MAX, or the knob is
 * not a list). */
DIAL_API dial_status dial_knobs_set_list(dial_ctx *ctx, dial_knobs *knobs, const char *name,
                                         const double *items, size_t n);

/* Splits a knob's condition "knob=v1|v2": copies the controlling knob's
 * name into name (size bytes) and returns the alternatives ("v1|v2",
 * inside condition). Returns NULL, name empty, for an empty or malformed
 * condition (no '=', no name, no value, or a name that does not fit). */
DIAL_API const char *dial_knob_condition_split(const char *condition, char *name, size_t size);

/* Whether knob i is active under the current values of the others. */
DIAL_API bool dial_knobs_active(const dial_knobs *knobs, size_t i);
/* Checks that no knob the user set is inactive:
 *   knob 'p' is inactive: it applies only when metric=minkowski          */
DIAL_API dial_status dial_knobs_check(dial_ctx *ctx, const dial_knobs *knobs);

/* Typed getters; the name must exist in the table (a bug otherwise: they
 * return 0 / "" for an unknown name). */
DIAL_API double dial_knobs_float(const dial_knobs *knobs, const char *name);
DIAL_API long dial_knobs_int(const dial_knobs *knobs, const char *name);
DIAL_API bool dial_knobs_bool(const dial_knobs *knobs, const char *name);
DIAL_API const char *dial_knobs_choice(const dial_knobs *knobs, const char *name);
/* The values of a list knob: returns how many and points *items at them
 * (owned by knobs, valid until the knob changes). Any other knob reads as a
 * list of its one number; an unknown name gives 0. */
DIAL_API size_t dial_knobs_list(const dial_knobs *knobs, const char *name, const double **items);

/* Writes the value of knob i as text ("0.5", "7", "true", "l2", "128,64")
 * into buf; floats are printed so that they parse back to the same double. */
DIAL_API void dial_knobs_format(const dial_knobs *knobs, size_t i, char *buf, size_t size);
/* Writes the valid bounds of a spec as text: "> 0", "[0, 1]", ">= 1",
 * "any", the choices "l2, l1, none", or for a list "1 to 16 layers, each in
 * [1, 100000]". */
DIAL_API void dial_knob_spec_bounds_text(const dial_knob_spec *spec, char *buf, size_t size);

/* The knobs every model shares, for preprocessing the features. Each model
 * table starts with them; scale_default is the model's documented default
 * ("standard", "minmax", "maxabs" or "none"); on sparse data (a LIBSVM
 * file) a scale the user did not set is none. */
DIAL_API extern const char *const dial_impute_choices[];
DIAL_API extern const char *const dial_scale_choices[];
#define DIAL_PREPROCESS_KNOBS(scale_default)                                                     \
    {.name = "impute",                                                                           \
     .type = DIAL_KNOB_CHOICE,                                                                   \
     .default_text = "mean",                                                                     \
     .choices = dial_impute_choices,                                                             \
     .condition = "",                                                                            \
     .doc = "how missing feature values are filled: the training mean, median, most frequent "   \
            "value, or none (a missing value is then an error, except for a model that handles " \
            "them itself: gbdt)"},                                                               \
    {                                                                                            \
        .name = "scale", .type = DIAL_KNOB_CHOICE, .default_text = scale_default,                \
        .choices = dial_scale_choices, .condition = "",                                          \
        .doc = "feature scaling learned on the training data: standard (mean 0, sd 1), minmax "  \
               "([0, 1]), maxabs (divided by the largest |value|, no centring: the one for "     \
               "sparse data) or none (the default for sparse data)"                              \
    }

#ifdef __cplusplus
}
#endif
#endif
