/* test_plot.c — tests of the charts of map_plot.h: formats by extension,
 * tick steps and labels, the table sink passing rows on unchanged, PNG and
 * SVG files read back (size, not blank, the series' colour present, the
 * texts in the SVG), paths that cannot be written, and running out of
 * memory. With --inspect FILE [I N | region] it instead prints the PNG's
 * "width height distinct_colours pixels_of_the_colour" (the colour of
 * series I of N, or the region's), for the end-to-end test. */
#include <cairo.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "map_plot.h"
#include "map_test.h"

static char dir[256];

/* path of name in the scratch folder (a static buffer per call site). */
static const char *in_dir(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", dir, name);
    return buf;
}

/* ---- reading a PNG back ------------------------------------------------- */

typedef struct png_facts {
    int ok, width, height;
    size_t distinct; /* distinct RGB colours */
    size_t matching; /* pixels within 1 per channel of the colour asked */
    size_t nonwhite;
} png_facts;

static png_facts inspect_png(const char *path, map_rgb want)
{
    png_facts r = {0};
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return r;
    }
    r.ok = 1;
    r.width = cairo_image_surface_get_width(s);
    r.height = cairo_image_surface_get_height(s);
    const int stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    /* cairo's rounding of a colour to 8 bits: 16 bits first, then the top 8 */
    const int wr = (int)((want.r * 65535.0 + 0.5) / 256.0), wg = (int)((want.g * 65535.0 + 0.5) / 256.0),
              wb = (int)((want.b * 65535.0 + 0.5) / 256.0);
    uint8_t *seen = calloc((size_t)1 << 21, 1); /* one bit per 24-bit colour */
    for (int y = 0; seen && y < r.height; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        for (int x = 0; x < r.width; x++) {
            const uint32_t px = row[x] & 0xffffffu;
            const int pr = (int)(px >> 16), pg = (int)((px >> 8) & 0xff), pb = (int)(px & 0xff);
            if (!(seen[px >> 3] & (1u << (px & 7)))) {
                seen[px >> 3] |= (uint8_t)(1u << (px & 7));
                r.distinct++;
            }
            if (abs(pr - wr) <= 1 && abs(pg - wg) <= 1 && abs(pb - wb) <= 1)
                r.matching++;
            if (px != 0xffffffu)
                r.nonwhite++;
        }
    }
    free(seen);
    cairo_surface_destroy(s);
    return r;
}

/* ---- a table fed to the sink -------------------------------------------- */

/* A sink that records what reaches it. */
typedef struct recorder {
    size_t ncols, rows;
    char header[512];
    double sum; /* of every number cell */
    int fail_at_row; /* a row index to fail on, or -1 */
} recorder;

static int rec_header(void *ctx, size_t ncols, const char *const *names, map_error *err)
{
    (void)err;
    recorder *r = ctx;
    r->ncols = ncols;
    r->header[0] = '\0';
    for (size_t c = 0; c < ncols; c++) {
        strncat(r->header, names[c], sizeof r->header - strlen(r->header) - 2);
        strncat(r->header, ",", sizeof r->header - strlen(r->header) - 1);
    }
    return MAP_OK;
}

static int rec_row(void *ctx, const map_cell *cells, map_error *err)
{
    recorder *r = ctx;
    if ((int)r->rows == r->fail_at_row)
        return map_error_set(err, MAP_EDATA, "stop");
    for (size_t c = 0; c < r->ncols; c++)
        if (cells[c].kind == MAP_CELL_NUMBER && isfinite(cells[c].x))
            r->sum += cells[c].x;
    r->rows++;
    return MAP_OK;
}

static const char *const fr_cols[] = {"point", "budget", "u_a", "u_b", "t", "lambda_a", "lambda_b",
                                      "level_a", "level_b", "level_c", "kl", "ess", "status"};
#define FR_NCOLS (sizeof fr_cols / sizeof fr_cols[0])

