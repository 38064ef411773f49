/* The SVG writer of `dial report` (report_svg.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/report_svg.h"

static double scale_coordinate(const report_scale *scale, double v) {
    return scale->log ? log10(v) : v;
}

void report_scale_fit(report_scale *scale, const double *values, size_t n, bool log) {
    double low = INFINITY, high = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = values[i];
        if (!isfinite(v) || (log && v <= 0)) continue;
        if (v < low) low = v;
        if (v > high) high = v;
    }
    scale->log = log;
    if (!(low <= high)) {
        low = log ? 1 : 0;
        high = log ? 10 : 1;
    }
    if (log) {
        double a = log10(low), b = log10(high), pad = a == b ? 0.5 : (b - a) / 20;
        scale->low = pow(10, a - pad);
        scale->high = pow(10, b + pad);
        return;
    }
    double pad = low == high ? (low == 0 ? 1 : fabs(low) / 10) : (high - low) / 20;
    scale->low = low - pad;
    scale->high = high + pad;
}

double report_scale_at(const report_scale *scale, double v) {
    double a = scale_coordinate(scale, scale->low), b = scale_coordinate(scale, scale->high);
    double c = scale_coordinate(scale, v);
    if (!(b > a)) return (scale->from + scale->to) / 2;
    return scale->from + (c - a) / (b - a) * (scale->to - scale->from);
}

void report_number_short(double v, char *buf, size_t size) {
    if (v == 0) {
        snprintf(buf, size, "0");
        return;
    }
    /* whole numbers as such (trial 10000, not 1e+04), and large ones to
     * the unit (63670, not 6.367e+04) */
    if ((v == floor(v) || fabs(v) >= 1e4) && fabs(v) < 1e9)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%.4g", v);
}

void report_viridis(double t, char out[8]) {
    static const unsigned char stops[9][3] = {
        {0x44, 0x01, 0x54}, {0x47, 0x2d, 0x7b}, {0x3b, 0x52, 0x8b},
        {0x2c, 0x72, 0x8e}, {0x21, 0x91, 0x8c}, {0x28, 0xae, 0x80},
        {0x5e, 0xc9, 0x62}, {0xad, 0xdc, 0x30}, {0xfd, 0xe7, 0x25}};
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    double at = t * 8;
    int i = (int)floor(at);
    if (i >= 8) i = 7;
    double f = at - i;
    int rgb[3];
    for (int c = 0; c < 3; c++)
        rgb[c] = (int)lround(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]));
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

void report_frame_begin(report_frame *frame, report_buf *buf, double width, double height,
                        const char *label) {
    frame->buf = buf;
    frame->width = width;
    frame->height = height;
    if (frame->left == 0) frame->left = 72;
    if (frame->right == 0) frame->right = 20;
    if (frame->top == 0) frame->top = 16;
    if (frame->bottom == 0) frame->bottom = 52;
    frame->x.from = frame->left;
    frame->x.to = width - frame->right;
    frame->y.from = height - frame->bottom;
    frame->y.to = frame->top;
    report_printf(buf,
                  "<svg viewBox=\"0 0 %g %g\" width=\"100%%\" "
                  "role=\"img\" aria-label=\"",
                  width, height);
    report_escape(buf, label);
    report_puts(buf, "\" font-size=\"13\">\n");
}

void report_frame_end(report_frame *frame) { report_puts(frame->buf, "</svg>\n"); }

/* Round tick values across [low, high]: 1, 2 or 5 times a power of ten
 * apart, about target of them. */
static size_t linear_ticks(double low, double high, size_t target, bool integer, double *ticks,
                           size_t max) {
    double span = high - low;
    if (!(span > 0) || !isfinite(span)) return 0;
    double raw = span / (double)target, power = pow(10, floor(log10(raw))), step = power;
    if (raw / power >= 5)
        step = 5 * power;
    else if (raw / power >= 2)
        step = 2 * power;
    if (integer && step < 1) step = 1;
    size_t n = 0;
    for (double t = ceil(low / step) * step; t <= high + step * 1e-9 && n < max; t += step)
        ticks[n++] = fabs(t) < step * 1e-9 ? 0 : t;
    return n;
}

/* Decades in the range, or 1-2-5 within decades when fewer than two
 * decades show; falls back to round values of the exponent's range. */
static size_t log_ticks(double low, double high, double *ticks, size_t max) {
    double a = log10(low), b = log10(high);
    size_t n = 0;
    double every = ceil((b - a) / 8);
    if (every < 1) every = 1;
    for (double e = ceil(a); e <= b + 1e-9 && n < max; e += every) ticks[n++] = pow(10, e);
    if (n >= 2) return n;
    n = 0;
    for (double e = floor(a); e <= ceil(b) && n < max; e++) {
        static const double mantissas[] = {1, 2, 5};
        for (size_t m = 0; m < 3 && n < max; m++) {
            double t = mantissas[m] * pow(10, e);
            if (t >= low && t <= high) ticks[n++] = t;
        }
    }
    return n;
}

static size_t axis_ticks(const report_scale *scale, size_t target, double *ticks, size_t max) {
    if (scale->log) return log_ticks(scale->low, scale->high, ticks, max);
    return linear_ticks(scale->low, scale->high, target, scale->integer, ticks, max);
}

#define MAX_TICKS 24

