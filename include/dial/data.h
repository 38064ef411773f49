/*
 * dial/data.h: tables read from CSV or LIBSVM files, the dataset a model is
 * fitted on (features and a target), and row views (folds) that never copy.
 */
#ifndef DIAL_DATA_H
#define DIAL_DATA_H

#include "dial/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- columns and tables ---------------------------------------------- */

typedef enum dial_column_type {
    DIAL_COLUMN_NUMERIC = 0,
    DIAL_COLUMN_CATEGORICAL = 1
} dial_column_type;

/* One column. Numeric: values[i] is the number, NaN when missing.
 * Categorical: values[i] is the level index (0 .. n_levels-1) as a double,
 * NaN when missing; levels are in order of first appearance. */
typedef struct dial_column {
    char *name;
    dial_column_type type;
    double *values; /* n_rows entries, owned */
    size_t n_levels;
    char **levels; /* n_levels strings, owned; NULL for numeric */
} dial_column;

/* A sparse matrix in compressed rows (CSR): the entries of row i are
 * col[k], value[k] for k in [row_start[i], row_start[i + 1]), with col
 * 0-based and increasing along a row; absent entries are 0. Memory: 12
 * bytes a nonzero and a word a row. */
typedef struct dial_csr {
    size_t n_rows, n_cols;
    size_t *row_start; /* n_rows + 1 entries, owned */
    uint32_t *col;     /* row_start[n_rows] entries, owned */
    double *value;     /* row_start[n_rows] entries, owned */
} dial_csr;

/* Frees a CSR matrix and its arrays; NULL is harmless. */
DIAL_API void dial_csr_free(dial_csr *matrix);

typedef struct dial_table {
    size_t n_rows, n_cols;
    dial_column *cols; /* n_cols columns, owned */
    bool has_header;   /* false when column names were made up ("V1", ...) */
    /* The target when none is named is the first column (a LIBSVM file's
     * label, as svm-train takes it) rather than the last (a CSV file's). */
    bool target_first;
    /* NULL for a dense table. Else (a LIBSVM file, read sparse) the
     * features' values: column c >= 1 of cols ("f<c>", numeric) has only
     * its name and type (values NULL) and is column c - 1 of sparse; cols[0]
     * is the label, dense. Owned. A CSV table made sparse has it too:
     * see sparse_first. */
    dial_csr *sparse;
    /* NULL but for a CSV table made sparse (dial_table_make_sparse): n_cols
     * + 1 entries, the compressed columns of column c being
     * [sparse_first[c], sparse_first[c + 1]) of sparse: one for a numeric
     * column (its value, zeros not stored), one per level for a
     * categorical one (its one-hot encoding, 1 in the column of the row's
     * level). Every column of the file is there, the target too, and every
     * column keeps its values as well. Owned. */
    size_t *sparse_first;
} dial_table;

/* Frees a table and its columns; NULL is harmless. */
DIAL_API void dial_table_free(dial_table *table);
/* Index of the column with that name, or -1. */
DIAL_API long dial_table_find(const dial_table *table, const char *name);
/* Index of the column with that name in *index, or DIAL_ERR_DATA with a
 * message that says what the column is for (role: "target", "ignored"),
 * suggests the column whose name differs only in case or by a typo ("did
 * you mean 'Class'?") and lists the columns. */
DIAL_API dial_status dial_table_column(dial_ctx *ctx, const dial_table *table, const char *name,
                                       const char *role, size_t *index);

/* ---- CSV ----------------------------------------------------------------
 * RFC 4180 (quoted fields with separators, doubled quotes and newlines),
 * CRLF or LF, an optional UTF-8 byte-order mark, a header row. Missing values:
 * empty, NA, NaN, ?, null. Column types are inferred: a column is numeric
 * when its values parse as numbers; a column that is numeric except for a
 * few stray values ("12.5x") is an error naming the column, line and value,
 * never a silent switch to categorical. */
typedef enum dial_header_mode {
    DIAL_HEADER_AUTO = 0,
    DIAL_HEADER_YES,
    DIAL_HEADER_NO
} dial_header_mode;

typedef struct dial_csv_options {
    char separator;          /* 0: detect among ',' ';' '\t' */
    dial_header_mode header; /* AUTO: the first row is a header unless every field is a number */
    bool sparse;             /* make the table sparse once read (dial_table_make_sparse) */
} dial_csv_options;

/* Reads a CSV file ("-" for standard input). On success *out owns a new
 * table. On error returns DIAL_ERR_IO or DIAL_ERR_DATA with a message such
 * as "data.csv:17:3: expected 5 fields, found 4". options may be NULL. */
