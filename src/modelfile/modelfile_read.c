/*
 * Decoding a .dial file: the frame. The checks run in the order that gives
 * the most useful message first: is this a dial file at all, can this dial
 * read it, is it whole, is it intact, and only then what it says
 * (docs/modelfile.md). Nothing is allocated on a count from the file before
 * that count has been checked against the file's length.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dial/modelfile.h"
#include "modelfile/checksum.h"
#include "modelfile/modelfile_drift.h"
#include "modelfile/modelfile_internal.h"
#include "modelfile/modelfile_reader.h"

dial_status dial_modelfile_fail(const dial_modelfile_reader *r, const char *fmt, ...) {
    char message[768];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    return dial_fail(r->ctx, DIAL_ERR_FORMAT, "%s: %s", r->name, message);
}

dial_status dial_modelfile_wrap(const dial_modelfile_reader *r, dial_status status) {
    char message[768];
    snprintf(message, sizeof message, "%s", dial_ctx_error(r->ctx));
    return dial_fail(r->ctx, status == DIAL_ERR_NOMEM ? DIAL_ERR_NOMEM : DIAL_ERR_FORMAT, "%s: %s",
                     r->name, message);
}

const char *dial_modelfile_printable(const char *text, char *buf, size_t size) {
    size_t n = strlen(text);
    bool clean = n < size;
    for (size_t i = 0; i < n && clean; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) clean = false;
    if (clean) return text;
    size_t keep = n < size ? n : size - 4;
    for (size_t i = 0; i < keep; i++)
        buf[i] = ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) ? '?' : text[i];
    /* A UTF-8 sequence cut in two would not be text: drop its start. */
    while (keep < n && keep > 0 && ((unsigned char)buf[keep - 1] & 0xC0) == 0x80) keep--;
    if (keep < n && keep > 0 && ((unsigned char)buf[keep - 1] & 0xC0) == 0xC0) keep--;
    snprintf(buf + keep, size - keep, "%s", keep < n ? "..." : "");
    return buf;
}

/* A bad magic: say how the file was mangled when the damage is one a text
 * transfer does, since the fix is then to copy it again in binary mode. */
static dial_status fail_bad_magic(const dial_modelfile_reader *r, const unsigned char *bytes,
                                  size_t length) {
    static const char crlf_to_lf[] = "\211DIAL\n\032\n";
    /* unix2dos leaves the \r\n alone; a naive converter doubles its \r. */
    static const char lf_to_crlf[] = "\211DIAL\r\n\032\r\n";
    static const char lf_to_crlf_naive[] = "\211DIAL\r\r\n\032\r\n";
    if (length >= sizeof crlf_to_lf - 1 && memcmp(bytes, crlf_to_lf, sizeof crlf_to_lf - 1) == 0)
        return dial_modelfile_fail(r,
                                   "not a dial model file (bad magic): it was mangled by newline "
                                   "conversion (\\r\\n became \\n); copy it again in binary mode");
    if ((length >= sizeof lf_to_crlf - 1 &&
         memcmp(bytes, lf_to_crlf, sizeof lf_to_crlf - 1) == 0) ||
        (length >= sizeof lf_to_crlf_naive - 1 &&
         memcmp(bytes, lf_to_crlf_naive, sizeof lf_to_crlf_naive - 1) == 0))
        return dial_modelfile_fail(r,
                                   "not a dial model file (bad magic): it was mangled by newline "
                                   "conversion (\\n became \\r\\n); copy it again in binary mode");
    if (bytes[0] == 0x09 &&
        memcmp(bytes + 1, &DIAL_MODELFILE_MAGIC[1], DIAL_MODELFILE_MAGIC_SIZE - 1) == 0)
        return dial_modelfile_fail(r, "not a dial model file (bad magic): its first byte lost its "
                                      "high bit in a 7-bit transfer; copy it again in binary mode");
    return dial_modelfile_fail(r, "not a dial model file (bad magic)");
}

static bool checksum_matches(const unsigned char *bytes, uint64_t checksum_offset) {
    return dial_modelfile_get_u64(bytes + checksum_offset) ==
           dial_modelfile_checksum(bytes, (size_t)checksum_offset);
}

/* The checksum sits right after the tensor data, whose length the header
 * gives (expected_length is 0 when the header could not say). Reading the
 * header before the checksum is checked is only to tell a file cut short
 * from a damaged one; nothing the header says is used before the checksum
 * agrees, and the header is checked field by field after that. */
static dial_status check_whole_and_intact(const dial_modelfile_reader *r,
                                          const unsigned char *bytes, size_t length,
                                          uint64_t expected_length) {
    uint64_t checksum_offset = length - DIAL_MODELFILE_CHECKSUM_SIZE;
    if (expected_length && expected_length != length) {
        /* A cut file rarely still ends in its own checksum; a crafted file
         * whose header disagrees with its length does, and the header's
         * checks then name the field. */
        if (length < expected_length && !checksum_matches(bytes, checksum_offset))
            return dial_modelfile_fail(r,
                                       "truncated: the file has %zu bytes but its header describes "
                                       "%" PRIu64 "; it was cut short (an interrupted copy?)",
                                       length, expected_length);
        if (length > expected_length &&
            checksum_matches(bytes, expected_length - DIAL_MODELFILE_CHECKSUM_SIZE))
            return dial_modelfile_fail(r,
                                       "%" PRIu64 " unexpected bytes after the end of the model "
                                       "(its header describes %" PRIu64 " bytes)",
                                       (uint64_t)length - expected_length, expected_length);
    }
    if (!checksum_matches(bytes, checksum_offset))
        return dial_modelfile_fail(r, "checksum mismatch: the file is damaged");
    return DIAL_OK;
}

