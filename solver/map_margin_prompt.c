/* map_margin_prompt.c — the scaled margin v* under per-prompt normalisation
 * (MATH.md §6, §9) by cutting planes over the direction d alone: the LP has
 * k + 1 columns and one row per cut, never a column per prompt.
 *
 * With a_j = (r_j − c) / scale on the k palette values and K prompts,
 *     f(d) = (1/K) Σ_g max_{j∈G_g} dᵀa_j,      v* = min_{d ∈ Δ_k} f(d).
 * f is convex, piecewise linear and positively homogeneous. One pass over the
 * data at d gives f(d) and the subgradient s(d) = (1/K) Σ_g a_{j*(g)} (each
 * group's highest-rated row); prompts of one sample are a fixed linear term,
 * summed once. Since f(d) = s(d)ᵀd, each cut is t ≥ s_cᵀd through the origin,
 * and each s_c is itself a point of the attainable set (an average over the
 * prompts of one sample each). The master LP
 *     min t  s.t.  t ≥ s_cᵀd (every cut c),  d ≥ 0,  Σd = 1
 * has the dual max_{μ ∈ Δ} min_i (Σ_c μ_c s_c)_i, so each round gives two
 * bounds in our own arithmetic:
 *   upper  f(d) for the LP's d, from the pass            (≥ v*)
 *   lower  min_i w_i, w = Σ μ_c s_c / Σ μ_c, from the LP's cut multipliers:
 *          a point of the attainable set, so ≤ v* whatever the LP's accuracy.
 * Kelley's iterates are stabilised by a level step: the next d is the point
 * of the model's level set {model ≤ lower + α (upper − lower)} nearest (L1)
 * to the best d so far. f is piecewise linear, so once the cuts of the pieces
 * around the minimiser are in, the model is exact there and a Kelley step
 * (the model's minimiser) closes the gap: one is taken after each level step
 * that f confirmed (f(d) ≤ level) and once the gap is below 1e3 times the
 * resolution. Measured (test_margin_prompt): 15 rounds at 10,000 prompts ×
 * 16 samples × 3 values, 46 with 6 values; ≤ 27 on the tests' smaller data.
 * GLPK glue for this method (with map_feasible.c).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "map_lp.h"
#include "map_solver_internal.h"

/* Level parameter of the stabilised step: the next d must bring the model to
 * lower + MAP_LEVEL_ALPHA · (upper − lower). */
#define MAP_LEVEL_ALPHA 0.7

/* Rows ahead that the packing loop asks the cache for. */
#define MAP_PREFETCH 16

/* The prompts of two or more samples, packed once: their rows' a_j in
 * prompt order (k entries each, contiguous), prompt g holding rows
 * gs[g] … gs[g+1] − 1; lin = (1/K) Σ a_j over the prompts of one sample. */
typedef struct prompt_rows {
    size_t k, G, K;
    size_t *gs;
    double *a;
    double lin[MAP_MAX_K];
    double *acc; /* (k + 1) * k scratch of the pass */
} prompt_rows;

/* The row of a prompt (rows a0 … a1, K_ entries each) that direction de
 * rates highest (the first of equals). Fixed widths let the compiler unroll
 * the inner product of the common palettes. */
#define MAP_ARGMAX(name, K_)                                                              \
    static const double *name(const double *a0, const double *a1, const double *de,      \
                              size_t kk)                                                  \
    {                                                                                     \
        const size_t k_ = (K_) ? (size_t)(K_) : kk;                                       \
        const double *arg = a0;                                                           \
        double best = -INFINITY;                                                          \
        for (const double *row = a0; row < a1; row += k_) {                               \
            double v = 0.0;                                                               \
            for (size_t i = 0; i < k_; i++)                                               \
                v += de[i] * row[i];                                                      \
            if (v > best) {                                                               \
                best = v;                                                                 \
                arg = row;                                                                \
            }                                                                             \
        }                                                                                 \
        return arg;                                                                       \
    }
MAP_ARGMAX(argmax_2, 2)
MAP_ARGMAX(argmax_3, 3)
MAP_ARGMAX(argmax_4, 4)
MAP_ARGMAX(argmax_k, 0)

/* One pass at nd ≤ k + 1 directions d[0..nd−1] (k entries each, d ≥ 0, Σd = 1):
 * s[e] = lin + (1/K) Σ_g a_{j*(g)} for direction e, the subgradient of f
 * there (so f(d_e) = s[e]ᵀd_e). */
