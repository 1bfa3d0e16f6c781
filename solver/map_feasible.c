/* map_feasible.c — exact feasibility of a palette (MATH.md §6): the scaled
 * margin v* by a cutting-plane linear program, certificates checked against
 * the data, and the palette solve that combines them with projected Newton
 * (MATH.md §12: Newton first, its convergence or its diverging λ as the
 * evidence, the LP only when it is asked for or Newton is undecided).
 * GLPK glue: the only file that includes glpk.h.
 *
 * With a_j = ((r_j − c) / scale) restricted to the k palette values,
 *     v* = min_{d ≥ 0, Σd = 1} max_j dᵀa_j = max_{q ∈ Δ} min_i (Σ_j q_j a_j)_i.
 * Under per-prompt normalisation (K groups) the attainable set is the
 * average of the groups' hulls and max_j becomes (1/K) Σ_g max_{j ∈ G_g}.
 * For K > 1, map_margin hands the problem to map_margin_prompt.c (cutting
 * planes over d alone, never a column per prompt); the LP here keeps its
 * grouped form (one epigraph variable t_g per group of two or more samples)
 * but now meets one group only: all rows, or a single prompt's rows in the
 * grouping's order. Global normalisation is the case K = 1.
 * The LP over all n samples has n rows; only the few samples on the active
 * face matter, so we solve it over a working set S of samples, then one pass
 * over the data finds the samples the current d rates highest and adds them.
 * Each round gives two bounds checked in our own arithmetic:
 *   upper  max_j dᵀa_j over ALL samples, for the LP's d   (≥ v*)
 *   lower  min_i Σ_{j∈S} q_j a_ji for the LP's multipliers q (≤ v*)
 * and stops when they meet. The verdict never rests on the LP solver's own
 * tolerances: a negative upper bound is a certificate, a positive lower bound
 * a witness distribution.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "map_lp.h"
#include "map_solver_internal.h"

void map_lp_simplex_params(glp_smcp *parm)
{
    glp_init_smcp(parm);
    parm->msg_lev = GLP_MSG_OFF;
    parm->meth = GLP_DUALP;
    parm->tol_bnd = 1e-10;
    parm->tol_dj = 1e-10;
}

void map_feas_params_default(map_feas_params *p)
{
    p->boundary_tol = 1e-9;
    p->lp_max_rounds = 200;
    p->want_margin = 0;
}

/* Cuts added per round: the samples that the current d rates highest (per
 * group, one per round when there are many groups). */
#define MAP_CUTS 16

/* The score dᵀa_j = Σ_i d_i (r_ji − c_i)/scale_i as coef[0] + Σ_i coef[i+1] r_ji:
 * coefficients formed once per d, so that the scan's inner loop is a plain
 * dot product (no division per element; it vectorises). */
static void score_coefs(const map_problem *pb, const double *d, double *coef)
{
    double b = 0.0;
    for (size_t i = 0; i < pb->k; i++) {
        coef[i + 1] = d[i] / pb->scale[i];
        b -= coef[i + 1] * pb->target[i];
    }
    coef[0] = b;
}

/* Σ_i a_i row[cl_i], for a row of either element type (a macro: one body
 * for both). */
#define MAP_DOT_COLS(row, cl, a, k)                                                                \
    __extension__({                                                                                \
        double v_ = 0.0;                                                                           \
        for (size_t i_ = 0; i_ < (k); i_++)                                                        \
            v_ += (a)[i_] * (double)(row)[(cl)[i_]];                                               \
        v_;                                                                                        \
    })

/* The score of sample j. */
static inline double score_row(const map_problem *pb, size_t j, const double *coef)
{
    double a[MAP_MAX_K];
    map_row_cols(pb, j, a);
    double s = coef[0];
    for (size_t i = 0; i < pb->k; i++)
        s += coef[i + 1] * a[i];
    return s;
}

