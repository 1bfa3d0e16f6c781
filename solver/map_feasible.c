/* map_feasible.c — exact feasibility of a palette (MATH.md §6): the scaled
 * margin v* by a cutting-plane linear program, certificates checked against
 * the data, and the palette solve that combines them with projected Newton.
 * GLPK glue: the only file that includes glpk.h.
 *
 * With a_j = ((r_j − c) / scale) restricted to the k palette values,
 *     v* = min_{d ≥ 0, Σd = 1} max_j dᵀa_j = max_{q ∈ Δ} min_i (Σ_j q_j a_j)_i.
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
#include <glpk.h>
#include <math.h>
#include <string.h>

#include "map_solver_internal.h"

void map_feas_params_default(map_feas_params *p)
{
    p->boundary_tol = 1e-9;
    p->lp_max_rounds = 200;
}

/* Cuts added per round: the samples that the current d rates highest. */
#define MAP_CUTS 16

static double score_row(const map_problem *pb, const double *row, const double *d)
{
    double s = 0.0;
    for (size_t i = 0; i < pb->k; i++)
        s += d[i] * ((row[pb->cols[i]] - pb->target[i]) / pb->scale[i]);
    return s;
}

/* One pass: max_j dᵀa_j and up to MAP_CUTS rows (not yet in S) with the
 * highest scores above `floor`, best first in top[]. Returns the maximum. */
static double scan(const map_problem *pb, const double *d, const unsigned char *in_s, double floor,
                   size_t *top, double *topv, size_t *ntop)
{
    double best = -INFINITY;
    size_t cnt = 0;
    for (size_t j = 0; j < pb->data.n; j++) {
        const double s = score_row(pb, pb->data.x + j * pb->data.ld, d);
        if (s > best)
            best = s;
        if (in_s[j] || !(s > floor))
            continue;
        if (cnt < MAP_CUTS || s > topv[cnt - 1]) {
            size_t pos = cnt < MAP_CUTS ? cnt++ : cnt - 1;
            while (pos > 0 && topv[pos - 1] < s) {
                topv[pos] = topv[pos - 1];
                top[pos] = top[pos - 1];
                pos--;
            }
            topv[pos] = s;
            top[pos] = j;
        }
    }
    *ntop = cnt;
    return best;
}

typedef struct lp_state {
    glp_prob *lp;
    size_t nrows;
    int ind[MAP_MAX_K + 2];
    double val[MAP_MAX_K + 2];
} lp_state;

/* Adds the cut  t − Σ_i d_i a_ji ≥ 0  for sample j. Columns: 1..k = d, k+1 = t. */
static void add_row(lp_state *st, const map_problem *pb, size_t j)
{
    const double *row = pb->data.x + j * pb->data.ld;
    const int r = glp_add_rows(st->lp, 1);
    for (size_t i = 0; i < pb->k; i++) {
        st->ind[i + 1] = (int)i + 1;
        st->val[i + 1] = -((row[pb->cols[i]] - pb->target[i]) / pb->scale[i]);
    }
    st->ind[pb->k + 1] = (int)pb->k + 1;
    st->val[pb->k + 1] = 1.0;
    glp_set_mat_row(st->lp, r, (int)pb->k + 1, st->ind, st->val);
    glp_set_row_bnds(st->lp, r, GLP_LO, 0.0, 0.0);
    st->nrows++;
}