/* Feeds s a frontier table over values a, b of nb budgets with np
 * directions each: quarter circles of radius budget around (0, 0), the
 * last budget saturated. Returns the first non-zero status. */
static int feed_frontier(const map_table_sink *s, size_t nb, size_t np, map_error *err)
{
    int rc = s->header(s->ctx, FR_NCOLS, fr_cols, err);
    size_t point = 0;
    for (size_t b = 0; b < nb && !rc; b++)
        for (size_t i = 0; i < np && !rc; i++) {
            const double eps = 0.5 * (double)(b + 1), th = M_PI / 2.0 * (double)i / (double)(np - 1);
            const int sat = b + 1 == nb;
            map_cell c[FR_NCOLS];
            memset(c, 0, sizeof c);
            c[0] = (map_cell){MAP_CELL_COUNT, 0, point++, NULL};
            c[1] = (map_cell){MAP_CELL_NUMBER, eps, 0, NULL};
            c[2] = (map_cell){MAP_CELL_NUMBER, cos(th), 0, NULL};
            c[3] = (map_cell){MAP_CELL_NUMBER, sin(th), 0, NULL};
            c[4] = (map_cell){MAP_CELL_NUMBER, sat ? INFINITY : 1.0, 0, NULL};
            c[5] = (map_cell){MAP_CELL_NUMBER, 1.0, 0, NULL};
            c[6] = (map_cell){MAP_CELL_NUMBER, 1.0, 0, NULL};
            c[7] = (map_cell){MAP_CELL_NUMBER, sqrt(eps) * cos(th), 0, NULL};
            c[8] = (map_cell){MAP_CELL_NUMBER, sqrt(eps) * sin(th), 0, NULL};
            c[9] = (map_cell){MAP_CELL_NUMBER, 0.0, 0, NULL};
            c[10] = (map_cell){MAP_CELL_NUMBER, eps, 0, NULL};
            c[11] = (map_cell){MAP_CELL_NUMBER, 100.0, 0, NULL};
            c[12] = (map_cell){MAP_CELL_TEXT, 0, 0, sat ? "saturated" : "converged"};
            rc = s->row(s->ctx, c, err);
        }
    return rc;
}

static const char *const vals[] = {"a", "b"};
static const double ref[] = {-0.2, -0.1};

static map_plot_table_opts frontier_opts(void)
{
    map_plot_table_opts o = {MAP_PLOT_FRONTIER, "toy", 1000, vals, 2, 0, 0};
    return o;
}

/* map_plot_table_new with the reference levels ref set (NULL when out of
 * memory). */
static map_plot_table *new_with_ref(const map_plot_table_opts *o, const map_table_sink *next)
{
    map_plot_table *p = map_plot_table_new(o, next);
    if (p && map_plot_table_set_reference(p, ref) != MAP_OK) {
        map_plot_table_free(p);
        return NULL;
    }
    return p;
}

/* ---- tests -------------------------------------------------------------- */

static void test_formats(void)
{
    MAP_CHECK(map_plot_format_of("a.svg") == MAP_PLOT_SVG, "svg");
    MAP_CHECK(map_plot_format_of("dir.x/A.PNG") == MAP_PLOT_PNG, "PNG");
    MAP_CHECK(map_plot_format_of("a.pdf") == MAP_PLOT_UNKNOWN, "pdf");
    MAP_CHECK(map_plot_format_of("png") == MAP_PLOT_UNKNOWN, "no dot");
    MAP_CHECK(map_plot_format_of(".png") == MAP_PLOT_UNKNOWN, "a hidden file, no name");
    MAP_CHECK(map_plot_format_of("d/.png") == MAP_PLOT_UNKNOWN, "a hidden file in a folder");
    MAP_CHECK(map_plot_format_of("a.png.txt") == MAP_PLOT_UNKNOWN, "last extension counts");
    MAP_CHECK(map_plot_format_of(NULL) == MAP_PLOT_UNKNOWN, "NULL");
}