/* Inserts row j of group q with score v into the descending list of the
 * best cuts (at most maxcuts; when full, v must beat the last entry); returns
 * the score a row must now exceed to enter. */
static double keep_cut(size_t j, size_t q, double v, size_t *top, size_t *topg, double *topv,
                       size_t maxcuts, size_t *cnt, double floor)
{
    size_t at = *cnt < maxcuts ? (*cnt)++ : *cnt - 1;
    while (at > 0 && topv[at - 1] < v) {
        topv[at] = topv[at - 1];
        top[at] = top[at - 1];
        topg[at] = topg[at - 1];
        at--;
    }
    topv[at] = v;
    top[at] = j;
    topg[at] = q;
    return *cnt < maxcuts ? floor : fmax(floor, topv[*cnt - 1]);
}

/* The global (K = 1, rows in storage order) case of scan: the same results.
 * The scores are a dot product with coefficients formed once for d, the
 * columns and coefficients held in locals, the common k = 2, 3 unrolled;
 * a row is looked at further only when it beats the entry score. */
static double scan_global(const map_problem *pb, const double *coef, const unsigned char *in_s,
                          double tval, double *best, size_t *top, size_t *topg, double *topv,
                          size_t maxcuts, size_t *ntop)
{
    const double *x = pb->data.x;
    const float *xf = pb->data.xf;
    const size_t ld = pb->data.ld, n = pb->data.n, k = pb->k;
    const double b = coef[0];
    double bq = -INFINITY;
    size_t cnt = 0;
    /* A sample scores above the entry bar when its score (b + dot) > bar. */
    double bar = n > 1 ? tval : INFINITY;
    /* One loop per element type; float rewards are widened as read. */
#define MAP_SCAN_ROWS(X, DOT)                                                                  \
    for (size_t j = 0; j < n; j++) {                                                           \
        const __typeof__(*(X)) *row = (X) + j * ld;                                            \
        const double v = b + (DOT);                                                            \
        bq = v > bq ? v : bq;                                                                  \
        if (v > bar && !in_s[j])                                                               \
            bar = keep_cut(j, 0, v, top, topg, topv, maxcuts, &cnt, tval);                        \
    }
#define MAP_SCAN_ROW(DOT)                                                                      \
    if (xf) {                                                                                  \
        MAP_SCAN_ROWS(xf, DOT)                                                                 \
    } else {                                                                                   \
        MAP_SCAN_ROWS(x, DOT)                                                                  \
    }
    if (k == 2) {
        const size_t c0 = pb->cols[0], c1 = pb->cols[1];
        const double a0 = coef[1], a1 = coef[2];
        MAP_SCAN_ROW(a0 * (double)row[c0] + a1 * (double)row[c1])
    } else if (k == 3) {
        const size_t c0 = pb->cols[0], c1 = pb->cols[1], c2 = pb->cols[2];
        const double a0 = coef[1], a1 = coef[2], a2 = coef[3];
        MAP_SCAN_ROW(a0 * (double)row[c0] + a1 * (double)row[c1] + a2 * (double)row[c2])
    } else {
        size_t cl[MAP_MAX_K];
        double a[MAP_MAX_K];
        for (size_t i = 0; i < k; i++) {
            cl[i] = pb->cols[i];
            a[i] = coef[i + 1];
        }
        MAP_SCAN_ROW(MAP_DOT_COLS(row, cl, a, k))
    }
#undef MAP_SCAN_ROW
#undef MAP_SCAN_ROWS
    best[0] = bq;
    *ntop = cnt;
    return bq;
}

/* One pass: best[g] = max_{j ∈ G_g} dᵀa_j for every group, and the candidate
 * cuts: rows not yet in S whose score exceeds their group's LP value tval[g]
 * (up to MAP_CUTS best overall when K = 1, the group's best otherwise; never
 * for a group of one sample, which has no LP row), in top[] / topg[]. Returns (1/K) Σ_g best[g], an upper bound on v*. */