int map_margin(const map_problem *pb, const map_feas_params *fp, double *margin, double *direction,
               map_error *err)
{
    map_feas_params defaults;
    if (!fp) {
        map_feas_params_default(&defaults);
        fp = &defaults;
    }
    int rc = map_problem_check(pb, err);
    if (rc)
        return rc;
    const size_t k = pb->k, n = pb->data.n;
    unsigned char *in_s = map_calloc(n, 1);
    size_t *rows = map_mallocarray(n, sizeof *rows); /* S in insertion order: row r+2 ↔ rows[r] */
    if (!in_s || !rows) {
        map_free(in_s);
        map_free(rows);
        return map_error_set(err, MAP_ENOMEM, "out of memory for the margin LP (%zu samples)", n);
    }
    lp_state st = {0};
    st.lp = glp_create_prob();
    glp_set_obj_dir(st.lp, GLP_MIN);
    glp_add_cols(st.lp, (int)k + 1);
    for (size_t i = 0; i < k; i++)
        glp_set_col_bnds(st.lp, (int)i + 1, GLP_LO, 0.0, 0.0);
    glp_set_col_bnds(st.lp, (int)k + 1, GLP_FR, 0.0, 0.0);
    glp_set_obj_coef(st.lp, (int)k + 1, 1.0);
    /* Row 1: Σ d_i = 1. */
    glp_add_rows(st.lp, 1);
    for (size_t i = 0; i < k; i++) {
        st.ind[i + 1] = (int)i + 1;
        st.val[i + 1] = 1.0;
    }
    glp_set_mat_row(st.lp, 1, (int)k, st.ind, st.val);
    glp_set_row_bnds(st.lp, 1, GLP_FX, 1.0, 1.0);

    /* Seed S with each value's best sample and the best for d = 1/k. */
    double d[MAP_MAX_K] = {0}, dbest[MAP_MAX_K] = {0}, q_a[MAP_MAX_K];
    size_t top[MAP_CUTS];
    double topv[MAP_CUTS];
    size_t ntop = 0, nS = 0;
    for (size_t i = 0; i <= k; i++) {
        for (size_t l = 0; l < k; l++)
            d[l] = i == k ? 1.0 / (double)k : (double)(l == i);
        scan(pb, d, in_s, -INFINITY, top, topv, &ntop);
        if (ntop > 0 && !in_s[top[0]]) {
            in_s[top[0]] = 1;
            rows[nS++] = top[0];
            add_row(&st, pb, top[0]);
        }
    }

    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.meth = GLP_DUALP;
    parm.tol_bnd = 1e-10;
    parm.tol_dj = 1e-10;
    double upper = INFINITY, lower = -INFINITY;
    int polished = 0;
    rc = MAP_OK;
    for (int round = 0; round < fp->lp_max_rounds; round++) {
        int lp_rc = glp_simplex(st.lp, &parm);
        if (lp_rc != 0 || glp_get_status(st.lp) != GLP_OPT) {
            lp_rc = glp_exact(st.lp, &parm);
            if (lp_rc != 0 || glp_get_status(st.lp) != GLP_OPT) {
                rc = map_error_set(err, MAP_ENOMEM, "the margin LP failed (GLPK status %d)",
                                   glp_get_status(st.lp));
                break;
            }
        }
        double dsum = 0.0;
        for (size_t i = 0; i < k; i++) {
            d[i] = fmax(0.0, glp_get_col_prim(st.lp, (int)i + 1));
            dsum += d[i];
        }
        for (size_t i = 0; i < k; i++)
            d[i] = dsum > 0.0 ? d[i] / dsum : 1.0 / (double)k;
        /* Lower bound from the multipliers q of the working set. */
        double qsum = 0.0;
        memset(q_a, 0, k * sizeof *q_a);
        for (size_t r = 0; r < nS; r++) {
            const double q = fmax(0.0, glp_get_row_dual(st.lp, (int)r + 2));
            if (q == 0.0)
                continue;
            qsum += q;
            const double *row = pb->data.x + rows[r] * pb->data.ld;
            for (size_t i = 0; i < k; i++)
                q_a[i] += q * ((row[pb->cols[i]] - pb->target[i]) / pb->scale[i]);
        }
        if (qsum > 0.0) {
            double lo = INFINITY;
            for (size_t i = 0; i < k; i++)
                lo = fmin(lo, q_a[i] / qsum);
            lower = fmax(lower, lo);
        }
        const double t_lp = glp_get_obj_val(st.lp);
        const double up = scan(pb, d, in_s, t_lp, top, topv, &ntop);
        if (up < upper) {
            upper = up;
            memcpy(dbest, d, k * sizeof *d);
        }
        const double width = upper - lower;
        if (width <= MAP_MARGIN_RESOLUTION * fmax(1.0, fabs(upper)))
            break;
        if (ntop == 0) {
            /* No sample outside S beats the LP value: the LP over S is the
             * whole LP, but the solver's tolerances leave a gap. Polish once
             * in exact arithmetic. */
            if (polished)
                break;
            polished = 1;
            glp_exact(st.lp, &parm);
            continue;
        }
        for (size_t c = 0; c < ntop; c++) {
            in_s[top[c]] = 1;
            rows[nS++] = top[c];
            add_row(&st, pb, top[c]);
        }
    }
    glp_delete_prob(st.lp);
    map_free(in_s);
    map_free(rows);
    if (rc)
        return rc;
    /* Report the certified upper bound unless the bounds are far apart. */
    *margin = lower > -INFINITY && upper - lower > MAP_MARGIN_RESOLUTION * fmax(1.0, fabs(upper)) ? 0.5 * (upper + lower)
                                                                                   : upper;
    if (lower > 0.0 && *margin < lower)
        *margin = lower;
    if (direction) {
        double mx = 0.0;
        for (size_t i = 0; i < k; i++)
            mx = fmax(mx, dbest[i]);
        for (size_t i = 0; i < k; i++)
            direction[i] = mx > 0.0 ? dbest[i] / mx / pb->scale[i] : 0.0;
    }
    return MAP_OK;
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
    double best = -INFINITY;
    for (size_t j = 0; j < pb->data.n; j++) {
        const double *row = pb->data.x + j * pb->data.ld;
        double s = 0.0;
        for (size_t i = 0; i < pb->k; i++)
            s += d[i] * row[pb->cols[i]];
        best = fmax(best, s);
    }
    /* Compare with the rounding of the sums in mind: the gap must exceed it. */
    double mag = 0.0;
    for (size_t i = 0; i < pb->k; i++)
        mag += d[i] * (fabs(pb->target[i]) + (pb->absmax ? pb->absmax[i] : 0.0));
    *gap = dc - best;
    return *gap > 8.0 * DBL_EPSILON * (double)(pb->k + 1) * mag;
}

