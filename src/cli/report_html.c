/* The page of `dial report` (report_html.h): a growing buffer, escaping,
 * the inline style and script, figures and the atomic write. The style
 * lays the plots out two to a row on a wide screen and one under another
 * below 700 px (a phone), where the plots' text is drawn larger (a plot
 * 640 units wide shrinks to about 370 px there), and lets the trial table
 * scroll sideways rather than squeeze its columns. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report_html.h"

static void reserve(report_buf *buf, size_t more) {
    if (buf->length + more + 1 <= buf->capacity) return;
    size_t capacity = buf->capacity ? buf->capacity : 4096;
    while (capacity < buf->length + more + 1) capacity *= 2;
    char *grown = cli_alloc(capacity, 1);
    if (buf->data) memcpy(grown, buf->data, buf->length + 1);
    free(buf->data);
    buf->data = grown;
    buf->capacity = capacity;
}

void report_buf_free(report_buf *buf) {
    free(buf->data);
    *buf = (report_buf){NULL, 0, 0};
}

static void put_bytes(report_buf *buf, const char *bytes, size_t length) {
    reserve(buf, length);
    memcpy(buf->data + buf->length, bytes, length);
    buf->length += length;
    buf->data[buf->length] = '\0';
}

void report_puts(report_buf *buf, const char *text) { put_bytes(buf, text, strlen(text)); }

void report_printf(report_buf *buf, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    int length = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (length < 0) return;
    reserve(buf, (size_t)length);
    va_start(args, fmt);
    vsnprintf(buf->data + buf->length, (size_t)length + 1, fmt, args);
    va_end(args);
    buf->length += (size_t)length;
}

void report_escape(report_buf *buf, const char *text) {
    if (!text) return;
    const char *run = text;
    for (const char *p = text; *p; p++) {
        const char *entity = NULL;
        switch (*p) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default: continue;
        }
        put_bytes(buf, run, (size_t)(p - run));
        report_puts(buf, entity);
        run = p + 1;
    }
    report_puts(buf, run);
}

/* System fonts only: a font fetched from anywhere would break the page
 * offline. */
static const char style[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f;"
    "margin:0 auto;max-width:1280px;padding:0 16px 32px;background:#fff}\n"
    "h1{font-size:1.5em;margin:.8em 0 .1em}h2{font-size:1.2em;margin:1.4em 0 .5em;"
    "border-bottom:1px solid #ddd}\n"
    ".subtitle{color:#555;margin:0 0 1em}.note{color:#8a4b00}\n"
    ".plots{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px}\n"
    "figure.plot{margin:0;border:1px solid #ddd;border-radius:4px;padding:8px;min-width:0}\n"
    "figure.plot svg{width:100%;height:auto;display:block}\n"
    "figcaption{font-size:.9em;color:#444;margin-top:4px}\n"
    "p.plot-missing{border:1px dashed #bbb;padding:8px;color:#555}\n"
    ".scroll{overflow-x:auto;max-width:100%}#settings td,#best td{overflow-wrap:anywhere}\n"
    "table{border-collapse:collapse;font-size:.9em}th,td{padding:3px 8px;"
    "border-bottom:1px solid #eee;text-align:left;vertical-align:top}\n"
    "td.n,#trials td{text-align:right;font-variant-numeric:tabular-nums}#trials "
    "td.t{text-align:left}\n"
    "#trials th{cursor:pointer;position:sticky;top:0;background:#f6f6f6}\n"
    "tr.pruned td{color:#8a4b00}tr.failed td{color:#a00}tr.running td{color:#555}\n"
    "code{display:block;white-space:pre-wrap;word-break:break-all;background:#f4f4f4;"
    "padding:8px;border-radius:4px}\n"
    "svg text{font-family:system-ui,sans-serif}\n"
    "@media (max-width:700px){.plots{grid-template-columns:1fr}body{font-size:14px;"
    "padding:0 8px 24px}figure.plot{padding:4px}svg text{font-size:20px}}\n";

/* Sorting only: the page reads the same without it. A header cell sorts
 * its column, by number when the header's class is "n" (a cell's data-v
 * holds its number when its text is not one, as a duration's "3 min 5 s";
 * "-", no value, sorts last), else by text. */
static const char script[] =
    "(function(){var t=document.getElementById('trials');if(!t)return;"
    "var hs=t.tHead.rows[0].cells;for(var i=0;i<hs.length;i++)(function(c){"
    "var up=true,num=hs[c].className==='n';hs[c].title='click to sort';"
    "hs[c].addEventListener('click',function(){"
    "var b=t.tBodies[0],rs=Array.prototype.slice.call(b.rows);"
    "function k(r){var d=r.cells[c];if(!d)return num?NaN:'';var v=d.getAttribute('data-v');"
    "if(v===null)v=d.textContent;return num?parseFloat(v):v;}"
    "rs.sort(function(x,y){var a=k(x),z=k(y);if(num){"
    "if(isNaN(a))return isNaN(z)?0:1;if(isNaN(z))return -1;return up?a-z:z-a;}"
    "return up?a.localeCompare(z):z.localeCompare(a);});"
    "up=!up;rs.forEach(function(r){b.appendChild(r);});});})(i);})();\n";

void report_page_begin(report_buf *buf, const char *title, const char *subtitle) {
    report_puts(buf, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>");
    report_escape(buf, title);
    report_printf(buf, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", style);
    report_escape(buf, title);
    report_puts(buf, "</h1>\n<p class=\"subtitle\">");
    report_escape(buf, subtitle);
    report_puts(buf, "</p>\n");
}

void report_page_end(report_buf *buf) {
    report_printf(buf, "<script>\n%s</script>\n</body>\n</html>\n", script);
}

char *report_plot_name(const char *knob) {
    char *name = cli_strdup(knob);
    for (char *p = name; *p; p++) {
        char c = *p;
        bool kept = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
        if (!kept) *p = '-';
    }
    return name;
}

void report_figure_begin(report_buf *buf, const char *name) {
    report_puts(buf, "<figure class=\"plot\" id=\"plot-");
    report_escape(buf, name);
    report_puts(buf, "\">\n");
}

void report_figure_end(report_buf *buf, const char *caption) {
    report_puts(buf, "<figcaption>");
    report_escape(buf, caption);
    report_puts(buf, "</figcaption>\n</figure>\n");
}

void report_missing(report_buf *buf, const char *name, const char *why) {
    report_puts(buf, "<p class=\"plot-missing\" id=\"missing-");
    report_escape(buf, name);
    report_puts(buf, "\">");
    report_escape(buf, why);
    report_puts(buf, "</p>\n");
}

void report_setting(report_buf *buf, const char *name, const char *value) {
    report_puts(buf, "<tr><th>");
    report_escape(buf, name);
    report_puts(buf, "</th><td>");
    report_escape(buf, value);
    report_puts(buf, "</td></tr>\n");
}

dial_status report_write(dial_ctx *ctx, const char *path, const report_buf *page) {
    dial_output *output = NULL;
    dial_status status = cli_output_open(ctx, path, &output);
    if (status != DIAL_OK) return status;
    dial_output_write(output, page->data, page->length);
    return cli_output_commit(ctx, output);
}