static double scan(const map_problem *pb, const map_rows_view *g, const double *d,
                   const unsigned char *in_s, const double *tval, double *best, size_t *top,
                   size_t *topg, double *topv, size_t maxcuts, size_t *ntop)
{
    double coef[MAP_MAX_K + 1];
    score_coefs(pb, d, coef);
    if (g->K == 1 && !g->order)
        return scan_global(pb, coef, in_s, tval[0], best, top, topg, topv, maxcuts, ntop);
    double sum = 0.0;
    size_t cnt = 0;
    for (size_t q = 0; q < g->K; q++) {
        double bq = -INFINITY;
        size_t arg = SIZE_MAX;
        const int single = g->start[q + 1] - g->start[q] == 1;
        for (size_t pos = g->start[q]; pos < g->start[q + 1]; pos++) {
            const size_t j = map_rows_at(g, pos);
            const double s = score_row(pb, j, coef);
            if (s > bq) {
                bq = s;
                arg = j;
            }
            if (g->K > 1 || single || in_s[j] || !(s > tval[q]))
                continue;
            if (cnt < maxcuts || s > topv[cnt - 1])
                keep_cut(j, q, s, top, topg, topv, maxcuts, &cnt, -INFINITY);
        }
        best[q] = bq;
        sum += bq;
        if (g->K > 1 && !single && !in_s[arg] && bq > tval[q] && cnt < maxcuts) {
            top[cnt] = arg;
            topg[cnt] = q;
            topv[cnt++] = bq;
        }
    }
    *ntop = cnt;
    return sum / (double)g->K;
}

typedef struct lp_state {
    glp_prob *lp;
    size_t nrows;
    int ind[MAP_MAX_K + 2];
    double val[MAP_MAX_K + 2];
} lp_state;

/* Adds the cut  t_g − Σ_i d_i a_ji ≥ 0  for sample j of group g.
 * Columns: 1..k = d, then one t per group of two or more samples
 * (tcol[g] is its column); a group of one sample has no t: its term of the
 * objective is linear in d. */
static void add_row(lp_state *st, const map_problem *pb, size_t j, int tcol)
{
    double row[MAP_MAX_K];
    map_row_cols(pb, j, row);
    const int r = glp_add_rows(st->lp, 1);
    for (size_t i = 0; i < pb->k; i++) {
        st->ind[i + 1] = (int)i + 1;
        st->val[i + 1] = -((row[i] - pb->target[i]) / pb->scale[i]);
    }
    st->ind[pb->k + 1] = tcol;
    st->val[pb->k + 1] = 1.0;
    glp_set_mat_row(st->lp, r, (int)pb->k + 1, st->ind, st->val);
    glp_set_row_bnds(st->lp, r, GLP_LO, 0.0, 0.0);
    st->nrows++;
}

void map_lp_thread_done(void) { glp_free_env(); }

void map_margin_report(const map_problem *pb, double upper, double lower, const double *dbest,
                       double *margin, double *direction)
{
    /* The certified upper bound, unless the bounds are still far apart. */
    *margin = lower > -INFINITY && upper - lower > MAP_MARGIN_RESOLUTION * fmax(1.0, fabs(upper))
                  ? 0.5 * (upper + lower)
                  : upper;
    if (lower > 0.0 && *margin < lower)
        *margin = lower;
    if (direction) {
        double mx = 0.0;
        for (size_t i = 0; i < pb->k; i++)
            mx = fmax(mx, dbest[i]);
        for (size_t i = 0; i < pb->k; i++)
            direction[i] = mx > 0.0 ? dbest[i] / mx / pb->scale[i] : 0.0;
    }
}