int map_solve_palette(const map_problem *pb, const map_solver_params *par, const map_feas_params *fp,
                      const double *init, map_solver_ws *ws, map_result *res, map_error *err)
{
    map_feas_params fdef;
    if (!fp) {
        map_feas_params_default(&fdef);
        fp = &fdef;
    }
    int rc = map_problem_check(pb, err);
    if (rc)
        return rc;
    const size_t k = pb->k;
    memset(res, 0, sizeof *res);
    res->k = k;
    res->margin = NAN;
    res->cert_gap = NAN;

    rc = map_margin(pb, fp, &res->margin, res->direction, err);
    if (rc)
        return rc;

    /* Quick exit: a target above a value's maximum is refuted by d = e_i. */
    for (size_t i = 0; i < k; i++) {
        double e[MAP_MAX_K] = {0}, gap;
        e[i] = 1.0;
        if (map_certificate_check(pb, e, &gap)) {
            memcpy(res->direction, e, k * sizeof *e);
            res->has_direction = 1;
            res->cert_gap = gap;
            res->status = MAP_SOLVE_INFEASIBLE;
            for (size_t l = 0; l < k; l++) {
                res->lambda[l] = NAN;
                res->level[l] = NAN;
            }
            return MAP_OK;
        }
    }
    if (res->margin < -fp->boundary_tol) {
        double gap;
        if (map_certificate_check(pb, res->direction, &gap)) {
            res->has_direction = 1;
            res->cert_gap = gap;
            res->status = MAP_SOLVE_INFEASIBLE;
            for (size_t l = 0; l < k; l++) {
                res->lambda[l] = NAN;
                res->level[l] = NAN;
            }
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
    /* Strictly attainable: λ* exists; find it. */
    res->has_direction = 0;
    memset(res->direction, 0, sizeof res->direction);
    rc = map_solve(pb, par, init, ws, res->lambda, res->level, &res->diag, err);
    if (rc)
        return rc;
    res->status = res->diag.status;
    return MAP_OK;
}