DIAL_API dial_status dial_csv_read(dial_ctx *ctx, const char *path, const dial_csv_options *options,
                                   dial_table **out);
/* The same from memory; name is used in messages. */
DIAL_API dial_status dial_csv_parse(dial_ctx *ctx, const char *name, const char *bytes,
                                    size_t length, const dial_csv_options *options,
                                    dial_table **out);

/* ---- a CSV table made sparse (src/data/table_sparse.c) -------------------
 * So that a categorical of thousands of levels costs memory in proportion
 * to the rows, not to rows x levels: a family that takes sparse input
 * (dial_model_family.sparse_input) fits on the compressed one-hot rows and
 * never sees them dense. */

/* Adds to a dense CSV table its compressed rows (table->sparse and
 * table->sparse_first, above). Errors: DIAL_ERR_DATA for a missing value
 * (sparse data has no way to say "missing") or an infinite one, naming the
 * column and row; DIAL_ERR_ARGUMENT for a table that is sparse already;
 * DIAL_ERR_NOMEM. On error the table is unchanged. */
DIAL_API dial_status dial_table_make_sparse(dial_ctx *ctx, dial_table *table);

/* ---- LIBSVM -------------------------------------------------------------
 * "label index:value index:value ..." with 1-based increasing indices;
 * absent features are 0. The table has columns "label", "f1" .. "fN", with
 * the label first, and the label is its target by default (target_first).
 * The features are read sparse and never densified (table->sparse). */
DIAL_API dial_status dial_libsvm_read(dial_ctx *ctx, const char *path, dial_table **out);
DIAL_API dial_status dial_libsvm_parse(dial_ctx *ctx, const char *name, const char *bytes,
                                       size_t length, dial_table **out);

/* Reads CSV or LIBSVM, chosen by the extension (.libsvm, .svm, .svmlight,
 * .txt with "label i:v" lines) or by content. */
DIAL_API dial_status dial_table_read(dial_ctx *ctx, const char *path,
                                     const dial_csv_options *options, dial_table **out);

/* ---- datasets -------------------------------------------------------- */

/* What a model learns. The set grows with the families: a task is a bit of
 * dial_model_family.tasks (DIAL_TASK_BIT in dial/model.h), a name
 * (dial_task_name), the metrics that score it (dial_metric_task in
 * dial/eval.h) and whether it needs a target (dial_task_needs_target). */
typedef enum dial_task {
    DIAL_TASK_AUTO = 0,       /* a dataset's: infer classification or regression */
    DIAL_TASK_CLASSIFICATION, /* a categorical target: predict its class */
    DIAL_TASK_REGRESSION,     /* a numeric target: predict its value */
    /* No target: group the rows; a prediction is a cluster index 0, 1, ...
     * Done by families that are unsupervised (dial/model.h). */
    DIAL_TASK_CLUSTERING
} dial_task;

/* "auto", "classification", "regression", "clustering"; "unknown" for
 * another value. */
DIAL_API const char *dial_task_name(dial_task task);
/* Whether a model of that task learns from a target: true for
 * classification and regression, false for clustering (and AUTO, which is
 * no model's task). */
DIAL_API bool dial_task_needs_target(dial_task task);

/* Features and target drawn from a table, which the dataset borrows (the
 * table must outlive it). features[j] points into the table. For
 * classification y[i] is the class index (0 .. n_classes-1) and class_names
 * the label of each class; for regression y[i] is the value. */
typedef struct dial_dataset {
    const dial_table *table;
    size_t n_rows;
    size_t n_features;
    const dial_column **features; /* owned array of borrowed pointers */
    long target_index;            /* column index in table, -1 if none */
    char *target_name;            /* owned, NULL if none */
    dial_task task;
    double *y; /* owned, NULL if no target */
    size_t n_classes;
    char **class_names; /* owned */
    /* The columns dial_dataset_ignore took out of the features, sorted by
     * name: owned array of borrowed names (the table's). */
    const char **ignored;
    size_t n_ignored;
    /* The table's sparse features (borrowed; NULL for dense data): feature
     * j is the table column features[j] points to, column c >= 1 of the
     * table being column c - 1 of sparse (a LIBSVM table), or the columns
     * table->sparse_first gives (a CSV table made sparse). A dataset bound to a sparse
     * model (dial_model_bind) has n_features the model's, and features[j]
     * NULL where the file has no column j + 1: a feature always 0. */
    const dial_csr *sparse;
} dial_dataset;

/* The columns of a design matrix that one-hot encode one categorical
 * feature: [offset, offset + n_levels). A row holds on[l] in the column of
 * its level l and off[l] in the others (the encodings of 1 and 0 after
 * scaling), or off in all of them when its level is unknown. */