/* Ticks over many ranges: the step is 1, 2 or 5 times a power of ten, the
 * ticks are its multiples, inside the range, 4 to 10 of them, consecutive. */
static void test_ticks(void)
{
    srand(12345);
    for (int trial = 0; trial < 20000; trial++) {
        const double lo = ((double)rand() / RAND_MAX - 0.5) * pow(10.0, rand() % 12 - 6);
        const double span = pow(10.0, ((double)rand() / RAND_MAX) * 14.0 - 7.0);
        const double hi = lo + span;
        double t[32], step;
        const size_t n = map_plot_ticks(lo, hi, t, 32, &step);
        const double e = log10(step), m = step / pow(10.0, floor(e + 1e-12));
        int ok = fabs(m - 1.0) < 1e-9 || fabs(m - 2.0) < 1e-9 || fabs(m - 5.0) < 1e-9;
        ok = ok && n >= 4 && n <= 10;
        for (size_t i = 0; ok && i < n; i++) {
            ok = t[i] >= lo - 1e-6 * step && t[i] <= hi + 1e-6 * step &&
                 fabs(t[i] - round(t[i] / step) * step) <= 1e-6 * step + 1e-14 * fabs(t[i]);
            if (i)
                ok = ok && fabs(t[i] - t[i - 1] - step) <= 1e-6 * step + 1e-14 * fabs(t[i]);
        }
        /* no room for one more tick on either side */
        ok = ok && t[0] - step < lo - 1e-6 * step && t[n - 1] + step > hi + 1e-6 * step;
        if (!ok) {
            MAP_CHECK(ok, "[%.17g, %.17g]: %zu ticks, step %.17g", lo, hi, n, step);
            break;
        }
    }
    double t[4], step;
    MAP_CHECK(map_plot_ticks(1.0, 1.0, t, 4, &step) == 0, "an empty range has no ticks");
    MAP_CHECK(map_plot_ticks(NAN, 1.0, t, 4, &step) == 0, "NaN");
    MAP_CHECK(map_plot_ticks(0.0, 1.0, t, 4, &step) == 4, "at most max ticks");
}

static void test_tick_labels(void)
{
    char b[32];
    map_plot_tick_label(0.5, 0.1, b, sizeof b);
    MAP_CHECK(strcmp(b, "0.5") == 0, "0.5: %s", b);
    map_plot_tick_label(-0.2, 0.2, b, sizeof b);
    MAP_CHECK(strcmp(b, "\xe2\x88\x92" "0.2") == 0, "a true minus: %s", b);
    map_plot_tick_label(-1e-17, 0.05, b, sizeof b);
    MAP_CHECK(strcmp(b, "0.00") == 0, "never -0: %s", b);
    map_plot_tick_label(1500.0, 500.0, b, sizeof b);
    MAP_CHECK(strcmp(b, "1500") == 0, "integers: %s", b);
    map_plot_tick_label(3e-9, 1e-9, b, sizeof b);
    MAP_CHECK(strcmp(b, "3e-09") == 0, "tiny steps in exponent form: %s", b);
}

/* The sink passes every header and row on unchanged, and a failure of the
 * next sink stops the table with its status. */