static void prompt_pass(const prompt_rows *pr, size_t nd, const double *d, double *s)
{
    const size_t k = pr->k;
    const double *(*argmax)(const double *, const double *, const double *, size_t) =
        k == 2 ? argmax_2 : k == 3 ? argmax_3 : k == 4 ? argmax_4 : argmax_k;
    double *acc = pr->acc;
    MAP_ASSERT(nd <= k + 1);
    memset(acc, 0, nd * k * sizeof *acc);
    for (size_t q = 0; q < pr->G; q++) {
        const double *a0 = pr->a + pr->gs[q] * k, *a1 = pr->a + pr->gs[q + 1] * k;
        for (size_t e = 0; e < nd; e++) {
            const double *arg = argmax(a0, a1, d + e * k, k);
            double *ae = acc + e * k;
            for (size_t i = 0; i < k; i++)
                ae[i] += arg[i];
        }
    }
    for (size_t e = 0; e < nd * k; e++)
        s[e] = pr->lin[e % k] + acc[e] / (double)pr->K;
}

static double dot(size_t k, const double *x, const double *y)
{
    double v = 0.0;
    for (size_t i = 0; i < k; i++)
        v += x[i] * y[i];
    return v;
}

/* Columns of both LPs: 1..k = d, k+1 = t (master) and k+2..2k+1 = u, the L1
 * distance to the centre of the level step. Row 1: Σd = 1; rows 2.. cuts. */
typedef struct prompt_lp {
    glp_prob *lp;
    int ind[2 * MAP_MAX_K + 2];
    double val[2 * MAP_MAX_K + 2];
} prompt_lp;

/* Adds the cut t − s_cᵀd ≥ 0 (master) / s_cᵀd ≤ level (level step). */
static void prompt_add_cut(prompt_lp *st, size_t k, const double *s, int level, double lev)
{
    const int r = glp_add_rows(st->lp, 1);
    for (size_t i = 0; i < k; i++) {
        st->ind[i + 1] = (int)i + 1;
        st->val[i + 1] = level ? s[i] : -s[i];
    }
    if (level) {
        glp_set_mat_row(st->lp, r, (int)k, st->ind, st->val);
        glp_set_row_bnds(st->lp, r, GLP_UP, 0.0, lev);
    } else {
        st->ind[k + 1] = (int)k + 1;
        st->val[k + 1] = 1.0;
        glp_set_mat_row(st->lp, r, (int)k + 1, st->ind, st->val);
        glp_set_row_bnds(st->lp, r, GLP_LO, 0.0, 0.0);
    }
}

static int prompt_solve(glp_prob *lp, glp_smcp *parm)
{
    if (glp_simplex(lp, parm) == 0 && glp_get_status(lp) == GLP_OPT)
        return 0;
    if (glp_exact(lp, parm) == 0 && glp_get_status(lp) == GLP_OPT)
        return 0;
    return -1;
}