typedef struct dial_onehot_block {
    size_t offset, n_levels;
    const double *off, *on; /* n_levels each */
} dial_onehot_block;

/* Builds a dataset from a table. target: a column name, a 1-based index as
 * text ("5"), or NULL for the last column (the first for a LIBSVM table:
 * its label). task AUTO infers it: a
 * categorical target, or a numeric one with only integer values and at most
 * 30 distinct values, is classification; otherwise regression. Errors
 * (DIAL_ERR_DATA): a target that does not exist (the message lists the
 * columns), a missing target value (its line), a classification target with
 * one class, an infinite feature value (row and column). */
DIAL_API dial_status dial_dataset_from_table(dial_ctx *ctx, const dial_table *table,
                                             const char *target, dial_task task,
                                             dial_dataset **out);
/* Takes the column named column out of the features (an id, a row number:
 * a column that is no feature), and records it in data->ignored. Ignoring
 * a column twice is harmless. Errors (DIAL_ERR_DATA, nothing changed): no
 * such column (the message suggests a close name and lists the columns),
 * the column is the target, or it is the last feature left. */
DIAL_API dial_status dial_dataset_ignore(dial_ctx *ctx, dial_dataset *data, const char *column);

/* Takes the column called name out of data's features (a group, time or
 * fold column that says how rows may be split, not what to predict from)
 * and sets *column to it (borrowed from the table). Errors (DIAL_ERR_DATA):
 * no such column (the message lists the columns), the target itself. */
DIAL_API dial_status dial_dataset_drop_feature(dial_ctx *ctx, dial_dataset *data, const char *name,
                                               const dial_column **column);
/* A dataset of features only (every column of table; no target, task
 * AUTO, y NULL): for prediction, or to fit an unsupervised family (a
 * clustering). */
DIAL_API dial_status dial_dataset_features_only(dial_ctx *ctx, const dial_table *table,
                                                dial_dataset **out);
/* Frees a dataset (not its table); NULL is harmless. */
DIAL_API void dial_dataset_free(dial_dataset *data);

/* A CSV is made sparse without being asked (src/data/table_sparse.c)
 * when the design matrix of its features (one input per numeric feature,
 * one per level of a categorical one) has at least DIAL_SPARSE_AUTO_MIN_INPUTS inputs and
 * more than half of its cells are zeros, and no feature value is missing. */
#define DIAL_SPARSE_AUTO_MIN_INPUTS 1000
/* Whether data (dense) meets that rule. *n_inputs and *zero_share (may be
 * NULL) get the design matrix's width and its share of zeros (0 .. 1). */
DIAL_API bool dial_dataset_prefers_sparse(const dial_dataset *data, size_t *n_inputs,
                                          double *zero_share);
/* Makes table, the one data was built from (data->table), sparse
 * (dial_table_make_sparse) and data read it so, without building data
 * again. Errors: those of dial_table_make_sparse; DIAL_ERR_ARGUMENT when
 * data is not table's. On error neither changes. */
DIAL_API dial_status dial_dataset_make_sparse(dial_ctx *ctx, dial_table *table, dial_dataset *data);

/* A subset of a dataset's rows, e.g. a fold: no data is copied. rows is
 * borrowed. A NULL rows means all rows 0 .. n-1. */
typedef struct dial_view {
    const dial_dataset *data;
    const size_t *rows;
    size_t n;
} dial_view;

/* The view of all rows. */
DIAL_API dial_view dial_view_all(const dial_dataset *data);
/* Row index in the dataset of the i-th row of the view. */
static inline size_t dial_view_row(const dial_view *view, size_t i) {
    return view->rows ? view->rows[i] : i;
}

/* The content hash of a view's rows, the one a model file keeps as
 * facts.data_fingerprint: every feature value (a categorical one by its
 * level text) then the target, row by row, in the view's row order and the
 * dataset's column order. Column names are not part of it. */
DIAL_API uint64_t dial_view_fingerprint(const dial_view *view);

/* The exact fingerprint and three that forget an order, so that a study can
 * tell other data from the same data in another order (these hash each row
 * with its column names). */
typedef struct dial_data_fingerprints {
    uint64_t exact;            /* dial_view_fingerprint */
    uint64_t any_row_order;    /* the same for the same rows in any order */
    uint64_t any_column_order; /* the same for the same columns in any order */
    uint64_t any_order;        /* the same for both */
} dial_data_fingerprints;

/* Fills *out; false when out of memory (nothing else fails). */
DIAL_API bool dial_view_fingerprints(const dial_view *view, dial_data_fingerprints *out);

#ifdef __cplusplus
}
#endif
#endif
