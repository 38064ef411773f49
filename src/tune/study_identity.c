/* What a study is an experiment of: the identity's key/value texts, and the
 * comparison that refuses to resume a study with another setup. The keys
 * mean nothing here but one: "data", whose value is four fingerprints
 * (dial_data_fingerprints, as dial_tune_model writes them), so that the
 * message can say "the same rows in another order" instead of "other
 * data" when only the order differs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/text.h"
#include "tune/storage.h"

/* The way out every refusal ends with. */
#define WAY_OUT "use --study-name NAME for a new study in the same file"

dial_status dial_study_identity_set(dial_ctx *ctx, dial_study_identity *identity, const char *key,
                                    const char *value) {
    if (!key || !key[0])
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "a study identity key cannot be empty");
    char *copy = dial_strdup(ctx, value ? value : "");
    if (!copy) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a study identity");
    for (size_t i = 0; i < identity->n; i++)
        if (strcmp(identity->keys[i], key) == 0) {
            free(identity->values[i]);
            identity->values[i] = copy;
            return DIAL_OK;
        }
    char *key_copy = dial_strdup(ctx, key);
    char **keys = dial_realloc(ctx, identity->keys, (identity->n + 1) * sizeof *keys);
    if (keys) identity->keys = keys;
    char **values = dial_realloc(ctx, identity->values, (identity->n + 1) * sizeof *values);
    if (values) identity->values = values;
    if (!key_copy || !keys || !values) {
        free(copy);
        free(key_copy);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a study identity");
    }
    identity->keys[identity->n] = key_copy;
    identity->values[identity->n++] = copy;
    return DIAL_OK;
}

const char *dial_study_identity_get(const dial_study_identity *identity, const char *key) {
    for (size_t i = 0; identity && i < identity->n; i++)
        if (strcmp(identity->keys[i], key) == 0) return identity->values[i];
    return NULL;
}

void dial_study_identity_free(dial_study_identity *identity) {
    if (!identity) return;
    for (size_t i = 0; i < identity->n; i++) {
        free(identity->keys[i]);
        free(identity->values[i]);
    }
    free(identity->keys);
    free(identity->values);
    *identity = (dial_study_identity){0};
}

dial_status dial_study_identity_copy(dial_ctx *ctx, const dial_study_identity *from,
                                     dial_study_identity *to) {
    *to = (dial_study_identity){0};
    for (size_t i = 0; from && i < from->n; i++) {
        dial_status status = dial_study_identity_set(ctx, to, from->keys[i], from->values[i]);
        if (status != DIAL_OK) {
            dial_study_identity_free(to);
            return status;
        }
    }
    return DIAL_OK;
}

bool dial_study_identity_is_note(const char *key) { return strncmp(key, "note.", 5) == 0; }

/* The four words of a "data" value; false when it is not one. */
static bool parse_data(const char *text, uint64_t words[4]) {
    return text && sscanf(text, "%" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64, &words[0],
                          &words[1], &words[2], &words[3]) == 4;
}

/* How this run's data differs from the study's, as the message says it. */
static dial_status data_differs(dial_ctx *ctx, const char *study, const char *where,
                                const dial_study_identity *stored,
                                const dial_study_identity *wanted) {
    const char *was = dial_study_identity_get(stored, "note.data_file");
    const char *now = dial_study_identity_get(wanted, "note.data_file");
    uint64_t a[4], b[4];
    const char *old_text = dial_study_identity_get(stored, "data");
    const char *new_text = dial_study_identity_get(wanted, "data");
    const char *order = NULL;
    if (parse_data(old_text, a) && parse_data(new_text, b)) {
        if (a[1] == b[1])
            order = "the same rows in another order";
        else if (a[2] == b[2])
            order = "the same columns in another order";
        else if (a[3] == b[3])
            order = "the same rows and columns in other orders";
    }
    char old_name[300] = "its data", new_name[300] = "this run's data";
    if (was) snprintf(old_name, sizeof old_name, "%s", was);
    if (now) snprintf(new_name, sizeof new_name, "this run's %s", now);
    if (order)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "study '%s' in %s was created on %s; %s holds %s, which a study still "
                         "counts as other data; " WAY_OUT,
                         study, where, old_name, new_name, order);
    uint64_t old_exact = 0, new_exact = 0;
    if (old_text) sscanf(old_text, "%" SCNx64, &old_exact);
    if (new_text) sscanf(new_text, "%" SCNx64, &new_exact);
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "study '%s' in %s was created on %s (fingerprint %016" PRIx64
                     "); %s is other data (fingerprint %016" PRIx64 "); " WAY_OUT,
                     study, where, old_name, old_exact, new_name, new_exact);
}

dial_status dial_study_identity_check(dial_ctx *ctx, const char *study, const char *where,
                                      const dial_study_identity *stored,
                                      const dial_study_identity *wanted) {
    for (size_t i = 0; stored && i < stored->n; i++) {
        const char *key = stored->keys[i];
        if (dial_study_identity_is_note(key)) continue;
        const char *asked = dial_study_identity_get(wanted, key);
        if (!asked || strcmp(asked, stored->values[i]) == 0) continue;
        if (strcmp(key, "data") == 0) return data_differs(ctx, study, where, stored, wanted);
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "study '%s' in %s was created with %s %s, this run asks for %s; " WAY_OUT,
                         study, where, key, stored->values[i][0] ? stored->values[i] : "(none)",
                         asked[0] ? asked : "(none)");
    }
    return DIAL_OK;
}