int map_margin(const map_problem *pb, const map_feas_params *fp, double *margin, double *direction,
               map_error *err)
{
    map_feas_params defaults;
    fp = map_feas_or_default(fp, &defaults);
    int rc = map_problem_check(pb, err);
    if (rc)
        return rc;
    if (pb->groups && pb->groups->ngroups > 1) /* per prompt: cutting planes over d alone */
        return map_margin_prompt(pb, fp, margin, direction, NULL, err);
    map_rows_view g;
    map_rows_view_of(pb, &g);
    const size_t k = pb->k, n = pb->data.n, K = g.K;
    const size_t maxcuts = K == 1 ? MAP_CUTS : K;
    /* One allocation for the working arrays (outside the LP rounds). */
    const size_t nd = maxcuts + 3 * K, nz = 2 * n + K + 2 * maxcuts;
    const size_t bytes = nd * sizeof(double) + nz * sizeof(size_t) + K * sizeof(int) + n;
    char *mem = (nd + nz > SIZE_MAX / 16 || n > SIZE_MAX / 64) ? NULL : map_malloc(bytes);
    glp_prob *lp = NULL;
    if (!mem)
        return map_error_set(err, MAP_ENOMEM, "out of memory for the margin LP (%zu samples)", n);
    double *topv = (double *)mem, *best = topv + maxcuts, *tval = best + K, *qsum = tval + K;
    size_t *rows = (size_t *)(qsum + K); /* S in insertion order: LP row r+2 */
    size_t *rowg = rows + n;             /* group of each row of S */
    size_t *first = rowg + n;            /* a row of S in each group */
    size_t *top = first + K, *topg = top + maxcuts;
    int *tcol = (int *)(topg + maxcuts);
    unsigned char *in_s = (unsigned char *)(tcol + K);
    memset(in_s, 0, n);
    lp_state st = {0};
    st.lp = lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    /* Groups of one sample enter the objective directly: (1/K) dᵀa_j. */
    double single_a[MAP_MAX_K] = {0};
    size_t nt = 0;
    for (size_t q = 0; q < K; q++) {
        if (g.start[q + 1] - g.start[q] == 1) {
            tcol[q] = -1;
            double row[MAP_MAX_K];
            map_row_cols(pb, map_rows_at(&g, g.start[q]), row);
            for (size_t i = 0; i < k; i++)
                single_a[i] += (row[i] - pb->target[i]) / pb->scale[i];
        } else {
            tcol[q] = (int)(k + 1 + nt++);
        }
    }
    glp_add_cols(lp, (int)(k + nt));
    for (size_t i = 0; i < k; i++) {
        glp_set_col_bnds(lp, (int)i + 1, GLP_LO, 0.0, 0.0);
        glp_set_obj_coef(lp, (int)i + 1, single_a[i] / (double)K);
    }
    for (size_t q = 0; q < K; q++) {
        if (tcol[q] < 0)
            continue;
        glp_set_col_bnds(lp, tcol[q], GLP_FR, 0.0, 0.0);
        glp_set_obj_coef(lp, tcol[q], 1.0 / (double)K);
    }
    /* Row 1: Σ d_i = 1. */
    glp_add_rows(lp, 1);
    for (size_t i = 0; i < k; i++) {
        st.ind[i + 1] = (int)i + 1;
        st.val[i + 1] = 1.0;
    }
    glp_set_mat_row(lp, 1, (int)k, st.ind, st.val);
    glp_set_row_bnds(lp, 1, GLP_FX, 1.0, 1.0);

    /* Seed S with each group's best sample for d = 1/k and, globally, each
     * value's best sample. */
    double d[MAP_MAX_K] = {0}, dbest[MAP_MAX_K] = {0}, acc[MAP_MAX_K];
    size_t nS = 0, ntop = 0;
    for (size_t q = 0; q < K; q++)
        tval[q] = -INFINITY;
    for (size_t i = 0; i <= (K == 1 ? k : 0); i++) {
        for (size_t l = 0; l < k; l++)
            d[l] = i == k || K > 1 ? 1.0 / (double)k : (double)(l == i);
        scan(pb, &g, d, in_s, tval, best, top, topg, topv, K == 1 ? 1 : maxcuts, &ntop);
        for (size_t c = 0; c < ntop; c++) {
            if (in_s[top[c]])
                continue;
            in_s[top[c]] = 1;
            rows[nS] = top[c];
            rowg[nS++] = topg[c];
            first[topg[c]] = top[c];
            add_row(&st, pb, top[c], tcol[topg[c]]);
        }
    }

    glp_smcp parm;
    map_lp_simplex_params(&parm);
    double upper = INFINITY, lower = -INFINITY;
    int polished = 0;
    for (int round = 0; round < fp->lp_max_rounds; round++) {
        int lp_rc = glp_simplex(lp, &parm);
        if (lp_rc != 0 || glp_get_status(lp) != GLP_OPT) {
            lp_rc = glp_exact(lp, &parm);
            if (lp_rc != 0 || glp_get_status(lp) != GLP_OPT) {
                rc = map_error_set(err, MAP_ENOMEM, "the margin LP failed (GLPK status %d)",
                                   glp_get_status(lp));
                break;
            }
        }
        for (size_t i = 0; i < k; i++)
            d[i] = glp_get_col_prim(lp, (int)i + 1);
        map_simplex_normalise(d, k);
        for (size_t q = 0; q < K; q++) {
            tval[q] = tcol[q] < 0 ? INFINITY : glp_get_col_prim(lp, tcol[q]);
            qsum[q] = 0.0;
        }
        /* Lower bound: each group's multipliers as a distribution on its rows
         * of S (any one row if they vanish) give a point of the attainable
         * set; its worst scaled slack bounds v* from below. */
        double mult_total = 0.0;
        for (size_t r = 0; r < nS; r++) {
            const double q = fmax(0.0, glp_get_row_dual(lp, (int)r + 2));
            qsum[rowg[r]] += q;
            mult_total += q;
        }
        memcpy(acc, single_a, k * sizeof *acc);
        if (nS == 0)
            mult_total = 1.0; /* only groups of one sample: the point is fixed */
        for (size_t r = 0; r < nS && mult_total > 0.0; r++) {
            const size_t q = rowg[r];
            double wgt;
            if (qsum[q] > 0.0)
                wgt = fmax(0.0, glp_get_row_dual(lp, (int)r + 2)) / qsum[q];
            else
                wgt = rows[r] == first[q] ? 1.0 : 0.0;
            if (wgt == 0.0)
                continue;
            double row[MAP_MAX_K];
            map_row_cols(pb, rows[r], row);
            for (size_t i = 0; i < k; i++)
                acc[i] += wgt * ((row[i] - pb->target[i]) / pb->scale[i]);
        }
        if (mult_total > 0.0) {
            double lo = INFINITY;
            for (size_t i = 0; i < k; i++)
                lo = fmin(lo, acc[i] / (double)K);
            lower = fmax(lower, lo);
        }
        const double up = scan(pb, &g, d, in_s, tval, best, top, topg, topv, maxcuts, &ntop);
        if (up < upper) {
            upper = up;
            memcpy(dbest, d, k * sizeof *d);
        }
        if (upper - lower <= MAP_MARGIN_RESOLUTION * fmax(1.0, fabs(upper)))
            break;
        if (ntop == 0) {
            /* No sample outside S beats the LP value: the LP over S is the
             * whole LP, but the solver's tolerances leave a gap. Polish once
             * in exact arithmetic. */
            if (polished)
                break;
            polished = 1;
            glp_exact(lp, &parm);
            continue;
        }
        for (size_t c = 0; c < ntop; c++) {
            in_s[top[c]] = 1;
            rows[nS] = top[c];
            rowg[nS++] = topg[c];
            add_row(&st, pb, top[c], tcol[topg[c]]);
        }
    }
    if (rc == MAP_OK)
        map_margin_report(pb, upper, lower, dbest, margin, direction);
    if (lp)
        glp_delete_prob(lp);
    map_free(mem);
    return rc;
}