static void test_passes_rows_on(void)
{
    recorder direct = {0, 0, "", 0.0, -1}, through = {0, 0, "", 0.0, -1};
    map_error err;
    const map_table_sink ds = {rec_header, rec_row, &direct};
    MAP_CHECK(feed_frontier(&ds, 3, 7, &err) == MAP_OK, "direct");
    const map_table_sink next = {rec_header, rec_row, &through};
    const map_plot_table_opts o = frontier_opts();
    map_plot_table *p = new_with_ref(&o, &next);
    MAP_CHECK(p != NULL, "new");
    if (!p)
        return;
    const map_table_sink ps = map_plot_table_sink(p);
    MAP_CHECK(feed_frontier(&ps, 3, 7, &err) == MAP_OK, "through: %s", err.msg);
    MAP_CHECK(through.rows == 21 && direct.rows == 21, "rows %zu", through.rows);
    MAP_CHECK(strcmp(through.header, direct.header) == 0, "header %s", through.header);
    MAP_CHECK(through.sum == direct.sum, "cells %.17g vs %.17g", through.sum, direct.sum);
    map_plot_table_free(p);

    recorder stop = {0, 0, "", 0.0, 4};
    const map_table_sink sn = {rec_header, rec_row, &stop};
    p = new_with_ref(&o, &sn);
    const map_table_sink ps2 = map_plot_table_sink(p);
    MAP_CHECK(feed_frontier(&ps2, 1, 9, &err) == MAP_EDATA && strcmp(err.msg, "stop") == 0,
              "the next sink's failure comes back");
    map_plot_table_free(p);

    /* a table without the chosen values' columns */
    const map_plot_table_opts bad = {MAP_PLOT_FRONTIER, "toy", 0, (const char *const[]){"a", "zz"}, 2,
                                     0, 0};
    p = map_plot_table_new(&bad, NULL);
    const map_table_sink ps3 = map_plot_table_sink(p);
    MAP_CHECK(feed_frontier(&ps3, 1, 3, &err) == MAP_EDATA && strstr(err.msg, "level_zz") &&
                  strcmp(err.field, "plot") == 0,
              "missing column named: %s", err.msg);
    map_plot_table_free(p);
}

/* A frontier chart saved as PNG and SVG and read back. */
static void test_files(void)
{
    char png[300], svg[300];
    in_dir("f.png", png, sizeof png);
    in_dir("f.svg", svg, sizeof svg);
    const map_plot_table_opts o = frontier_opts();
    map_plot_table *p = new_with_ref(&o, NULL);
    const map_table_sink ps = map_plot_table_sink(p);
    map_error err;
    MAP_CHECK(feed_frontier(&ps, 2, 11, &err) == MAP_OK, "feed");
    MAP_CHECK(map_plot_table_save(p, png, &err) == MAP_OK, "png: %s", err.msg);
    MAP_CHECK(map_plot_table_save(p, svg, &err) == MAP_OK, "svg: %s", err.msg);
    map_plot_table_free(p);

    const png_facts f = inspect_png(png, map_plot_series_color(0, 2));
    MAP_CHECK(f.ok, "the PNG reads back");
    MAP_CHECK(f.width == MAP_PLOT_WIDTH * MAP_PLOT_PNG_SCALE &&
                  f.height == MAP_PLOT_HEIGHT * MAP_PLOT_PNG_SCALE,
              "size %dx%d", f.width, f.height);
    MAP_CHECK(f.distinct >= 50, "not blank: %zu colours", f.distinct);
    MAP_CHECK(f.nonwhite >= 20000, "ink: %zu pixels", f.nonwhite);
    /* a 2.4 pt line at 2 px/pt over a quarter circle is thousands of pixels */
    MAP_CHECK(f.matching >= 2000, "the first budget's colour: %zu pixels", f.matching);
    const png_facts g = inspect_png(png, map_plot_series_color(1, 2));
    MAP_CHECK(g.matching >= 2000, "the second budget's colour: %zu pixels", g.matching);
    const png_facts h = inspect_png(png, map_plot_region_color);
    MAP_CHECK(h.matching < 50, "no region colour in a frontier: %zu pixels", h.matching);

    FILE *fp = fopen(svg, "rb");
    MAP_CHECK(fp != NULL, "the SVG exists");
    if (fp) {
        static char text[1 << 20];
        const size_t n = fread(text, 1, sizeof text - 1, fp);
        text[n] = '\0';
        fclose(fp);
        MAP_CHECK(strncmp(text, "<?xml", 5) == 0, "an XML declaration");
        MAP_CHECK(strstr(text, "<svg") && strstr(text, "</svg>"), "one svg element");
        MAP_CHECK(strstr(text, "<title>Pareto frontiers, KL \xe2\x89\xa4 0.5 and 1 nats</title>"),
                  "the title with the budgets");
        MAP_CHECK(strstr(text, "x axis: a; y axis: b"), "the value names");
        MAP_CHECK(strstr(text, "Mark reference (\xce\xbb = 0) at (-0.2, -0.1)"), "the reference");
        MAP_CHECK(strstr(text, "width=\"800px\"") && strstr(text, "height=\"600px\""), "the size");
    }
}

