/*
 * The page `dial report` writes: one self-contained HTML5 file (the markup
 * contract of docs/report.md). The page is built in memory in a report_buf
 * and written in one go through cli_output_open, so a crash or a full disk
 * never leaves half a page: the old file stays until the new one is whole.
 *
 * Everything is inline: one <style>, one small <script> that only sorts the
 * trial table (hover details are SVG <title> elements, which a browser
 * shows without any script), and SVG drawn by report_svg.c. Nothing the
 * page names points outside it.
 */
#ifndef DIAL_CLI_REPORT_HTML_H
#define DIAL_CLI_REPORT_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"

/* A growing text; allocation failure exits the program (cli_alloc). */
typedef struct report_buf {
    char *data; /* NUL-terminated; owned */
    size_t length, capacity;
} report_buf;

void report_buf_free(report_buf *buf);
void report_puts(report_buf *buf, const char *text);
void report_printf(report_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends text with &, <, >, " and ' written as entities, for element
 * content and attribute values alike. */
void report_escape(report_buf *buf, const char *text);

/* The page's largest size: the 10,000-trial study stays under it because
 * plots thin their points (REPORT_MAX_POINTS) and say so. */
#define REPORT_MAX_BYTES (5u * 1024u * 1024u)

/* "<!DOCTYPE html>", the head with the title and the inline style, and the
 * page's heading and subtitle (both escaped). */
void report_page_begin(report_buf *buf, const char *title, const char *subtitle);
/* The sorting script and the closing tags. */
void report_page_end(report_buf *buf);

/* A plot's id part for a knob: characters outside [A-Za-z0-9_-] become
 * '-' ("slice-" + this). malloc'ed. */
char *report_plot_name(const char *knob);
/* <figure class="plot" id="plot-NAME">; the caller draws one <svg> and
 * ends the figure with report_figure_end and its caption (escaped). */
void report_figure_begin(report_buf *buf, const char *name);
void report_figure_end(report_buf *buf, const char *caption);
/* <p class="plot-missing" id="missing-NAME"> with why (escaped), in place
 * of a plot that cannot be drawn. */
void report_missing(report_buf *buf, const char *name, const char *why);

/* A table row of two cells, th and td, both escaped: the settings block. */
void report_setting(report_buf *buf, const char *name, const char *value);

/* Writes the page to path through cli_output_open (a temporary file beside
 * it, renamed when whole). Errors as cli_output_open and cli_output_commit
 * (the message on ctx: the path and the system's reason). */
dial_status report_write(dial_ctx *ctx, const char *path, const report_buf *page);

#endif