/* The file length the header describes, or 0 when it does not say. */
static uint64_t described_length(const json_t *header, uint64_t data_start) {
    json_t *data_bytes = json_is_object(header) ? json_object_get(header, "data_bytes") : NULL;
    if (!json_is_integer(data_bytes)) return 0;
    json_int_t n = json_integer_value(data_bytes);
    if (n < 0 || (uint64_t)n > DIAL_MODELFILE_MAX_FILE) return 0;
    return data_start + (uint64_t)n + DIAL_MODELFILE_CHECKSUM_SIZE;
}

dial_status dial_model_load_buffer(dial_ctx *ctx, const char *name, const unsigned char *bytes,
                                   size_t length, dial_model **out) {
    *out = NULL;
    dial_modelfile_reader r = {.ctx = ctx, .name = name ? name : "model"};
    if (length < DIAL_MODELFILE_PREFIX_SIZE)
        return dial_modelfile_fail(&r, "not a dial model file (too short: %zu byte%s)", length,
                                   length == 1 ? "" : "s");
    if (memcmp(bytes, DIAL_MODELFILE_MAGIC, DIAL_MODELFILE_MAGIC_SIZE) != 0)
        return fail_bad_magic(&r, bytes, length);
    uint32_t version = dial_modelfile_get_u32(bytes + DIAL_MODELFILE_VERSION_OFFSET);
    if (version > DIAL_MODELFILE_VERSION)
        return dial_modelfile_fail(&r,
                                   "format version %" PRIu32 " is newer than this dial supports "
                                   "(%d); upgrade dial",
                                   version, DIAL_MODELFILE_VERSION);
    if (version == 0)
        return dial_modelfile_fail(&r, "format version 0 does not exist: the file is damaged");
    uint32_t flags = dial_modelfile_get_u32(bytes + DIAL_MODELFILE_FLAGS_OFFSET);
    if (flags != 0)
        return dial_modelfile_fail(&r,
                                   "unknown flags 0x%08" PRIx32 " (version %" PRIu32
                                   " files have none): the file is damaged",
                                   flags, version);
    uint64_t header_length = dial_modelfile_get_u64(bytes + DIAL_MODELFILE_HEADER_LENGTH_OFFSET);
    if (header_length > DIAL_MODELFILE_MAX_HEADER)
        return dial_modelfile_fail(&r,
                                   "the header claims %" PRIu64 " bytes, over the %" PRIu64
                                   " MiB limit: the file is damaged",
                                   header_length, DIAL_MODELFILE_MAX_HEADER >> 20);
    uint64_t data_start = dial_modelfile_align(DIAL_MODELFILE_PREFIX_SIZE + header_length);
    if (length < data_start + DIAL_MODELFILE_CHECKSUM_SIZE)
        return dial_modelfile_fail(&r,
                                   "truncated: the file has %zu bytes but its %" PRIu64
                                   "-byte header needs at least %" PRIu64,
                                   length, header_length,
                                   data_start + DIAL_MODELFILE_CHECKSUM_SIZE);

    json_error_t error;
    json_t *header = json_loadb((const char *)bytes + DIAL_MODELFILE_PREFIX_SIZE,
                                (size_t)header_length, JSON_REJECT_DUPLICATES, &error);
    dial_status status =
        check_whole_and_intact(&r, bytes, length, described_length(header, data_start));
    /* jansson quotes the text near the error, which may hold a newline. */
    char near[JSON_ERROR_TEXT_LENGTH + 4];
    if (status == DIAL_OK && !header)
        status = dial_modelfile_fail(&r, "the header is not valid JSON: line %d, column %d: %s",
                                     error.line, error.column,
                                     dial_modelfile_printable(error.text, near, sizeof near));
    if (status == DIAL_OK && !json_is_object(header))
        status = dial_modelfile_fail(&r, "the header must be a JSON object, found an array");
    dial_model *model = NULL;
    if (status == DIAL_OK) {
        model = dial_model_alloc(ctx);
        if (!model)
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "%s: out of memory loading the model", r.name);
    }
    if (status == DIAL_OK) status = dial_modelfile_decode_header(&r, header, model);
    if (status == DIAL_OK)
        status = dial_modelfile_decode_tensors(
            &r, header, bytes + data_start,
            (uint64_t)length - DIAL_MODELFILE_CHECKSUM_SIZE - data_start, model);
    if (status == DIAL_OK) status = dial_modelfile_decode_drift(&r, header, model);
    if (status == DIAL_OK && model->family->validate) {
        dial_fit_input shape = {
            .n_features = model->n_inputs, .task = model->task, .n_classes = model->n_classes};
        status = model->family->validate(ctx, &model->knobs, &model->tensors, &shape);
        if (status != DIAL_OK) status = dial_modelfile_wrap(&r, status);
    }
    json_decref(header);
    if (status != DIAL_OK) {
        dial_model_free(model);
        return status;
    }
    *out = model;
    return DIAL_OK;
}
