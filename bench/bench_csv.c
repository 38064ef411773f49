/*
 * bench_csv: reads a CSV file with dial_csv_read a number of times and
 * prints one JSON line: the file's size, the best and mean seconds per read
 * and the throughput of the best read in MB/s (10^6 bytes per second).
 *
 *   bench_csv FILE [REPEATS [THREADS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "dial/dial.h"

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: bench_csv FILE [REPEATS [THREADS]]\n");
        return 2;
    }
    const char *path = argv[1];
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    if (repeats < 1 || threads < 1) {
        fprintf(stderr, "bench_csv: REPEATS and THREADS must be >= 1\n");
        return 2;
    }
    struct stat info;
    if (stat(path, &info) != 0) {
        perror(path);
        return 1;
    }
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) return 1;
    dial_ctx_set_threads(ctx, threads);
    double best = 0, total = 0;
    size_t rows = 0, cols = 0;
    for (int r = 0; r < repeats; r++) {
        dial_table *table = NULL;
        double start = now_seconds();
        dial_status status = dial_csv_read(ctx, path, NULL, &table);
        double seconds = now_seconds() - start;
        if (status != DIAL_OK) {
            fprintf(stderr, "bench_csv: %s\n", dial_ctx_error(ctx));
            dial_ctx_free(ctx);
            return 1;
        }
        rows = table->n_rows;
        cols = table->n_cols;
        dial_table_free(table);
        total += seconds;
        if (r == 0 || seconds < best) best = seconds;
    }
    double bytes = (double)info.st_size;
    printf("{\"file\": \"%s\", \"bytes\": %.0f, \"rows\": %zu, \"cols\": %zu, \"repeats\": %d, "
           "\"threads\": %d, \"best_seconds\": %.4f, \"mean_seconds\": %.4f, \"mb_per_s\": %.1f}\n",
           path, bytes, rows, cols, repeats, threads, best, total / repeats, bytes / best / 1e6);
    dial_ctx_free(ctx);
    return 0;
}