/* A region chart: the boundary's colour and its light fill are present. */
static void test_region(void)
{
    static const char *const cols[] = {"point", "dir_a", "dir_b", "step", "target_a", "target_b"};
    const map_plot_table_opts o = {MAP_PLOT_REGION, "toy", 10, vals, 2, 0, 0};
    map_plot_table *p = new_with_ref(&o, NULL);
    const map_table_sink s = map_plot_table_sink(p);
    map_error err;
    int rc = s.header(s.ctx, 6, cols, &err);
    const size_t n = 36;
    for (size_t i = 0; i < n && !rc; i++) {
        const double th = 2.0 * M_PI * (double)i / (double)n, dx = cos(th), dy = sin(th);
        const int bounded = dx > 1e-12 || dy > 1e-12;
        /* the down-set of the unit disc around ref: step 1 where bounded */
        map_cell c[6] = {{MAP_CELL_COUNT, 0, i, NULL},
                         {MAP_CELL_NUMBER, dx, 0, NULL},
                         {MAP_CELL_NUMBER, dy, 0, NULL},
                         {bounded ? MAP_CELL_NUMBER : MAP_CELL_EMPTY, 1.0, 0, NULL},
                         {bounded ? MAP_CELL_NUMBER : MAP_CELL_EMPTY, ref[0] + dx, 0, NULL},
                         {bounded ? MAP_CELL_NUMBER : MAP_CELL_EMPTY, ref[1] + dy, 0, NULL}};
        rc = s.row(s.ctx, c, &err);
    }
    MAP_CHECK(rc == MAP_OK, "feed");
    char png[300];
    in_dir("r.png", png, sizeof png);
    MAP_CHECK(map_plot_table_save(p, png, &err) == MAP_OK, "save: %s", err.msg);
    map_plot_table_free(p);
    const png_facts f = inspect_png(png, map_plot_region_color);
    MAP_CHECK(f.ok && f.width == 1600 && f.height == 1200, "size");
    MAP_CHECK(f.matching >= 2000, "the boundary: %zu pixels", f.matching);
    /* the fill: the colour at 14% over white */
    const map_rgb fill = {1.0 - 0.14 * (1.0 - map_plot_region_color.r),
                          1.0 - 0.14 * (1.0 - map_plot_region_color.g),
                          1.0 - 0.14 * (1.0 - map_plot_region_color.b)};
    const png_facts g = inspect_png(png, fill);
    MAP_CHECK(g.matching >= 100000, "the fill: %zu pixels", g.matching);
}