int map_certificate_check(const map_problem *pb, const double *d, double *gap)
{
    int nonzero = 0;
    double dc = 0.0;
    for (size_t i = 0; i < pb->k; i++) {
        if (!(d[i] >= 0.0) || !isfinite(d[i]))
            return 0;
        nonzero |= d[i] > 0.0;
        dc += d[i] * pb->target[i];
    }
    if (!nonzero)
        return 0;
    /* max_j dᵀr_j, or under per-prompt normalisation the average over
     * prompts of each prompt's maximum (the support function of the
     * average of the groups' hulls). */
    map_rows_view g;
    map_rows_view_of(pb, &g);
    double sum = 0.0;
    for (size_t q = 0; q < g.K; q++) {
        double best = -INFINITY;
        for (size_t pos = g.start[q]; pos < g.start[q + 1]; pos++) {
            double row[MAP_MAX_K];
            map_row_cols(pb, map_rows_at(&g, pos), row);
            double s = 0.0;
            for (size_t i = 0; i < pb->k; i++)
                s += d[i] * row[i];
            best = s > best ? s : best; /* not fmax: a library call per row */
        }
        sum += best;
    }
    /* Compare with the rounding of the sums in mind: the gap must exceed it. */
    double mag = 0.0;
    for (size_t i = 0; i < pb->k; i++)
        mag += d[i] * (fabs(pb->target[i]) + (pb->absmax ? pb->absmax[i] : 0.0));
    *gap = dc - sum / (double)g.K;
    return *gap > 8.0 * DBL_EPSILON * (double)(pb->k + 1) * mag;
}