int map_margin_prompt(const map_problem *pb, const map_feas_params *fp, double *margin,
                      double *direction, int *rounds_out, map_error *err)
{
    map_feas_params defaults;
    fp = map_feas_or_default(fp, &defaults);
    int rc = map_problem_check(pb, err);
    if (rc)
        return rc;
    map_rows_view g;
    map_rows_view_of(pb, &g);
    const size_t k = pb->k, K = g.K;
    const size_t maxcuts = (size_t)(fp->lp_max_rounds > 0 ? fp->lp_max_rounds : 0) + k + 1;
    /* Pack the prompts of two or more samples (their a_j, contiguous). */
    prompt_rows pr = {.k = k, .K = K};
    size_t nm = 0;
    for (size_t q = 0; q < K; q++) {
        const size_t sz = g.start[q + 1] - g.start[q];
        if (sz > 1) {
            pr.G++;
            nm += sz;
        }
    }
    if (maxcuts > SIZE_MAX / 16 / MAP_MAX_K || nm > SIZE_MAX / 16 / MAP_MAX_K)
        return map_error_set(err, MAP_ENOMEM, "out of memory for the margin (%zu samples)", nm);
    /* One allocation: the cuts, the packed rows, the seeds, their cuts and the
     * pass's scratch ((k + 1) * k each), the prompts' offsets. */
    const size_t nseed = k > 1 ? k + 1 : 1, sk = (k + 1) * k;
    char *mem = map_malloc((maxcuts * k + nm * k + 3 * sk) * sizeof(double)
                           + (pr.G + 1) * sizeof(size_t));
    if (!mem)
        return map_error_set(err, MAP_ENOMEM, "out of memory for the margin (%zu samples)", nm);
    double *cuts = (double *)mem;
    pr.a = cuts + maxcuts * k;
    double *seeds = pr.a + nm * k, *sseed = seeds + sk;
    pr.acc = sseed + sk;
    pr.gs = (size_t *)(pr.acc + sk);
    pr.gs[0] = 0;
    for (size_t q = 0, G = 0; q < K; q++) {
        const size_t sz = g.start[q + 1] - g.start[q];
        double *dst = sz > 1 ? pr.a + pr.gs[G] * k : NULL;
        for (size_t pos = g.start[q]; pos < g.start[q + 1]; pos++) {
            double row[MAP_MAX_K];
            map_row_cols(pb, map_rows_at(&g, pos), row);
#if defined(__GNUC__)
            /* The rows of a prompt may lie anywhere: fetch ahead. */
            if (g.order && pos + MAP_PREFETCH < pb->data.n) {
                const size_t at = g.order[pos + MAP_PREFETCH] * pb->data.ld;
                if (pb->data.xf)
                    __builtin_prefetch(pb->data.xf + at);
                else
                    __builtin_prefetch(pb->data.x + at);
            }
#endif
            for (size_t i = 0; i < k; i++) {
                const double a = (row[i] - pb->target[i]) / pb->scale[i];
                if (dst)
                    *dst++ = a;
                else
                    pr.lin[i] += a; /* a prompt of one sample: a linear term of f */
            }
        }
        if (sz > 1) {
            pr.gs[G + 1] = pr.gs[G] + sz;
            G++;
        }
    }
    for (size_t i = 0; i < k; i++)
        pr.lin[i] /= (double)K;

    prompt_lp ms = {0}, lv = {0};
    ms.lp = glp_create_prob();
    lv.lp = glp_create_prob();
    glp_set_obj_dir(ms.lp, GLP_MIN);
    glp_set_obj_dir(lv.lp, GLP_MIN);
    glp_add_cols(ms.lp, (int)k + 1);
    glp_add_cols(lv.lp, (int)(2 * k));
    for (size_t i = 0; i < k; i++) {
        glp_set_col_bnds(ms.lp, (int)i + 1, GLP_LO, 0.0, 0.0);
        glp_set_col_bnds(lv.lp, (int)i + 1, GLP_LO, 0.0, 0.0);
        glp_set_col_bnds(lv.lp, (int)(k + i) + 1, GLP_LO, 0.0, 0.0);
        glp_set_obj_coef(lv.lp, (int)(k + i) + 1, 1.0);
        ms.ind[i + 1] = (int)i + 1;
        ms.val[i + 1] = 1.0;
    }
    glp_set_col_bnds(ms.lp, (int)k + 1, GLP_FR, 0.0, 0.0);
    glp_set_obj_coef(ms.lp, (int)k + 1, 1.0);
    glp_add_rows(ms.lp, 1);
    glp_set_mat_row(ms.lp, 1, (int)k, ms.ind, ms.val);
    glp_set_row_bnds(ms.lp, 1, GLP_FX, 1.0, 1.0);
    glp_add_rows(lv.lp, 1);
    glp_set_mat_row(lv.lp, 1, (int)k, ms.ind, ms.val);
    glp_set_row_bnds(lv.lp, 1, GLP_FX, 1.0, 1.0);
    /* u_i ≥ |d_i − dbest_i|: rows 2..2k+1 of the level LP, u_i − d_i ≥ −dbest_i
     * and u_i + d_i ≥ dbest_i; their bounds move with dbest. */
    glp_add_rows(lv.lp, (int)(2 * k));
    for (size_t i = 0; i < k; i++) {
        int ind[3] = {0, (int)i + 1, (int)(k + i) + 1};
        double vm[3] = {0, -1.0, 1.0}, vp[3] = {0, 1.0, 1.0};
        glp_set_mat_row(lv.lp, (int)(2 + 2 * i), 2, ind, vm);
        glp_set_mat_row(lv.lp, (int)(3 + 2 * i), 2, ind, vp);
    }
    const int lv_cut0 = (int)(2 * k) + 2; /* first cut row of the level LP */

    glp_smcp parm;
    map_lp_simplex_params(&parm);

    /* Seed: the centre of the simplex and its vertices. */
    double d[MAP_MAX_K], dbest[MAP_MAX_K] = {0}, s[MAP_MAX_K];
    double upper = INFINITY, lower = -INFINITY;
    size_t ncuts = 0;
    for (size_t v = 0; v < nseed; v++)
        for (size_t i = 0; i < k; i++)
            seeds[v * k + i] = v == 0 ? 1.0 / (double)k : (double)(i + 1 == v);
    prompt_pass(&pr, nseed, seeds, sseed);
    for (size_t v = 0; v < nseed; v++) {
        memcpy(s, sseed + v * k, k * sizeof *s);
        const double up = dot(k, s, seeds + v * k);
        if (up < upper) {
            upper = up;
            memcpy(dbest, seeds + v * k, k * sizeof *d);
        }
        int dup = 0;
        for (size_t c = 0; c < ncuts && !dup; c++)
            dup = memcmp(cuts + c * k, s, k * sizeof *s) == 0;
        if (!dup) {
            memcpy(cuts + ncuts++ * k, s, k * sizeof *s);
            prompt_add_cut(&ms, k, s, 0, 0.0);
            prompt_add_cut(&lv, k, s, 1, 0.0);
        }
    }

    int round = 0, polished = 0, kelley = 0;
    for (; round < fp->lp_max_rounds; round++) {
        /* Master: the model's minimum and the witness lower bound. */
        if (polished ? glp_exact(ms.lp, &parm) != 0 || glp_get_status(ms.lp) != GLP_OPT
                     : prompt_solve(ms.lp, &parm) != 0) {
            rc = map_error_set(err, MAP_ENOMEM, "the margin LP failed (GLPK status %d)",
                               glp_get_status(ms.lp));
            break;
        }
        double w[MAP_MAX_K] = {0}, mu_total = 0.0;
        for (size_t c = 0; c < ncuts; c++) {
            const double mu = fmax(0.0, glp_get_row_dual(ms.lp, (int)c + 2));
            if (mu == 0.0)
                continue;
            mu_total += mu;
            for (size_t i = 0; i < k; i++)
                w[i] += mu * cuts[c * k + i];
        }
        if (mu_total > 0.0) {
            double lo = INFINITY;
            for (size_t i = 0; i < k; i++)
                lo = fmin(lo, w[i] / mu_total);
            lower = fmax(lower, lo);
        }
        if (upper - lower <= MAP_MARGIN_RESOLUTION * fmax(1.0, fabs(upper)))
            break;
        /* Next d: the level step from dbest, or the model's minimiser (Kelley)
         * when the model is nearly exact, when the last level step landed where
         * the model predicted, or when the level LP fails. */
        const double model = glp_get_obj_val(ms.lp);
        const double lev = fmax(lower, model) + MAP_LEVEL_ALPHA * (upper - fmax(lower, model));
        int use_level = !kelley && upper - fmax(lower, model) > 1e3 * MAP_MARGIN_RESOLUTION * fmax(1.0, fabs(upper));
        if (use_level) {
            for (size_t i = 0; i < k; i++) {
                glp_set_row_bnds(lv.lp, (int)(2 + 2 * i), GLP_LO, -dbest[i], 0.0);
                glp_set_row_bnds(lv.lp, (int)(3 + 2 * i), GLP_LO, dbest[i], 0.0);
            }
            for (size_t c = 0; c < ncuts; c++)
                glp_set_row_bnds(lv.lp, lv_cut0 + (int)c, GLP_UP, 0.0, lev);
            use_level = prompt_solve(lv.lp, &parm) == 0;
        }
        glp_prob *src = use_level ? lv.lp : ms.lp;
        for (size_t i = 0; i < k; i++)
            d[i] = glp_get_col_prim(src, (int)i + 1);
        map_simplex_normalise(d, k);
        prompt_pass(&pr, 1, d, s);
        const double up = dot(k, s, d);
        /* A level step the model predicted (f(d) at or below the level)
         * suggests the model is exact around there: try its minimiser next. */
        kelley = use_level && up <= lev;
        if (up < upper) {
            upper = up;
            memcpy(dbest, d, k * sizeof *d);
        }
        if (upper - lower <= MAP_MARGIN_RESOLUTION * fmax(1.0, fabs(upper)))
            break;
        int dup = 0;
        for (size_t c = 0; c < ncuts && !dup; c++)
            dup = memcmp(cuts + c * k, s, k * sizeof *s) == 0;
        if (dup && use_level)
            continue; /* f(d) ≤ level: the upper bound moved down */
        if (dup || ncuts == maxcuts) {
            /* The model is exact at the LP's d, but the solver's tolerances
             * leave a gap: polish the master once in exact arithmetic. */
            if (polished || ncuts == maxcuts)
                break;
            polished = 1;
            continue;
        }
        polished = 0;
        memcpy(cuts + ncuts++ * k, s, k * sizeof *s);
        prompt_add_cut(&ms, k, s, 0, 0.0);
        prompt_add_cut(&lv, k, s, 1, lev);
    }
    if (rounds_out)
        *rounds_out = round;
    if (rc == MAP_OK)
        map_margin_report(pb, upper, lower, dbest, margin, direction);
    glp_delete_prob(ms.lp);
    glp_delete_prob(lv.lp);
    map_free(mem);
    return rc;
}