/* Paths that cannot take a chart: named in the message, nothing left. */
static void test_bad_paths(void)
{
    map_chart *c = map_chart_new();
    map_chart_set_text(c, "t", NULL, "x", "y");
    map_error err;
    char p[300];
    MAP_CHECK(map_chart_save(c, in_dir("x.pdf", p, sizeof p), &err) == MAP_EUSAGE &&
                  strcmp(err.field, "plot") == 0 && strstr(err.msg, "x.pdf"),
              "unknown extension: %s", err.msg);
    MAP_CHECK(access(p, F_OK) != 0, "no file for a bad extension");
    MAP_CHECK(map_chart_save(c, in_dir("none/x.png", p, sizeof p), &err) == MAP_EUSAGE &&
                  strstr(err.msg, "none/x.png") && strstr(err.msg, "No such file") &&
                  strcmp(err.field, "plot") == 0,
              "missing folder: %s", err.msg);
    MAP_CHECK(mkdir(in_dir("d.png", p, sizeof p), 0755) == 0, "mkdir");
    MAP_CHECK(map_plot_check_path(p, &err) == MAP_EUSAGE && strstr(err.msg, "d.png") &&
                  strstr(err.msg, "directory"),
              "a folder: %s", err.msg);
    /* an existing file is replaced whole */
    in_dir("old.svg", p, sizeof p);
    FILE *f = fopen(p, "w");
    fputs("old", f);
    fclose(f);
    MAP_CHECK(map_chart_save(c, p, &err) == MAP_OK, "replace: %s", err.msg);
    struct stat st;
    MAP_CHECK(stat(p, &st) == 0 && st.st_size > 1000, "replaced");
    map_chart_free(c);
    /* no temporary file left behind by any of it */
    DIR *d = opendir(dir);
    struct dirent *e;
    int tmp = 0;
    while (d && (e = readdir(d)))
        tmp += strstr(e->d_name, ".tmp-") != NULL;
    if (d)
        closedir(d);
    MAP_CHECK(tmp == 0, "%d temporary files left", tmp);
}

/* Every allocation failing in turn: a clean MAP_ENOMEM (or success), no
 * crash and no leak under ASan. */
static void test_out_of_memory(void)
{
    char png[300];
    in_dir("oom.svg", png, sizeof png);
    int ok_seen = 0;
    for (long k = 0; k < 400 && !ok_seen; k++) {
        map_error err;
        map_alloc_fail_after(k);
        const map_plot_table_opts o = frontier_opts();
        map_plot_table *p = new_with_ref(&o, NULL);
        int rc = MAP_ENOMEM;
        if (p) {
            const map_table_sink s = map_plot_table_sink(p);
            rc = feed_frontier(&s, 2, 9, &err);
            if (!rc)
                rc = map_plot_table_save(p, png, &err);
        }
        map_plot_table_free(p);
        map_alloc_fail_after(-1);
        MAP_CHECK(rc == MAP_OK || rc == MAP_ENOMEM, "after %ld allocations: %d", k, rc);
        ok_seen = rc == MAP_OK;
    }
    MAP_CHECK(ok_seen, "enough allocations succeed");
}

/* Removes the scratch folder: files and empty folders, one level deep. */
static void remove_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            char p[600];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            if (remove(p) != 0)
                fprintf(stderr, "test_plot: cannot remove %s: %s\n", p, strerror(errno));
        }
    if (d)
        closedir(d);
    if (rmdir(path) != 0)
        fprintf(stderr, "test_plot: cannot remove %s: %s\n", path, strerror(errno));
}

static int inspect_main(int argc, char **argv)
{
    map_rgb want = map_plot_region_color;
    if (argc == 5)
        want = map_plot_series_color(strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10));
    const png_facts f = inspect_png(argv[2], want);
    if (!f.ok) {
        fprintf(stderr, "test_plot: %s: not a PNG cairo reads\n", argv[2]);
        return 1;
    }
    printf("%d %d %zu %zu\n", f.width, f.height, f.distinct, f.matching);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--inspect") == 0)
        return inspect_main(argc, argv);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/map-test-plot.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    MAP_RUN(test_formats);
    MAP_RUN(test_ticks);
    MAP_RUN(test_tick_labels);
    MAP_RUN(test_passes_rows_on);
    MAP_RUN(test_files);
    MAP_RUN(test_region);
    MAP_RUN(test_bad_paths);
    MAP_RUN(test_out_of_memory);
    remove_dir(dir);
    return map_test_finish();
}