/* The certificates d = e_i, all k in one pass: gap[i] = c_i − h(e_i), with
 * h(e_i) the maximum of value i (per prompt: the average of the prompts'
 * maxima), under map_certificate_check's rounding rule. Returns the first i
 * whose e_i is a certificate, or −1. */
static int unit_certificates(const map_problem *pb, double *gap)
{
    const size_t k = pb->k;
    map_rows_view g;
    map_rows_view_of(pb, &g);
    double sum[MAP_MAX_K] = {0}, mx[MAP_MAX_K];
    for (size_t q = 0; q < g.K; q++) {
        for (size_t i = 0; i < k; i++)
            mx[i] = -INFINITY;
        for (size_t pos = g.start[q]; pos < g.start[q + 1]; pos++) {
            double row[MAP_MAX_K];
            map_row_cols(pb, map_rows_at(&g, pos), row);
            for (size_t i = 0; i < k; i++) {
                const double v = row[i];
                mx[i] = v > mx[i] ? v : mx[i];
            }
        }
        for (size_t i = 0; i < k; i++)
            sum[i] += mx[i];
    }
    int first = -1;
    for (size_t i = 0; i < k; i++) {
        const double mag = fabs(pb->target[i]) + (pb->absmax ? pb->absmax[i] : 0.0);
        gap[i] = pb->target[i] - sum[i] / (double)g.K;
        if (first < 0 && gap[i] > 8.0 * DBL_EPSILON * (double)(k + 1) * mag)
            first = (int)i;
    }
    return first;
}

/* res as an empty result for k values: no verdict yet, margin and
 * certificate gap not computed. */
static void result_init(map_result *res, size_t k)
{
    memset(res, 0, sizeof *res);
    res->k = k;
    res->margin = NAN;
    res->cert_gap = NAN;
}

/* Fills res as an infeasible result with certificate d (k entries, may be
 * res->direction itself) and its verified gap. */
static void set_infeasible(map_result *res, size_t k, const double *d, double gap)
{
    if (d != res->direction)
        memcpy(res->direction, d, k * sizeof *d);
    res->has_direction = 1;
    res->cert_gap = gap;
    res->status = MAP_SOLVE_INFEASIBLE;
    for (size_t l = 0; l < k; l++)
        res->lambda[l] = res->level[l] = NAN;
}