void report_axis_x(const report_frame *frame, const char *label) {
    report_buf *buf = frame->buf;
    double y = frame->y.from;
    report_line(buf, frame->x.from, y, frame->x.to, y, "#333", 1);
    double ticks[MAX_TICKS];
    size_t n = axis_ticks(&frame->x, 6, ticks, MAX_TICKS);
    for (size_t i = 0; i < n; i++) {
        double x = report_scale_at(&frame->x, ticks[i]);
        char text[32];
        report_number_short(ticks[i], text, sizeof text);
        report_line(buf, x, y, x, y + 5, "#333", 1);
        report_text(buf, x, y + 18, "middle", 12, text);
    }
    report_text(buf, (frame->x.from + frame->x.to) / 2, frame->height - 8, "middle", 13, label);
}

void report_axis_y(const report_frame *frame, const char *label) {
    report_buf *buf = frame->buf;
    double x = frame->x.from;
    report_line(buf, x, frame->y.from, x, frame->y.to, "#333", 1);
    double ticks[MAX_TICKS];
    size_t n = axis_ticks(&frame->y, 5, ticks, MAX_TICKS);
    for (size_t i = 0; i < n; i++) {
        double y = report_scale_at(&frame->y, ticks[i]);
        char text[32];
        report_number_short(ticks[i], text, sizeof text);
        report_line(buf, x - 5, y, x, y, "#333", 1);
        if (!frame->no_grid) report_line(buf, x, y, frame->x.to, y, "#eee", 1);
        report_text(buf, x - 8, y + 4, "end", 12, text);
    }
    double middle = (frame->y.from + frame->y.to) / 2;
    report_printf(buf,
                  "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" "
                  "transform=\"rotate(-90 14 %.1f)\">",
                  middle, middle);
    report_escape(buf, label);
    report_puts(buf, "</text>\n");
}

void report_axis_x_categories(const report_frame *frame, const char *const *names, size_t n,
                              const char *label) {
    report_buf *buf = frame->buf;
    double y = frame->y.from;
    report_line(buf, frame->x.from, y, frame->x.to, y, "#333", 1);
    for (size_t i = 0; i < n; i++) {
        double x = report_scale_at(&frame->x, (double)i);
        report_line(buf, x, y, x, y + 5, "#333", 1);
        report_text(buf, x, y + 18, "middle", 12, names[i]);
    }
    report_text(buf, (frame->x.from + frame->x.to) / 2, frame->height - 8, "middle", 13, label);
}

void report_colorbar(const report_frame *frame, double low, double high, const char *label) {
    report_buf *buf = frame->buf;
    double x = frame->width - frame->right + 14, top = frame->top, bottom = frame->y.from;
    const int steps = 16;
    double h = (bottom - top) / steps;
    for (int i = 0; i < steps; i++) {
        char colour[8];
        report_viridis((i + 0.5) / steps, colour);
        report_printf(buf,
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.1f\" fill=\"%s\"/>\n", x,
                      bottom - (i + 1) * h, h + 0.5, colour);
    }
    char text[32];
    report_number_short(high, text, sizeof text);
    report_text(buf, x + 16, top + 10, "start", 11, text);
    report_number_short(low, text, sizeof text);
    report_text(buf, x + 16, bottom, "start", 11, text);
    /* the name would not fit beside the bar: it is the bar's hover text,
     * and the caption says what the colour is */
    report_printf(buf,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.1f\" "
                  "fill=\"none\" stroke=\"#333\" stroke-width=\"0.5\"><title>",
                  x, top, bottom - top);
    report_escape(buf, label);
    report_puts(buf, "</title></rect>\n");
}

static void title_and_close(report_buf *buf, const char *element, const char *title) {
    if (!title) {
        report_puts(buf, "/>\n");
        return;
    }
    report_puts(buf, "><title>");
    report_escape(buf, title);
    report_printf(buf, "</title></%s>\n", element);
}

void report_circle(report_buf *buf, double x, double y, double r, const char *fill,
                   const char *title) {
    report_printf(buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%g\" fill=\"%s\"", x, y, r, fill);
    title_and_close(buf, "circle", title);
}

void report_ring(report_buf *buf, double x, double y, double r, const char *stroke,
                 const char *title) {
    report_printf(buf,
                  "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%g\" fill=\"none\" stroke=\"%s\" "
                  "stroke-width=\"1.5\"",
                  x, y, r, stroke);
    title_and_close(buf, "circle", title);
}

void report_line(report_buf *buf, double x1, double y1, double x2, double y2, const char *stroke,
                 double width) {
    report_printf(buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                  "stroke-width=\"%g\"/>\n",
                  x1, y1, x2, y2, stroke, width);
}

void report_rect(report_buf *buf, double x, double y, double w, double h, const char *fill,
                 const char *title) {
    report_printf(buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"", x,
                  y, w, h, fill);
    title_and_close(buf, "rect", title);
}

void report_text(report_buf *buf, double x, double y, const char *anchor, double size,
                 const char *text) {
    report_printf(buf, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%g\">", x, y,
                  anchor, size);
    report_escape(buf, text);
    report_puts(buf, "</text>\n");
}

void report_polyline_begin(report_buf *buf) { report_puts(buf, "<polyline points=\""); }

void report_polyline_point(report_buf *buf, double x, double y) {
    report_printf(buf, "%.1f,%.1f ", x, y);
}

void report_polyline_end(report_buf *buf, const char *stroke, double width, double opacity,
                         bool dashed, const char *title) {
    if (buf->length && buf->data[buf->length - 1] == ' ') buf->data[--buf->length] = '\0';
    report_printf(buf, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"%g\"", stroke, width);
    if (opacity < 1) report_printf(buf, " stroke-opacity=\"%g\"", opacity);
    if (dashed) report_puts(buf, " stroke-dasharray=\"4 3\"");
    title_and_close(buf, "polyline", title);
}
