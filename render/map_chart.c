/* map_chart.c — the chart model of map_plot.h without the drawing: the
 * series, marks and texts a chart holds, the colours, the file formats, the
 * tick steps and labels, and saving to a file that appears only when
 * complete (drawn by map_plot.c, the one file that touches cairo). */
#include "map_plot_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const map_rgb map_plot_region_color = {0.0, 0.447, 0.698}; /* Okabe–Ito blue */

map_plot_format map_plot_format_of(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot || dot == path || dot[-1] == '/')
        return MAP_PLOT_UNKNOWN;
    if (strcasecmp(dot, ".svg") == 0)
        return MAP_PLOT_SVG;
    if (strcasecmp(dot, ".png") == 0)
        return MAP_PLOT_PNG;
    return MAP_PLOT_UNKNOWN;
}

map_rgb map_plot_series_color(size_t i, size_t n)
{
    /* viridis at t = 0, 0.1, ..., 1 */
    static const double v[11][3] = {
        {0.267, 0.005, 0.329}, {0.283, 0.141, 0.458}, {0.254, 0.265, 0.530},
        {0.207, 0.372, 0.553}, {0.164, 0.471, 0.558}, {0.128, 0.567, 0.551},
        {0.135, 0.659, 0.518}, {0.267, 0.749, 0.441}, {0.478, 0.821, 0.318},
        {0.741, 0.873, 0.150}, {0.993, 0.906, 0.144}};
    /* from t = 0.78 (green) for the smallest budget to t = 0.08 (dark) */
    const double t = n <= 1 ? 0.35 : 0.78 - 0.70 * (double)i / (double)(n - 1);
    const double f = t * 10.0;
    size_t a = (size_t)f;
    if (a > 9)
        a = 9;
    const double w = f - (double)a;
    map_rgb c = {v[a][0] + w * (v[a + 1][0] - v[a][0]), v[a][1] + w * (v[a + 1][1] - v[a][1]),
                 v[a][2] + w * (v[a + 1][2] - v[a][2])};
    return c;
}

map_chart *map_chart_new(void)
{
    map_chart *c = map_calloc(1, sizeof *c);
    if (c)
        for (int i = 0; i < 4; i++)
            c->view[i] = NAN;
    return c;
}

void map_chart_free(map_chart *c)
{
    if (!c)
        return;
    MAP_FREE_ALL(c->title, c->subtitle, c->xlabel, c->ylabel, c->hollow);
    for (size_t i = 0; i < c->ns; i++) {
        map_free(c->s[i].label);
        map_free(c->s[i].pt);
    }
    map_free(c->s);
    for (size_t i = 0; i < c->nm; i++)
        map_free(c->m[i].label);
    map_free(c->m);
    map_free(c);
}

/* Replaces *dst with a copy of src (NULL: empty); 0 or -1 when out of memory. */
static int set_text(char **dst, const char *src)
{
    char *t = map_strdup(src ? src : "");
    if (!t)
        return -1;
    map_free(*dst);
    *dst = t;
    return 0;
}

int map_chart_set_text(map_chart *c, const char *title, const char *subtitle, const char *xlabel,
                       const char *ylabel)
{
    if (set_text(&c->title, title) || set_text(&c->subtitle, subtitle) ||
        set_text(&c->xlabel, xlabel) || set_text(&c->ylabel, ylabel))
        return MAP_ENOMEM;
    return MAP_OK;
}

int map_chart_set_hollow_label(map_chart *c, const char *label)
{
    return set_text(&c->hollow, label) ? MAP_ENOMEM : MAP_OK;
}

int map_chart_add_series(map_chart *c, const char *label, map_series_style style, map_rgb color,
                         int dashed)
{
    chart_series *s = map_reallocarray(c->s, c->ns + 1, sizeof *s);
    if (!s)
        return -1;
    c->s = s;
    chart_series *x = &s[c->ns];
    memset(x, 0, sizeof *x);
    if (label && !(x->label = map_strdup(label)))
        return -1;
    x->style = style;
    x->color = color;
    x->dashed = dashed;
    return (int)c->ns++;
}

int map_chart_push(map_chart *c, int s, double x, double y, int hollow)
{
    assert(s >= 0 && (size_t)s < c->ns);
    chart_series *se = &c->s[s];
    if (se->n == se->cap) {
        const size_t cap = se->cap ? 2 * se->cap : 16;
        chart_point *p = map_reallocarray(se->pt, cap, sizeof *p);
        if (!p)
            return MAP_ENOMEM;
        se->pt = p;
        se->cap = cap;
    }
    se->pt[se->n++] = (chart_point){x, y, hollow};
    return MAP_OK;
}

size_t map_chart_series_len(const map_chart *c, int s) { return c->s[s].n; }

int map_chart_add_mark(map_chart *c, map_mark_shape shape, double x, double y, const char *label)
{
    if (!isfinite(x) || !isfinite(y))
        return MAP_OK;
    chart_mark *m = map_reallocarray(c->m, c->nm + 1, sizeof *m);
    if (!m)
        return MAP_ENOMEM;
    c->m = m;
    chart_mark *k = &m[c->nm];
    k->shape = shape;
    k->x = x;
    k->y = y;
    if (!(k->label = map_strdup(label ? label : "")))
        return MAP_ENOMEM;
    c->nm++;
    return MAP_OK;
}

void map_chart_set_view(map_chart *c, double xlo, double xhi, double ylo, double yhi)
{
    c->view[0] = xlo;
    c->view[1] = xhi;
    c->view[2] = ylo;
    c->view[3] = yhi;
}