/* The quick refutation: a target above a value's maximum (per prompt: above
 * the average of the prompts' maxima) is refuted by the documented d = e_i
 * (one pass for all values). Fills res as infeasible and returns 1 when one
 * is; 0 otherwise. */
static int refute_by_unit(const map_problem *pb, map_result *res)
{
    double gaps[MAP_MAX_K];
    const int refuted = unit_certificates(pb, gaps);
    if (refuted < 0)
        return 0;
    double e[MAP_MAX_K] = {0};
    e[refuted] = 1.0;
    set_infeasible(res, pb->k, e, gaps[refuted]);
    return 1;
}

int map_palette_verdict(const map_problem *pb, const map_feas_params *fp, map_result *res,
                        int *attainable, map_error *err)
{
    map_feas_params fdef;
    fp = map_feas_or_default(fp, &fdef);
    *attainable = 0;
    int rc = map_problem_check(pb, err);
    if (rc)
        return rc;
    const size_t k = pb->k;
    result_init(res, k);

    /* Quick exit: d = e_i refutes the palette, whatever the LP below makes
     * of it; the margin is still reported when the LP can compute it. */
    if (refute_by_unit(pb, res)) {
        map_error lp_err;
        if (map_margin(pb, fp, &res->margin, NULL, &lp_err) != MAP_OK)
            res->margin = NAN;
        return MAP_OK;
    }
    rc = map_margin(pb, fp, &res->margin, res->direction, err);
    if (rc)
        return rc;
    if (res->margin < -fp->boundary_tol) {
        double gap;
        if (map_certificate_check(pb, res->direction, &gap)) {
            set_infeasible(res, k, res->direction, gap);
            return MAP_OK;
        }
        /* The LP's direction did not verify (rounding at the edge): treat the
         * palette as on the boundary rather than claim what we cannot show. */
    }
    if (res->margin <= fp->boundary_tol) {
        res->status = MAP_SOLVE_BOUNDARY;
        res->has_direction = 1;
        for (size_t l = 0; l < k; l++) {
            res->lambda[l] = res->direction[l] > 0.0 ? INFINITY : 0.0;
            res->level[l] = NAN;
        }
        if (res->margin < -fp->boundary_tol)
            res->margin = -fp->boundary_tol;
        return MAP_OK;
    }
    /* Strictly attainable: λ* exists. */
    res->has_direction = 0;
    memset(res->direction, 0, sizeof res->direction);
    *attainable = 1;
    return MAP_OK;
}

/* Iterations of the Newton-first verdict before the exact LP is asked: a
 * strictly attainable palette converges in a handful from λ = 0, an
 * unattainable one yields its certificate within a few more; what is left
 * (boundary palettes, where λ grows by about a constant each iteration, and
 * stalls) goes to the LP. */
#define MAP_VERDICT_BUDGET 25

/* A converged Newton run is trusted without the LP only when its last step
 * was this small (in λ_i·scale_i): at a finite optimum the final step is
 * quadratically small, while on the boundary each step still moves λ by
 * about 1/gap however small the KKT residual already is. */
#define MAP_SETTLED_STEP 1e-6

/* Besides, the tilted covariance on the constraints met must be regular:
 * when the samples lie on a hyperplane dᵀr = dᵀc with d ≥ 0 the palette is
 * met at a finite λ, yet v* = 0 (boundary), which only the LP tells. */

/* The average over groups of log n_g (log n globally): the bound on Λ_c
 * below which λ is a candidate certificate (map_newton_run). */
static double mean_log_group_size(const map_problem *pb)
{
    if (!pb->groups)
        return log((double)pb->data.n);
    const map_groups *g = pb->groups;
    double s = 0.0;
    for (size_t q = 0; q < g->ngroups; q++)
        s += log((double)(g->start[q + 1] - g->start[q]));
    return s / (double)g->ngroups;
}

