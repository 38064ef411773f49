/*
 * A small SVG writer for `dial report`: a frame (the plot area inside its
 * margins) with x and y scales, linear or log; axes with ticks and labels;
 * a viridis-like colour scale, which reads in grey and to the common
 * colour blindnesses; and the marks (circle, line, polyline, rect, text).
 * Coordinates are written to 0.1 px, enough on any screen, to keep a
 * 10,000-trial page small.
 */
#ifndef DIAL_CLI_REPORT_SVG_H
#define DIAL_CLI_REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/report_html.h"

/* A data range mapped onto a pixel range; log maps log10 of the value (the
 * range then must be > 0). */
typedef struct report_scale {
    double low, high;
    bool log;
    bool integer;    /* whole numbers only (trial numbers, steps): no tick between */
    double from, to; /* pixels: low maps to from, high to to */
} report_scale;

/* Sets low and high to the finite values' range (positive ones for log),
 * widened by a twentieth on each side so that no point sits on an axis; a
 * single value gets a range around it. */
void report_scale_fit(report_scale *scale, const double *values, size_t n, bool log);
/* Pixel of value v. */
double report_scale_at(const report_scale *scale, double v);

/* The plot area of one svg. */
typedef struct report_frame {
    report_buf *buf;
    double width, height;            /* the viewBox */
    double left, right, top, bottom; /* margins */
    report_scale x, y;               /* from/to set by report_frame_begin */
    bool no_grid;                    /* no grid lines across (a heat map) */
} report_frame;

/* Opens <svg viewBox="0 0 W H" width="100%" role="img" aria-label=...>
 * and sets the scales' pixel ranges from the margins (y grows upward).
 * Fill frame->x and ->y's ranges before drawing axes or marks. */
void report_frame_begin(report_frame *frame, report_buf *buf, double width, double height,
                        const char *label);
void report_frame_end(report_frame *frame);
/* The x axis along the bottom (y axis along the left) with ticks at round
 * values (decades for a log scale) and its label under (beside) it. */
void report_axis_x(const report_frame *frame, const char *label);
void report_axis_y(const report_frame *frame, const char *label);
/* An x axis of n categories at 0 .. n-1 (set x to -0.5 .. n-0.5). */
void report_axis_x_categories(const report_frame *frame, const char *const *names, size_t n,
                              const char *label);
/* A vertical colour bar at the right margin from low (bottom) to high,
 * label its hover text. */
void report_colorbar(const report_frame *frame, double low, double high, const char *label);

/* The colour at t in [0, 1] of a viridis-like scale (dark purple to
 * yellow), as "#rrggbb" into out. */
void report_viridis(double t, char out[8]);
/* A tick or short label: at most 4 significant digits, "1e-05" style for
 * very small or large numbers. */
void report_number_short(double v, char *buf, size_t size);

/* Marks. title (may be NULL) is shown on hover by the browser. */
void report_circle(report_buf *buf, double x, double y, double r, const char *fill,
                   const char *title);
/* An open circle (the stroke only): a pruned trial. */
void report_ring(report_buf *buf, double x, double y, double r, const char *stroke,
                 const char *title);
void report_line(report_buf *buf, double x1, double y1, double x2, double y2, const char *stroke,
                 double width);
void report_rect(report_buf *buf, double x, double y, double w, double h, const char *fill,
                 const char *title);
/* anchor: "start", "middle" or "end"; text escaped. */
void report_text(report_buf *buf, double x, double y, const char *anchor, double size,
                 const char *text);
/* A polyline: begin, points, end with its stroke, width, opacity and
 * (optional) title. dashed: a pruned trial's path. */
void report_polyline_begin(report_buf *buf);
void report_polyline_point(report_buf *buf, double x, double y);
void report_polyline_end(report_buf *buf, const char *stroke, double width, double opacity,
                         bool dashed, const char *title);

#endif