/* ---- ticks -------------------------------------------------------------- */

size_t map_plot_ticks(double lo, double hi, double *out, size_t max, double *step)
{
    *step = NAN;
    if (!(isfinite(lo) && isfinite(hi) && lo < hi))
        return 0;
    const double span = hi - lo;
    /* of the 1/2/5 steps giving 4 to 10 ticks, the one giving closest to 6
     * (the fewer on a tie); consecutive steps differ by at most 2.5 times,
     * so one gives 4 to 10 */
    static const double mult[] = {1.0, 2.0, 5.0};
    double st = NAN, best = INFINITY;
    const double e0 = floor(log10(span)) - 2.0;
    for (int e = 0; e < 4; e++)
        for (size_t i = 0; i < 3; i++) {
            const double s = mult[i] * pow(10.0, e0 + e), eps = 1e-6 * s;
            const double count = floor((hi + eps) / s) - ceil((lo - eps) / s) + 1.0;
            const double score = fabs(count - 6.0) + (count > 6.0 ? 0.25 : 0.0);
            if (count >= 4.0 && count <= 10.0 && score < best) {
                best = score;
                st = s;
            }
        }
    if (isnan(st))
        return 0;
    *step = st;
    const double eps = 1e-6 * st;
    size_t n = 0;
    for (double k = ceil((lo - eps) / st); k * st <= hi + eps && n < max; k += 1.0) {
        double v = k * st;
        if (fabs(v) < eps)
            v = 0.0;
        out[n++] = v;
    }
    return n;
}

void map_plot_tick_label(double v, double step, char *buf, size_t size)
{
    int dec = 0;
    if (step > 0 && isfinite(step)) {
        dec = (int)-floor(log10(step) + 1e-9);
        if (dec < 0)
            dec = 0;
        if (dec > 12)
            dec = 12;
    }
    const double a = fabs(v);
    char num[40];
    if (a != 0.0 && (a >= 1e6 || (dec > 6)))
        snprintf(num, sizeof num, "%.3g", a);
    else
        snprintf(num, sizeof num, "%.*f", dec, a);
    /* "-0.0" is not a number anyone wants to read */
    int zero = 1;
    for (const char *p = num; *p; p++)
        if (*p >= '1' && *p <= '9')
            zero = 0;
    snprintf(buf, size, "%s%s", v < 0 && !zero ? "\xe2\x88\x92" : "", num);
}

/* ---- files -------------------------------------------------------------- */

/* Creates a new file beside path (path.tmp-PID-N), open for writing; its
 * name in tmp. -1 with errno set when none can be made. */
static int temp_beside(const char *path, char *tmp, size_t size)
{
    static unsigned counter;
    for (int tries = 0; tries < 100; tries++) {
        const int w = snprintf(tmp, size, "%s.tmp-%ld-%u", path, (long)getpid(), counter++);
        if (w < 0 || (size_t)w >= size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        const int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

static int bad_path(const char *path, int e, map_error *err)
{
    return map_error_set_field(err, MAP_EUSAGE, "plot", "cannot write %s: %s", path, strerror(e));
}

/* The checks on path that need no file created: its format, and an
 * existing file that is a folder or cannot be written. */
static int check_target(const char *path, map_error *err)
{
    if (map_plot_format_of(path) == MAP_PLOT_UNKNOWN)
        return map_error_set_field(err, MAP_EUSAGE, "plot",
                                   "%s: unknown format (the file name must end in .svg or .png)",
                                   path);
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return bad_path(path, EISDIR, err);
        if (access(path, W_OK) != 0)
            return bad_path(path, errno, err);
    }
    return MAP_OK;
}

/* check_target, then a new file beside path, open for writing (*fd; its
 * name in tmp, of size bytes). */
static int open_beside(const char *path, char *tmp, size_t size, int *fd, map_error *err)
{
    const int rc = check_target(path, err);
    if (rc)
        return rc;
    *fd = temp_beside(path, tmp, size);
    return *fd < 0 ? bad_path(path, errno, err) : MAP_OK;
}

int map_plot_check_path(const char *path, map_error *err)
{
    /* The folder takes a new file: the one the chart will be written to. */
    char tmp[4096];
    int fd;
    const int rc = open_beside(path, tmp, sizeof tmp, &fd, err);
    if (rc)
        return rc;
    close(fd);
    unlink(tmp);
    return MAP_OK;
}

static int file_write(void *ctx, const unsigned char *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

int map_chart_save(const map_chart *c, const char *path, map_error *err)
{
    /* The temporary file it is written to is the folder's check. */
    char tmp[4096];
    int fd;
    const int rc0 = open_beside(path, tmp, sizeof tmp, &fd, err);
    if (rc0)
        return rc0;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        const int e = errno;
        close(fd);
        unlink(tmp);
        return bad_path(path, e, err);
    }
    errno = 0;
    int rc = map_chart_render(c, map_plot_format_of(path), file_write, f, err);
    int e = errno, io = ferror(f);
    if (fflush(f) != 0 || ferror(f)) {
        e = errno;
        io = 1;
    }
    if (fclose(f) != 0) {
        e = errno;
        io = 1;
    }
    if (!rc && !io && rename(tmp, path) != 0) {
        e = errno;
        io = 1;
    }
    if (rc || io) {
        unlink(tmp);
        if (io)
            rc = map_error_set_field(err, MAP_ENOMEM, "plot", "cannot write %s: %s", path,
                                     e ? strerror(e) : "write error");
    }
    return rc;
}