/* The old order: the exact verdict (margin LP), then Newton when strictly
 * attainable. Used when the margin is asked for, and as the fallback. */
static int solve_after_verdict(const map_problem *pb, const map_solver_params *par,
                               const map_feas_params *fp, const double *init, map_solver_ws *ws,
                               map_result *res, map_error *err)
{
    int attainable = 0;
    int rc = map_palette_verdict(pb, fp, res, &attainable, err);
    if (rc || !attainable)
        return rc;
    rc = map_solve(pb, par, init, ws, res->lambda, res->level, &res->diag, err);
    if (rc)
        return rc;
    res->status = res->diag.status;
    return MAP_OK;
}

int map_solve_palette(const map_problem *pb, const map_solver_params *par, const map_feas_params *fp,
                      const double *init, map_solver_ws *ws, map_result *res, map_error *err)
{
    map_feas_params fdef;
    map_solver_params pdef;
    fp = map_feas_or_default(fp, &fdef);
    par = map_par_or_default(par, &pdef);
    if (fp->want_margin)
        return solve_after_verdict(pb, par, fp, init, ws, res, err);
    int rc = map_problem_check(pb, err);
    if (rc)
        return rc;
    const size_t k = pb->k;
    result_init(res, k);

    /* Newton first: convergence is the evidence of attainability, and on an
     * unattainable palette λ itself becomes a certificate (MATH.md §12). */
    map_newton_opts opt = {0};
    opt.budget = par->max_iter < MAP_VERDICT_BUDGET ? par->max_iter : MAP_VERDICT_BUDGET;
    opt.watch_certificate = 1;
    opt.cert_bound = mean_log_group_size(pb);
    map_newton_out out;
    rc = map_newton_run(pb, par, init, &opt, ws, res->lambda, res->level, &res->diag, &out, err);
    if (rc)
        return rc;
    if (res->diag.status == MAP_SOLVE_OPTIMAL && out.last_step <= MAP_SETTLED_STEP
        && out.tight_rcond > 0.0) {
        res->status = MAP_SOLVE_OPTIMAL;
        return MAP_OK;
    }
    if (out.certificate) {
        /* The diagnostics of a diverging iterate mean nothing: only the
         * work done is kept (as for an LP verdict, which has none). */
        const int iters = res->diag.iterations, evals = res->diag.evaluations;
        memset(&res->diag, 0, sizeof res->diag);
        res->diag.status = MAP_SOLVE_INFEASIBLE;
        res->diag.iterations = iters;
        res->diag.evaluations = evals;
        /* A target above a value's maximum keeps its documented d = e_i. */
        if (!refute_by_unit(pb, res))
            set_infeasible(res, k, out.direction, out.cert_gap);
        return MAP_OK;
    }
    /* Undecided within the budget (boundary, stall) or converged with λ still
     * moving: the exact verdict decides. */
    const map_solution first = res->diag;
    double lam[MAP_MAX_K], lev[MAP_MAX_K];
    memcpy(lam, res->lambda, k * sizeof *lam);
    memcpy(lev, res->level, k * sizeof *lev);
    int attainable = 0;
    rc = map_palette_verdict(pb, fp, res, &attainable, err);
    if (rc || !attainable)
        return rc;
    if (first.status == MAP_SOLVE_OPTIMAL) {
        memcpy(res->lambda, lam, k * sizeof *lam);
        memcpy(res->level, lev, k * sizeof *lev);
        res->diag = first;
    } else {
        /* Continue from the best iterate (Armijo keeps g increasing). */
        int finite = 1;
        for (size_t i = 0; i < k; i++)
            finite &= isfinite(lam[i]);
        rc = map_solve(pb, par, finite ? lam : init, ws, res->lambda, res->level, &res->diag, err);
        if (rc)
            return rc;
        res->diag.iterations += first.iterations;
        res->diag.evaluations += first.evaluations;
    }
    res->status = res->diag.status;
    return MAP_OK;
}
