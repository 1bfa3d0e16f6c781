/* test_sweep.c — the sweep engine: identical output for 1, 2 and 3 threads,
 * rows in input order, warm-started rows against cold single solves, random
 * verdicts against single solves, cancellation (every delivered row complete
 * and contiguous), resume (exactly the missing rows, bit-identical), the
 * same for nearest-neighbour warm starts (rows solved in palette order), λ-cloud
 * rows against map_evaluate / map_levels and an independent long-double
 * computation, errors, and the generators; on the MAP paper's samples
 * ($MAP_SHARED/datasets/map-opt1.3b-hh.csv, skipped when absent) random
 * palettes over six values, under global and per-prompt normalisation. */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "map_ingest.h"
#include "map_solver.h"
#include "map_stats.h"
#include "map_sweep.h"
#include "map_test.h"
#include "map_test_data.h"

/* ------------------------------------------------------------- fixtures */

#define N 1500
#define M 4
#define K 3

static double data[N * M];
static size_t cols[K] = {0, 1, 2};
static size_t all_cols[M] = {0, 1, 2, 3};
static double scale[K], absmax[K];
static map_colstat cs[M];
static map_problem tmpl;

static uint64_t rng_state = 0x243F6A8885A308D3u;

static double unif(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

/* Correlated, skewed columns in different units (sums of uniforms). */
static void make_data(void)
{
    for (size_t j = 0; j < N; j++) {
        const double common = unif() + unif() + unif() - 1.5;
        for (size_t i = 0; i < M; i++) {
            const double z = 0.7 * common * (i % 2 ? -1.0 : 1.0) + unif() + unif() - 1.0;
            const double v = i == 0 ? exp(0.8 * z) : z;
            data[j * M + i] = (double)(i + 1) * v + 3.0 * (double)i;
        }
    }
    const map_matrix X = {N, M, M, data, NULL};
    map_column_stats(&X, cs);
    for (size_t i = 0; i < K; i++) {
        scale[i] = cs[cols[i]].sd;
        absmax[i] = cs[cols[i]].absmax;
    }
    tmpl = (map_problem){X, K, cols, NULL, scale, absmax, NULL};
}

/* A copy of a delivered row. */
typedef struct rec {
    size_t row;
    int status, improves, iterations;
    int has_target;
    double target[8], lambda[8], level[8]; /* up to 8 values; unused entries stay 0 */
    double kl, ess, margin;
} rec;

typedef struct collector {
    rec *rows;
    size_t count, cap;
    size_t expect;         /* the next row number expected */
    int out_of_order;
    atomic_int *cancel;    /* set after cancel_after rows */
    size_t cancel_after;
    size_t fail_after;     /* return MAP_ENOMEM on this row count (0: never) */
    size_t progress_calls, progress_last;
} collector;

static int collect(void *ctx, const map_sweep_row *row)
{
    collector *c = ctx;
    if (c->fail_after && c->count == c->fail_after)
        return MAP_ENOMEM;
    if (row->row != c->expect)
        c->out_of_order++;
    c->expect = row->row + 1;
    if (c->count == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->rows = realloc(c->rows, c->cap * sizeof *c->rows);
    }
    rec *r = &c->rows[c->count++];
    memset(r, 0, sizeof *r);
    r->row = row->row;
    r->status = (int)row->status;
    r->improves = row->improves;
    r->iterations = row->iterations;
    r->has_target = row->target != NULL;
    if (row->target)
        memcpy(r->target, row->target, row->k * sizeof(double));
    memcpy(r->lambda, row->lambda, row->k * sizeof(double));
    memcpy(r->level, row->level, row->nlevel * sizeof(double));
    r->kl = row->kl;
    r->ess = row->ess;
    r->margin = row->margin;
    if (c->cancel && c->count == c->cancel_after)
        atomic_store(c->cancel, 1);
    return 0;
}

static void on_progress(void *ctx, size_t done, size_t total)
{
    collector *c = ctx;
    (void)total;
    c->progress_calls++;
    c->progress_last = done;
}

static int bits_eq(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* Bit-identical rows (NaN payloads included). */
static int rec_eq(const rec *a, const rec *b)
{
    return a->row == b->row && a->status == b->status && a->improves == b->improves
           && a->iterations == b->iterations && a->has_target == b->has_target
           && bits_eq(a->target, b->target, 8) && bits_eq(a->lambda, b->lambda, 8)
           && bits_eq(a->level, b->level, 8) && bits_eq(&a->kl, &b->kl, 1)
           && bits_eq(&a->ess, &b->ess, 1) && bits_eq(&a->margin, &b->margin, 1);
}

/* A grid over the three values from below the mean to above q90 (some
 * palettes infeasible), with the last value varying fastest. */
static double gfrom[K], gto[K];
static size_t gsteps[K] = {6, 5, 7};
static map_sweep_grid grid;

static void make_grid(void)
{
    for (size_t i = 0; i < K; i++) {
        double *sorted = NULL;
        const map_matrix X = {N, M, M, data, NULL};
        map_column_sorted(&X, cols[i], &sorted, NULL);
        gfrom[i] = cs[cols[i]].mean - 0.3 * cs[cols[i]].sd;
        gto[i] = map_quantile_sorted(sorted, N, 0.97);
        map_free(sorted);
    }
    grid = (map_sweep_grid){K, gfrom, gto, gsteps};
}

static void grid_config(map_sweep_config *cfg, collector *c, unsigned threads)
{
    map_sweep_config_default(cfg);
    cfg->problem = &tmpl;
    cfg->nrows = gsteps[0] * gsteps[1] * gsteps[2];
    cfg->gen = map_sweep_grid_gen;
    cfg->gen_ctx = &grid;
    cfg->chunk = 16;
    cfg->threads = threads;
    cfg->on_row = collect;
    cfg->row_ctx = c;
    cfg->on_progress = on_progress;
    cfg->progress_ctx = c;
}

static int run(const map_sweep_config *cfg, map_sweep_summary *sum, map_error *err)
{
    map_error_clear(err);
    return map_sweep_run(cfg, sum, err);
}

/* ---------------------------------------------------------------- tests */

/* Grid order, and identical output for 1, 2 and 3 threads. */
static void test_determinism(void)
{
    collector c[3];
    map_sweep_summary sum[3];
    memset(c, 0, sizeof c);
    for (unsigned t = 0; t < 3; t++) {
        map_sweep_config cfg;
        grid_config(&cfg, &c[t], t + 1);
        map_error err;
        const int rc = run(&cfg, &sum[t], &err);
        MAP_CHECK(rc == MAP_OK, "%u threads: %d %s", t + 1, rc, err.msg);
        MAP_CHECK(c[t].count == cfg.nrows && c[t].out_of_order == 0 && !sum[t].cancelled
                      && sum[t].delivered == cfg.nrows && sum[t].next_row == cfg.nrows
                      && sum[t].threads == t + 1 && sum[t].computed == cfg.nrows,
                  "%u threads: %zu rows in order", t + 1, c[t].count);
        MAP_CHECK(c[t].progress_calls > 0 && c[t].progress_last == cfg.nrows, "progress");
    }
    size_t optimal = 0, infeasible = 0;
    for (size_t r = 0; r < c[0].count; r++) {
        MAP_CHECK(rec_eq(&c[0].rows[r], &c[1].rows[r]) && rec_eq(&c[0].rows[r], &c[2].rows[r]),
                  "row %zu identical for 1, 2 and 3 threads", r);
        optimal += c[0].rows[r].status == MAP_SOLVE_OPTIMAL;
        infeasible += c[0].rows[r].status == MAP_SOLVE_INFEASIBLE;
    }
    MAP_CHECK(optimal > 20 && infeasible > 20, "a mix of verdicts: %zu optimal, %zu infeasible",
              optimal, infeasible);
    size_t counted = 0;
    for (int s = 0; s < 5; s++)
        counted += sum[0].status_count[s];
    MAP_CHECK(counted == c[0].count && sum[0].status_count[MAP_SOLVE_OPTIMAL] == optimal,
              "summary counts");

    /* Grid order: row r is (a0, a1, a2) with the last digit fastest. */
    for (size_t r = 0; r < c[0].count; r++) {
        const size_t a[K] = {r / (gsteps[1] * gsteps[2]), (r / gsteps[2]) % gsteps[1],
                             r % gsteps[2]};
        for (size_t i = 0; i < K; i++) {
            const double want = gfrom[i] + (gto[i] - gfrom[i]) * (double)a[i]
                                               / (double)(gsteps[i] - 1);
            MAP_CHECK(fabs(c[0].rows[r].target[i] - want) <= 1e-14 * fmax(1.0, fabs(want)),
                      "row %zu value %zu", r, i);
        }
    }
    for (unsigned t = 0; t < 3; t++)
        free(c[t].rows);
}

/* Warm-started rows (previous and nearest rules) against cold single
 * solves: the same verdict, λ to 1e-7 relative. */
static void check_against_single(const collector *c, const char *what)
{
    map_solver_ws *ws = map_solver_ws_new(K, K);
    size_t warm_used = 0;
    for (size_t r = 0; r < c->count; r++) {
        const rec *x = &c->rows[r];
        map_problem pb = tmpl;
        pb.target = x->target;
        map_result res;
        map_error err;
        MAP_CHECK(map_solve_palette(&pb, NULL, NULL, NULL, ws, &res, &err) == MAP_OK, "solve");
        MAP_CHECK((int)res.status == x->status, "%s row %zu: %s vs single %s", what, r,
                  map_solve_status_name((map_solve_status)x->status),
                  map_solve_status_name(res.status));
        MAP_CHECK(bits_eq(&res.margin, &x->margin, 1), "%s row %zu: margin", what, r);
        if (res.status != MAP_SOLVE_OPTIMAL)
            continue;
        warm_used += x->iterations < res.diag.iterations;
        for (size_t i = 0; i < K; i++) {
            const double a = x->lambda[i], b = res.lambda[i];
            MAP_CHECK(fabs(a - b) <= 1e-7 * fmax(fabs(a), fabs(b)) + 1e-12 / scale[i],
                      "%s row %zu λ_%zu: %.17g vs %.17g", what, r, i, a, b);
            MAP_CHECK(fabs(x->level[i] - res.level[i]) <= 1e-9 * scale[i], "%s row %zu level",
                      what, r);
        }
        MAP_CHECK_CLOSE(x->kl, res.diag.kl, 1e-7, "kl");
        MAP_CHECK_CLOSE(x->ess, res.diag.ess, 1e-7, "ess");
    }
    MAP_CHECK(warm_used > 0, "%s: warm starts saved iterations somewhere", what);
    map_solver_ws_free(ws);
}

static void test_warm_equals_cold(void)
{
    collector c;
    memset(&c, 0, sizeof c);
    map_sweep_config cfg;
    grid_config(&cfg, &c, 2);
    map_error err;
    MAP_CHECK(run(&cfg, NULL, &err) == MAP_OK, "grid: %s", err.msg);
    check_against_single(&c, "grid");
    free(c.rows);
}

/* Random conservative and aggressive palettes (nearest-neighbour warm
 * starts): every verdict equals a single solve's. */
static void test_random_verdicts(void)
{
    const map_matrix X = {N, M, M, data, NULL};
    for (int kind = 0; kind < 2; kind++) {
        double lo[K], hi[K];
        map_error err;
        MAP_CHECK(map_sweep_kind_bounds((map_sweep_kind)kind, &X, K, cols, lo, hi, &err) == MAP_OK,
                  "bounds: %s", err.msg);
        const map_sweep_uniform u = {K, lo, hi, 12345u + (uint64_t)kind};
        collector c;
        memset(&c, 0, sizeof c);
        map_sweep_config cfg;
        map_sweep_config_default(&cfg);
        cfg.problem = &tmpl;
        cfg.nrows = 150;
        cfg.gen = map_sweep_uniform_gen;
        cfg.gen_ctx = &u;
        cfg.warm = MAP_SWEEP_WARM_NEAREST;
        cfg.threads = 3;
        cfg.on_row = collect;
        cfg.row_ctx = &c;
        MAP_CHECK(run(&cfg, NULL, &err) == MAP_OK && c.count == 150 && !c.out_of_order,
                  "random sweep: %s", err.msg);
        for (size_t r = 0; r < c.count; r++)
            for (size_t i = 0; i < K; i++)
                MAP_CHECK(c.rows[r].target[i] >= fmin(lo[i], hi[i])
                              && c.rows[r].target[i] <= fmax(lo[i], hi[i]), "in the box");
        if (kind == 1)
            check_against_single(&c, "conservative");
        else {
            /* aggressive palettes are mostly infeasible: verdicts only */
            map_solver_ws *ws = map_solver_ws_new(K, K);
            for (size_t r = 0; r < c.count; r++) {
                map_problem pb = tmpl;
                pb.target = c.rows[r].target;
                map_result res;
                map_solve_palette(&pb, NULL, NULL, NULL, ws, &res, &err);
                MAP_CHECK((int)res.status == c.rows[r].status, "aggressive row %zu verdict", r);
            }
            map_solver_ws_free(ws);
        }
        free(c.rows);
    }
}

/* Cancellation from the row callback: the sweep stops, every delivered
 * row is complete (equal to the full run's) and contiguous from the start. */
static void test_cancel(void)
{
    collector full;
    memset(&full, 0, sizeof full);
    map_sweep_config cfg;
    grid_config(&cfg, &full, 1);
    cfg.chunk = 2; /* as below: warm starts follow the chunks */
    map_error err;
    run(&cfg, NULL, &err);

    for (unsigned threads = 1; threads <= 3; threads++) {
        for (size_t start = 0; start <= 21; start += 21) {
            atomic_int cancel;
            atomic_init(&cancel, 0);
            collector c;
            memset(&c, 0, sizeof c);
            c.expect = start;
            c.cancel = &cancel;
            c.cancel_after = 40;
            grid_config(&cfg, &c, threads);
            /* Chunks of 2 rows: workers run at most the window (4 chunks a
             * thread) ahead of the row being delivered, so when the flag is
             * set at row start + 40 no more than start + 40 + 2·12 + 2 rows
             * can have been computed: the early stop is certain, whatever
             * the machine's speed (with chunks of 16 the window covered the
             * whole grid, and a fast run finished before it saw the flag). */
            cfg.chunk = 2;
            cfg.cancel = &cancel;
            cfg.start_row = start;
            map_sweep_summary sum;
            const int rc = run(&cfg, &sum, &err);
            MAP_CHECK(rc == MAP_OK, "cancelled run returns OK: %d %s", rc, err.msg);
            MAP_CHECK(sum.cancelled && c.count >= 40 && c.count < cfg.nrows - start
                          && sum.delivered == c.count && sum.next_row == start + c.count,
                      "%u threads from %zu: stopped after %zu rows (next %zu)", threads, start,
                      c.count, sum.next_row);
            MAP_CHECK(c.out_of_order == 0, "contiguous");
            for (size_t r = 0; r < c.count; r++)
                MAP_CHECK(c.rows[r].row == start + r && rec_eq(&c.rows[r], &full.rows[start + r]),
                          "delivered row %zu complete", start + r);
            if (threads == 1)
                MAP_CHECK(c.count == 40, "one thread stops at once: %zu", c.count);
            free(c.rows);
        }
    }
    /* A flag already set: nothing is computed. */
    atomic_int cancel;
    atomic_init(&cancel, 1);
    collector c;
    memset(&c, 0, sizeof c);
    grid_config(&cfg, &c, 2);
    cfg.cancel = &cancel;
    map_sweep_summary sum;
    MAP_CHECK(run(&cfg, &sum, &err) == MAP_OK && sum.cancelled && c.count == 0
                  && sum.next_row == 0, "pre-set flag");
    free(c.rows);
    free(full.rows);
}

/* Resume from any row: exactly the rows from there on, bit-identical to an
 * uninterrupted run (warm-up rows of the first chunk recomputed). */
static void test_resume(void)
{
    collector full;
    memset(&full, 0, sizeof full);
    map_sweep_config cfg;
    grid_config(&cfg, &full, 1);
    map_error err;
    run(&cfg, NULL, &err);
    const size_t starts[] = {1, 16, 37, 199, 209, 210};
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        for (unsigned threads = 1; threads <= 2; threads++) {
            collector c;
            memset(&c, 0, sizeof c);
            c.expect = starts[s];
            grid_config(&cfg, &c, threads);
            cfg.start_row = starts[s];
            map_sweep_summary sum;
            const int rc = run(&cfg, &sum, &err);
            MAP_CHECK(rc == MAP_OK && !sum.cancelled && c.count == cfg.nrows - starts[s]
                          && sum.next_row == cfg.nrows && c.out_of_order == 0,
                      "resume at %zu (%u threads): %d, %zu rows", starts[s], threads, rc,
                      c.count);
            for (size_t r = 0; r < c.count; r++)
                MAP_CHECK(rec_eq(&c.rows[r], &full.rows[starts[s] + r]), "resumed row %zu",
                          starts[s] + r);
            const size_t warmup = starts[s] < cfg.nrows ? starts[s] % cfg.chunk : 0;
            MAP_CHECK(sum.computed == c.count + warmup, "computed %zu = %zu + %zu warm-up",
                      sum.computed, c.count, warmup);
            free(c.rows);
        }
    }
    /* Interrupted, then resumed at next_row: the two parts are the full run. */
    atomic_int cancel;
    atomic_init(&cancel, 0);
    collector a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.cancel = &cancel;
    a.cancel_after = 77;
    grid_config(&cfg, &a, 3);
    cfg.cancel = &cancel;
    map_sweep_summary sum;
    run(&cfg, &sum, &err);
    b.expect = sum.next_row;
    grid_config(&cfg, &b, 2);
    cfg.start_row = sum.next_row;
    run(&cfg, NULL, &err);
    MAP_CHECK(a.count + b.count == full.count, "parts add up: %zu + %zu", a.count, b.count);
    for (size_t r = 0; r < a.count; r++)
        MAP_CHECK(rec_eq(&a.rows[r], &full.rows[r]), "first part row %zu", r);
    for (size_t r = 0; r < b.count && a.count + r < full.count; r++)
        MAP_CHECK(rec_eq(&b.rows[r], &full.rows[a.count + r]), "second part row %zu", r);
    free(a.rows);
    free(b.rows);
    free(full.rows);
}

/* λ-cloud rows against map_evaluate / map_levels and a direct long-double
 * computation of the tilt. */
static void test_lambda_cloud(void)
{
    const map_sweep_dirichlet d = {K, 2.0 / scale[0], 99u};
    collector c[2];
    memset(c, 0, sizeof c);
    for (unsigned t = 0; t < 2; t++) {
        map_sweep_config cfg;
        map_sweep_config_default(&cfg);
        cfg.problem = &tmpl;
        cfg.mode = MAP_SWEEP_LAMBDAS;
        cfg.nrows = 300;
        cfg.gen = map_sweep_dirichlet_gen;
        cfg.gen_ctx = &d;
        cfg.nlevel = M;
        cfg.level_cols = all_cols;
        cfg.threads = 2 * t + 1;
        cfg.chunk = 32;
        cfg.on_row = collect;
        cfg.row_ctx = &c[t];
        map_sweep_summary sum;
        map_error err;
        MAP_CHECK(run(&cfg, &sum, &err) == MAP_OK && c[t].count == 300 && !c[t].out_of_order,
                  "lambda sweep: %s", err.msg);
        size_t improving = 0;
        for (size_t r = 0; r < c[t].count; r++)
            improving += c[t].rows[r].improves == 1;
        MAP_CHECK(sum.improving == improving && improving > 0 && improving < 300,
                  "improving rows counted: %zu", improving);
    }
    for (size_t r = 0; r < 300; r++)
        MAP_CHECK(rec_eq(&c[0].rows[r], &c[1].rows[r]), "λ row %zu identical for 1 and 3 threads",
                  r);

    map_solver_ws *ws = map_solver_ws_new(K, M);
    const double zero[K] = {0};
    double ref[K];
    map_levels(&tmpl, zero, K, cols, ws, ref, NULL);
    for (size_t r = 0; r < c[0].count; r++) {
        const rec *x = &c[0].rows[r];
        double lam[K], sum = 0.0;
        map_sweep_dirichlet_gen(&d, r, lam, NULL);
        for (size_t i = 0; i < K; i++)
            sum += lam[i];
        MAP_CHECK(!x->has_target && bits_eq(lam, x->lambda, K) && sum <= d.scale
                      && x->status == MAP_SOLVE_OPTIMAL && isnan(x->margin) && x->iterations == 0,
                  "λ row %zu: the generated λ", r);
        /* map_evaluate and map_levels */
        map_problem pb = tmpl;
        double logz, mu[K], ess, lev[M];
        map_evaluate(&pb, lam, ws, &logz, mu, NULL, &ess, NULL);
        map_levels(&pb, lam, M, all_cols, ws, lev, NULL);
        double kl = -logz;
        for (size_t i = 0; i < K; i++)
            kl += lam[i] * mu[i];
        MAP_CHECK_CLOSE(x->kl, kl, 1e-9, "kl vs map_evaluate");
        MAP_CHECK_CLOSE(x->ess, ess, 1e-10, "ess vs map_evaluate");
        for (size_t i = 0; i < M; i++)
            MAP_CHECK(fabs(x->level[i] - lev[i]) <= 1e-12 * fmax(1.0, fabs(lev[i])), "level %zu",
                      i);
        /* independent: long double weights */
        long double smax = -INFINITY, z = 0.0L, z2 = 0.0L, lm[M] = {0};
        for (size_t j = 0; j < N; j++) {
            long double s = 0.0L;
            for (size_t i = 0; i < K; i++)
                s += (long double)lam[i] * data[j * M + cols[i]];
            if (s > smax)
                smax = s;
        }
        long double ls = 0.0L;
        for (size_t j = 0; j < N; j++) {
            long double s = 0.0L;
            for (size_t i = 0; i < K; i++)
                s += (long double)lam[i] * data[j * M + cols[i]];
            const long double w = expl(s - smax);
            z += w;
            z2 += w * w;
            ls += w * s;
            for (size_t i = 0; i < M; i++)
                lm[i] += w * data[j * M + i];
        }
        /* KL = E_q[s] − log((1/n) Σ exp s) */
        const long double kl_ref = ls / z - (smax + logl(z / (long double)N));
        MAP_CHECK_CLOSE(x->kl, (double)kl_ref, 1e-9, "kl vs long double");
        MAP_CHECK_CLOSE(x->ess, (double)(z * z / z2), 1e-9, "ess vs long double");
        int improves = 1;
        for (size_t i = 0; i < M; i++) {
            const double want = (double)(lm[i] / z);
            MAP_CHECK(fabs(x->level[i] - want) <= 1e-11 * fmax(1.0, fabs(want)),
                      "level %zu vs long double", i);
        }
        for (size_t i = 0; i < K; i++)
            improves = improves && x->level[cols[i]] > ref[i];
        MAP_CHECK(x->improves == improves, "row %zu improves flag", r);
    }
    map_solver_ws_free(ws);
    free(c[0].rows);
    free(c[1].rows);
}

/* Failing generator rows and callbacks stop the sweep after delivering the
 * rows before them; a bad configuration is refused. */
static int gen_bad_row(const void *ctx, size_t row, double *out, map_error *err)
{
    (void)ctx;
    (void)err;
    for (size_t i = 0; i < K; i++)
        out[i] = cs[cols[i]].mean;
    if (row == 45)
        out[1] = NAN;
    return MAP_OK;
}

static void test_errors(void)
{
    for (unsigned threads = 1; threads <= 3; threads += 2) {
        collector c;
        memset(&c, 0, sizeof c);
        map_sweep_config cfg;
        grid_config(&cfg, &c, threads);
        cfg.gen = gen_bad_row;
        map_error err;
        map_sweep_summary sum;
        int rc = run(&cfg, &sum, &err);
        MAP_CHECK(rc == MAP_EDATA && strstr(err.msg, "row 45") != NULL && c.count == 45
                      && sum.next_row == 45 && !sum.cancelled,
                  "bad row: %d %s (%zu rows)", rc, err.msg, c.count);
        free(c.rows);

        memset(&c, 0, sizeof c);
        grid_config(&cfg, &c, threads);
        c.fail_after = 30;
        rc = run(&cfg, &sum, &err);
        MAP_CHECK(rc == MAP_ENOMEM && c.count == 30 && sum.delivered == 30,
                  "callback stops: %d, %zu rows", rc, c.count);
        free(c.rows);
    }
    map_sweep_config cfg;
    map_sweep_config_default(&cfg);
    map_error err;
    MAP_CHECK(map_sweep_run(&cfg, NULL, &err) == MAP_EUSAGE, "empty config refused");
    collector c;
    memset(&c, 0, sizeof c);
    grid_config(&cfg, &c, 1);
    cfg.start_row = cfg.nrows + 1;
    MAP_CHECK(map_sweep_run(&cfg, NULL, &err) == MAP_EUSAGE, "start past the end");
    grid_config(&cfg, &c, 1);
    const size_t bad_cols[1] = {M};
    cfg.nlevel = 1;
    cfg.level_cols = bad_cols;
    MAP_CHECK(map_sweep_run(&cfg, NULL, &err) == MAP_EDATA, "level column out of range");
    grid_config(&cfg, &c, 2);
    cfg.nrows = 0;
    map_sweep_summary sum;
    MAP_CHECK(map_sweep_run(&cfg, &sum, &err) == MAP_OK && c.count == 0 && !sum.cancelled,
              "empty sweep");
    free(c.rows);
}

/* A box of conservative-like palettes for the nearest-neighbour tests, and
 * its generator failing (a NaN target) at row 45. */
static double box_lo[K], box_hi[K];
static map_sweep_uniform box;

static int gen_box_bad(const void *ctx, size_t row, double *out, map_error *err)
{
    const int rc = map_sweep_uniform_gen(ctx, row, out, err);
    if (row == 45)
        out[1] = NAN;
    return rc;
}

static void nearest_config(map_sweep_config *cfg, collector *c, unsigned threads, size_t chunk)
{
    map_sweep_config_default(cfg);
    cfg->problem = &tmpl;
    cfg->nrows = 150;
    cfg->gen = map_sweep_uniform_gen;
    cfg->gen_ctx = &box;
    cfg->warm = MAP_SWEEP_WARM_NEAREST;
    cfg->chunk = chunk;
    cfg->threads = threads;
    cfg->on_row = collect;
    cfg->row_ctx = c;
}

/* Nearest-neighbour warm starts solve a chunk's rows in an order that
 * follows the palettes (a spanning tree over them), not in row order: the
 * rows still arrive in row order, bit-identical for 1, 2 and 3 threads and
 * on resume from any row (the chunk's rows before it recomputed, not
 * delivered); a cancelled sweep delivers complete rows contiguous from its
 * first; a generator failing at row 45 gives rows 0–44 and an error naming
 * row 45, for one and three threads; a callback failure stops the sweep. */
static void test_nearest_order(void)
{
    const map_matrix X = {N, M, M, data, NULL};
    map_error err;
    MAP_CHECK(map_sweep_kind_bounds(MAP_SWEEP_CONSERVATIVE, &X, K, cols, box_lo, box_hi, &err)
                  == MAP_OK,
              "bounds: %s", err.msg);
    box = (map_sweep_uniform){K, box_lo, box_hi, 4242u};
    collector full;
    memset(&full, 0, sizeof full);
    map_sweep_config cfg;
    nearest_config(&cfg, &full, 1, 16);
    MAP_CHECK(run(&cfg, NULL, &err) == MAP_OK && full.count == 150 && !full.out_of_order,
              "full run: %s", err.msg);
    for (unsigned threads = 2; threads <= 3; threads++) {
        collector c;
        memset(&c, 0, sizeof c);
        nearest_config(&cfg, &c, threads, 16);
        MAP_CHECK(run(&cfg, NULL, &err) == MAP_OK && c.count == 150 && !c.out_of_order,
                  "%u threads: %s", threads, err.msg);
        for (size_t r = 0; r < c.count && r < full.count; r++)
            MAP_CHECK(rec_eq(&c.rows[r], &full.rows[r]), "row %zu: %u threads", r, threads);
        free(c.rows);
    }
    const size_t starts[] = {1, 16, 37, 149};
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
        for (unsigned threads = 1; threads <= 2; threads++) {
            collector c;
            memset(&c, 0, sizeof c);
            c.expect = starts[i];
            nearest_config(&cfg, &c, threads, 16);
            cfg.start_row = starts[i];
            map_sweep_summary sum;
            MAP_CHECK(run(&cfg, &sum, &err) == MAP_OK && c.count == 150 - starts[i]
                          && !c.out_of_order && sum.computed == c.count + starts[i] % 16,
                      "resume at %zu (%u threads): %zu rows, %zu computed", starts[i], threads,
                      c.count, sum.computed);
            for (size_t r = 0; r < c.count; r++)
                MAP_CHECK(rec_eq(&c.rows[r], &full.rows[starts[i] + r]), "resumed row %zu",
                          starts[i] + r);
            free(c.rows);
        }
    /* Cancelled at row 40: chunks of 4 rows, so that no more than 40 + 4
     * (window) · 3 (threads) · 4 + 4 rows can be computed by then. */
    collector full4;
    memset(&full4, 0, sizeof full4);
    nearest_config(&cfg, &full4, 1, 4);
    run(&cfg, NULL, &err);
    for (unsigned threads = 1; threads <= 3; threads += 2) {
        atomic_int cancel;
        atomic_init(&cancel, 0);
        collector c;
        memset(&c, 0, sizeof c);
        c.cancel = &cancel;
        c.cancel_after = 40;
        nearest_config(&cfg, &c, threads, 4);
        cfg.cancel = &cancel;
        map_sweep_summary sum;
        MAP_CHECK(run(&cfg, &sum, &err) == MAP_OK && sum.cancelled && c.count >= 40
                      && c.count < 150 && !c.out_of_order && sum.next_row == c.count,
                  "cancelled (%u threads): %zu rows", threads, c.count);
        for (size_t r = 0; r < c.count && r < full4.count; r++)
            MAP_CHECK(rec_eq(&c.rows[r], &full4.rows[r]), "delivered row %zu complete", r);
        free(c.rows);
    }
    free(full4.rows);
    for (unsigned threads = 1; threads <= 3; threads += 2) {
        collector c;
        memset(&c, 0, sizeof c);
        nearest_config(&cfg, &c, threads, 16);
        cfg.gen = gen_box_bad;
        map_sweep_summary sum;
        const int rc = run(&cfg, &sum, &err);
        MAP_CHECK(rc == MAP_EDATA && strstr(err.msg, "row 45") != NULL && c.count == 45
                      && sum.next_row == 45 && !c.out_of_order,
                  "bad row (%u threads): %d %s (%zu rows)", threads, rc, err.msg, c.count);
        /* Rows of other chunks are the full run's. */
        for (size_t r = 0; r < c.count && r < 32; r++)
            MAP_CHECK(rec_eq(&c.rows[r], &full.rows[r]), "row %zu before the failure", r);
        free(c.rows);
        memset(&c, 0, sizeof c);
        nearest_config(&cfg, &c, threads, 16);
        c.fail_after = 30;
        MAP_CHECK(run(&cfg, &sum, &err) == MAP_ENOMEM && c.count == 30 && sum.delivered == 30,
                  "callback stops (%u threads): %zu rows", threads, c.count);
        free(c.rows);
    }
    free(full.rows);
}

/* Every allocation failing in turn (one thread: the injection counter is
 * not thread-safe): MAP_ENOMEM, never a crash or a leak, and the rows
 * delivered before the failure are the full run's. */
static void test_alloc_failures(void)
{
    collector full;
    memset(&full, 0, sizeof full);
    map_sweep_config cfg;
    grid_config(&cfg, &full, 1);
    cfg.nrows = 20;
    map_error err;
    run(&cfg, NULL, &err);
    int rc = MAP_ENOMEM;
    long k = 0;
    for (; k < 10000 && rc != MAP_OK; k++) {
        collector c;
        memset(&c, 0, sizeof c);
        grid_config(&cfg, &c, 1);
        cfg.nrows = 20;
        map_alloc_fail_after(k);
        rc = run(&cfg, NULL, &err);
        map_alloc_fail_after(-1);
        MAP_CHECK(rc == MAP_OK || rc == MAP_ENOMEM, "with %ld allocations: %d %s", k, rc, err.msg);
        MAP_CHECK(rc != MAP_OK || c.count == 20, "complete when it succeeds");
        for (size_t r = 0; r < c.count; r++)
            MAP_CHECK(rec_eq(&c.rows[r], &full.rows[r]), "row %zu before the failure", r);
        free(c.rows);
    }
    MAP_CHECK(rc == MAP_OK && k > 5, "succeeds with enough memory (%ld allocations)", k);
    free(full.rows);
}

static void test_generators(void)
{
    size_t rows = 0;
    map_error err;
    MAP_CHECK(map_sweep_grid_rows(&grid, &rows, &err) == MAP_OK && rows == 210, "grid rows");
    double out[K];
    map_sweep_grid_gen(&grid, 0, out, &err);
    MAP_CHECK(bits_eq(out, gfrom, K), "first point is FROM");
    map_sweep_grid_gen(&grid, 209, out, &err);
    MAP_CHECK(bits_eq(out, gto, K), "last point is TO exactly");
    map_sweep_grid_gen(&grid, 1, out, &err);
    MAP_CHECK(out[0] == gfrom[0] && out[1] == gfrom[1] && out[2] > gfrom[2], "last fastest");
    MAP_CHECK(map_sweep_grid_gen(&grid, 210, out, &err) != MAP_OK, "past the grid");
    const size_t zero_steps[K] = {3, 0, 2};
    map_sweep_grid g0 = {K, gfrom, gto, zero_steps};
    MAP_CHECK(map_sweep_grid_rows(&g0, &rows, &err) == MAP_EDATA, "zero steps refused");
    const size_t huge[K] = {SIZE_MAX / 2, 3, 1};
    g0.steps = huge;
    MAP_CHECK(map_sweep_grid_rows(&g0, &rows, &err) == MAP_EDATA, "overflow refused");
    const size_t one[K] = {1, 1, 1};
    g0.steps = one;
    MAP_CHECK(map_sweep_grid_rows(&g0, &rows, &err) == MAP_OK && rows == 1, "single point");
    map_sweep_grid_gen(&g0, 0, out, &err);
    MAP_CHECK(bits_eq(out, gfrom, K), "one step: FROM");

    /* uniform: deterministic, in [lo, hi), rows differ, seeds differ */
    const double lo[K] = {-1, 0, 5}, hi[K] = {1, 0, 6};
    map_sweep_uniform u = {K, lo, hi, 7};
    double a[K], b[K];
    double mean = 0.0;
    for (size_t r = 0; r < 4000; r++) {
        map_sweep_uniform_gen(&u, r, a, &err);
        map_sweep_uniform_gen(&u, r, b, &err);
        MAP_CHECK(bits_eq(a, b, K) && a[0] >= -1 && a[0] < 1 && a[1] == 0 && a[2] >= 5 && a[2] < 6,
                  "uniform row %zu", r);
        mean += a[0] / 4000.0;
    }
    MAP_CHECK(fabs(mean) < 0.05, "uniform mean %g", mean);
    map_sweep_uniform_gen(&u, 1, b, &err);
    MAP_CHECK(!bits_eq(a, b, K), "rows differ");
    u.seed = 8;
    map_sweep_uniform_gen(&u, 3999, b, &err);
    MAP_CHECK(!bits_eq(a, b, K), "seeds differ");

    /* the kinds' bounds against direct quantiles */
    const map_matrix X = {N, M, M, data, NULL};
    double l2[K], h2[K];
    MAP_CHECK(map_sweep_kind_bounds(MAP_SWEEP_AGGRESSIVE, &X, K, cols, l2, h2, &err) == MAP_OK,
              "aggressive bounds");
    for (size_t i = 0; i < K; i++) {
        double *sorted = NULL;
        map_column_sorted(&X, cols[i], &sorted, NULL);
        MAP_CHECK(l2[i] == map_quantile_sorted(sorted, N, 0.8) && h2[i] == cs[cols[i]].max,
                  "aggressive %zu", i);
        map_free(sorted);
    }
    MAP_CHECK(map_sweep_kind_bounds(MAP_SWEEP_CONSERVATIVE, &X, K, cols, l2, h2, &err) == MAP_OK,
              "conservative bounds");
    for (size_t i = 0; i < K; i++) {
        double *sorted = NULL;
        map_column_sorted(&X, cols[i], &sorted, NULL);
        MAP_CHECK(l2[i] == cs[cols[i]].mean && h2[i] == map_quantile_sorted(sorted, N, 0.7),
                  "conservative %zu", i);
        map_free(sorted);
    }
    const size_t bad[1] = {M};
    MAP_CHECK(map_sweep_kind_bounds(MAP_SWEEP_CONSERVATIVE, &X, 1, bad, l2, h2, &err) == MAP_EDATA,
              "column out of range");

    /* table and Dirichlet */
    const double tab[2 * K] = {1, 2, 3, 4, 5, 6};
    const map_sweep_table t = {K, 2, tab};
    map_sweep_table_gen(&t, 1, a, &err);
    MAP_CHECK(a[0] == 4 && a[2] == 6, "table row");
    MAP_CHECK(map_sweep_table_gen(&t, 2, a, &err) != MAP_OK, "past the table");
    const map_sweep_dirichlet d = {K, 3.0, 5};
    double tot = 0.0;
    for (size_t r = 0; r < 2000; r++) {
        map_sweep_dirichlet_gen(&d, r, a, &err);
        const double s = a[0] + a[1] + a[2];
        MAP_CHECK(a[0] >= 0 && a[1] >= 0 && a[2] >= 0 && s <= 3.0 * (1 + 1e-15), "dirichlet row");
        tot += s / 2000.0;
    }
    MAP_CHECK(fabs(tot - 1.5) < 0.1, "E[scale·u] = 1.5: %g", tot);
    MAP_CHECK(map_sweep_cpus() >= 1, "cpus");
}

/* The MAP paper's samples: random palettes over six values, 1 thread vs 3
 * identical, every verdict and λ as a cold single solve; the same under
 * per-prompt normalisation (MATH.md §9). */
static void test_real_data(void)
{
    static const char *const values[6] = MAP_TEST_HH_VALUES;
    char path[4096];
    map_test_data_path(path, sizeof path, "map-opt1.3b-hh.csv");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "skip test_real_data: %s not found\n", path);
        return;
    }
    fclose(f);
    map_dataset *ds = NULL;
    map_error err;
    if (map_test_data_read(path, values, 6, "prompt", &ds, &err) != MAP_OK) {
        MAP_CHECK(0, "read %s: %s", path, err.msg);
        return;
    }
    const map_matrix X = map_dataset_matrix(ds);
    map_colstat st[6];
    map_column_stats(&X, st);
    size_t c6[6] = {0, 1, 2, 3, 4, 5};
    double sc[6], am[6];
    for (size_t i = 0; i < 6; i++) {
        sc[i] = st[i].sd;
        am[i] = st[i].absmax;
    }
    size_t *order = NULL, *start = NULL, ngroups = 0, singletons = 0;
    MAP_CHECK(map_dataset_group_rows(ds, &order, &start, &ngroups, &singletons, &err) == MAP_OK,
              "group rows: %s", err.msg);
    const map_groups groups = {ngroups, start, order};
    map_solver_ws *ws = map_solver_ws_new(6, 6);
    for (int grouped = 0; grouped < 2; grouped++) {
        const map_problem pb = {X, 6, c6, NULL, sc, am, grouped ? &groups : NULL};
        for (int kind = 0; kind < 2; kind++) {
            double lo[6], hi[6];
            map_sweep_kind_bounds((map_sweep_kind)kind, &X, 6, c6, lo, hi, &err);
            const map_sweep_uniform u = {6, lo, hi, 77u};
            collector c[2];
            memset(c, 0, sizeof c);
            for (int t = 0; t < 2; t++) {
                map_sweep_config cfg;
                map_sweep_config_default(&cfg);
                cfg.problem = &pb;
                cfg.nrows = grouped ? 40 : 150;
                cfg.gen = map_sweep_uniform_gen;
                cfg.gen_ctx = &u;
                cfg.warm = MAP_SWEEP_WARM_NEAREST;
                cfg.chunk = 16;
                cfg.threads = t ? 3 : 1;
                cfg.on_row = collect;
                cfg.row_ctx = &c[t];
                MAP_CHECK(run(&cfg, NULL, &err) == MAP_OK && c[t].count == cfg.nrows,
                          "real sweep: %s", err.msg);
            }
            size_t optimal = 0;
            for (size_t r = 0; r < c[0].count; r++) {
                const rec *x = &c[0].rows[r];
                MAP_CHECK(rec_eq(x, &c[1].rows[r]), "real row %zu: 1 and 3 threads", r);
                map_problem one = pb;
                one.target = x->target;
                map_result res;
                map_solve_palette(&one, NULL, NULL, NULL, ws, &res, &err);
                MAP_CHECK((int)res.status == x->status, "real row %zu (%s, grouped %d): %s vs %s",
                          r, kind ? "conservative" : "aggressive", grouped,
                          map_solve_status_name((map_solve_status)x->status),
                          map_solve_status_name(res.status));
                if (res.status != MAP_SOLVE_OPTIMAL || x->status != MAP_SOLVE_OPTIMAL)
                    continue;
                optimal++;
                for (size_t i = 0; i < 6; i++)
                    MAP_CHECK(fabs(x->lambda[i] - res.lambda[i])
                                  <= 1e-7 * fmax(fabs(x->lambda[i]), fabs(res.lambda[i]))
                                         + 1e-12 / sc[i],
                              "real row %zu λ_%zu: %.17g vs %.17g", r, i, x->lambda[i],
                              res.lambda[i]);
            }
            if (kind == 1 && !grouped) /* per prompt, few samples per prompt: rarely */
                MAP_CHECK(optimal > 0, "conservative palettes are attainable");
            free(c[0].rows);
            free(c[1].rows);
        }
    }
    map_solver_ws_free(ws);
    map_free(order);
    map_free(start);
    map_dataset_free(ds);
}

int main(void)
{
    make_data();
    make_grid();
    MAP_RUN(test_generators);
    MAP_RUN(test_determinism);
    MAP_RUN(test_warm_equals_cold);
    MAP_RUN(test_random_verdicts);
    MAP_RUN(test_cancel);
    MAP_RUN(test_resume);
    MAP_RUN(test_lambda_cloud);
    MAP_RUN(test_errors);
    MAP_RUN(test_nearest_order);
    MAP_RUN(test_alloc_failures);
    MAP_RUN(test_real_data);
    return map_test_finish();
}
