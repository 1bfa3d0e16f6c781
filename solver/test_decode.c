/* test_decode.c — decoding with k candidates (map_decode.h) against
 * independent computations: best-of-k against brute-force enumeration of
 * every k-tuple of candidates (tiny data with ties, globally and per
 * prompt) and against a simulation with another generator; SIR against the
 * exact enumeration of its expectation and against a simulation that draws
 * the kept candidate with another generator; the KL bound of best-of-k
 * (log k − (k−1)/k, approached on continuous data); k = 1 gives the
 * reference means; large k gives the top sample (best) and the tilted
 * levels (SIR); the weights against a long-double computation; the
 * per-prompt selections and extremes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_decode.h"
#include "map_test.h"
#include "map_test_rng.h"

/* ---- an independent generator (splitmix64), not GSL's mt19937 ---------- */

static uint64_t sm_state;
static uint64_t sm_next(void) { return map_test_splitmix64(&sm_state); }
/* Uniform in [0, 1) with 53 bits. */
static double sm_unif(void) { return map_test_uniform(&sm_state); }
/* Uniform integer in 0 .. n−1 (the bias of the modulo is below 2^-50 here). */
static size_t sm_int(size_t n) { return (size_t)(sm_next() % (uint64_t)n); }
static double sm_normal(void)
{
    const double u = sm_unif(), v = sm_unif();
    return sqrt(-2.0 * log1p(-u)) * cos(2.0 * M_PI * v);
}

/* ---- tiny data with ties ------------------------------------------------ */

/* 8 samples, 2 values; scores with ties (two at 2.0, three at 0.5). */
#define TN 8
#define TM 2
static const double TX[TN * TM] = {0.3, 1.0, -1.2, 0.4, 2.5, -0.7, 0.9, 0.9,
                                   1.7, 0.2, -0.4, 1.5, 0.8, -2.0, 1.1, 0.6};
static const double TS[TN] = {0.5, 2.0, -1.0, 0.5, 2.0, 3.0, 0.5, 1.0};
/* Prompts: {0, 3, 5}, {1}, {2, 4, 6, 7} (the order of first appearance). */
static const size_t T_ORDER[TN] = {0, 3, 5, 1, 2, 4, 6, 7};
static const size_t T_START[4] = {0, 3, 4, 8};

/* Brute force best-of-k on rows[0 .. N): every N^k tuple of candidates, the
 * kept one uniform among the candidates with the largest score; adds the
 * expected level (levels, TM) and each row's probability (prob by row)
 * times weight. */
static void brute_best(const size_t *rows, size_t N, size_t k, double weight, long double *level,
                       long double *prob)
{
    size_t idx[8] = {0};
    const double total = pow((double)N, (double)k);
    for (;;) {
        double smax = -INFINITY;
        for (size_t c = 0; c < k; c++)
            smax = fmax(smax, TS[rows[idx[c]]]);
        size_t nmax = 0;
        for (size_t c = 0; c < k; c++)
            nmax += TS[rows[idx[c]]] == smax;
        for (size_t c = 0; c < k; c++) {
            const size_t j = rows[idx[c]];
            if (TS[j] != smax)
                continue;
            const long double w = (long double)weight / ((long double)total * nmax);
            prob[j] += w;
            for (size_t i = 0; i < TM; i++)
                level[i] += w * TX[j * TM + i];
        }
        size_t c = 0;
        while (c < k && ++idx[c] == N)
            idx[c++] = 0;
        if (c == k)
            break;
    }
}

/* Brute force SIR on rows[0 .. N): every tuple, the kept level's
 * expectation Σ e^s r / Σ e^s, weighted. */
static void brute_sir(const size_t *rows, size_t N, size_t k, double weight, long double *level)
{
    size_t idx[8] = {0};
    const long double total = powl((long double)N, (long double)k);
    for (;;) {
        long double ws = 0, wr[TM] = {0};
        for (size_t c = 0; c < k; c++) {
            const size_t j = rows[idx[c]];
            const long double w = expl((long double)TS[j]);
            ws += w;
            for (size_t i = 0; i < TM; i++)
                wr[i] += w * TX[j * TM + i];
        }
        for (size_t i = 0; i < TM; i++)
            level[i] += (long double)weight * wr[i] / ws / total;
        size_t c = 0;
        while (c < k && ++idx[c] == N)
            idx[c++] = 0;
        if (c == k)
            break;
    }
}

static map_decode_ws *tiny_ws(const map_groups *g)
{
    map_decode_ws *ws = map_decode_ws_new(TN, TM, g ? g->ngroups : 1, 64);
    MAP_CHECK(ws != NULL, "workspace");
    if (!ws)
        return NULL;
    const map_matrix X = {TN, TM, TM, TX, NULL};
    map_error err;
    MAP_CHECK(map_decode_prepare(ws, &X, TS, g, &err) == MAP_OK, "%s", err.msg);
    return ws;
}

static void test_best_brute(void)
{
    static const size_t all[TN] = {0, 1, 2, 3, 4, 5, 6, 7};
    const map_groups grp = {3, T_START, T_ORDER};
    for (int per = 0; per < 2; per++) {
        map_decode_ws *ws = tiny_ws(per ? &grp : NULL);
        if (!ws)
            return;
        for (size_t k = 1; k <= 5; k++) {
            long double lv[TM] = {0}, pr[TN] = {0};
            if (!per)
                brute_best(all, TN, k, 1.0, lv, pr);
            else
                for (size_t g = 0; g < 3; g++)
                    brute_best(T_ORDER + T_START[g], T_START[g + 1] - T_START[g], k, 1.0 / 3.0,
                               lv, pr);
            double level[TM], kl, prob[TN];
            map_decode_best(ws, k, level, &kl);
            map_decode_best_probs(ws, k, prob);
            for (size_t i = 0; i < TM; i++)
                MAP_CHECK_CLOSE(level[i], (double)lv[i], 1e-12, "best-of-k level vs brute force");
            /* KL of the brute-force distribution: per prompt, the average of
             * the prompts' Σ p log(N p) with p the within-prompt mass. */
            long double klb = 0;
            for (size_t g = 0; g < (per ? 3u : 1u); g++) {
                const size_t *rows = per ? T_ORDER + T_START[g] : all;
                const size_t N = per ? T_START[g + 1] - T_START[g] : TN;
                const long double K = per ? 3.0L : 1.0L;
                for (size_t t = 0; t < N; t++) {
                    const long double p = pr[rows[t]] * K;
                    if (p > 0)
                        klb += p * logl(p * (long double)N) / K;
                }
            }
            MAP_CHECK_CLOSE(kl, (double)klb, 1e-12, "best-of-k KL vs brute force");
            double psum = 0;
            for (size_t j = 0; j < TN; j++) {
                psum += prob[j];
                MAP_CHECK_CLOSE(prob[j], (double)pr[j], 1e-12, "probability vs brute force");
            }
            MAP_CHECK_CLOSE(psum, 1.0, 1e-14, "probabilities sum to 1");
            /* ties share evenly: samples 1 and 4 (score 2.0) */
            MAP_CHECK(per || prob[1] == prob[4], "tied samples share");
        }
        MAP_CHECK(map_decode_short_groups(ws, 2) == (per ? 1u : 0u), "prompts below k = 2");
        MAP_CHECK(map_decode_short_groups(ws, 4) == (per ? 2u : 0u), "prompts below k = 4");
        map_decode_ws_free(ws);
    }
}

/* best-of-k by simulation with splitmix64 (ties: uniform among the tied
 * candidates) on the tiny data: within 5 standard errors of the exact. */
static void test_best_simulation(void)
{
    map_decode_ws *ws = tiny_ws(NULL);
    if (!ws)
        return;
    sm_state = 12345;
    const size_t k = 3, R = 400000;
    double sum[TM] = {0}, sum2[TM] = {0};
    for (size_t r = 0; r < R; r++) {
        size_t cand[3];
        double smax = -INFINITY;
        for (size_t c = 0; c < k; c++) {
            cand[c] = sm_int(TN);
            smax = fmax(smax, TS[cand[c]]);
        }
        size_t top[3], nt = 0;
        for (size_t c = 0; c < k; c++)
            if (TS[cand[c]] == smax)
                top[nt++] = cand[c];
        const size_t j = top[sm_int(nt)];
        for (size_t i = 0; i < TM; i++) {
            sum[i] += TX[j * TM + i];
            sum2[i] += TX[j * TM + i] * TX[j * TM + i];
        }
    }
    double level[TM], kl;
    map_decode_best(ws, k, level, &kl);
    for (size_t i = 0; i < TM; i++) {
        const double mean = sum[i] / R, var = sum2[i] / R - mean * mean;
        const double se = sqrt(var / R);
        MAP_CHECK(fabs(mean - level[i]) < 5 * se, "simulated %.6f vs exact %.6f (se %.2g)", mean,
                  level[i], se);
    }
    map_decode_ws_free(ws);
}

/* SIR on the tiny data: the Monte Carlo estimate against the exact
 * expectation (enumeration) and against a simulation with splitmix64 that
 * draws the kept candidate (not Rao-Blackwellised), globally and per prompt. */
static void test_sir(void)
{
    static const size_t all[TN] = {0, 1, 2, 3, 4, 5, 6, 7};
    const map_groups grp = {3, T_START, T_ORDER};
    for (int per = 0; per < 2; per++) {
        map_decode_ws *ws = tiny_ws(per ? &grp : NULL);
        if (!ws)
            return;
        for (size_t k = 1; k <= 4; k++) {
            long double ex[TM] = {0};
            if (!per)
                brute_sir(all, TN, k, 1.0, ex);
            else
                for (size_t g = 0; g < 3; g++)
                    brute_sir(T_ORDER + T_START[g], T_START[g + 1] - T_START[g], k, 1.0 / 3.0, ex);
            const size_t R = 20000;
            double level[TM], se[TM];
            map_error err;
            MAP_CHECK(map_decode_sir(ws, k, R, 7, level, se, &err) == MAP_OK, "%s", err.msg);
            /* a simulation drawing the kept one with another generator */
            sm_state = 999 + k + 10 * (size_t)per;
            const size_t RS = 200000;
            double s1[TM] = {0}, s2[TM] = {0};
            for (size_t r = 0; r < RS; r++) {
                const size_t g = per ? sm_int(3) : 0;
                const size_t *rows = per ? T_ORDER + T_START[g] : all;
                const size_t N = per ? T_START[g + 1] - T_START[g] : TN;
                size_t cand[4];
                double w[4], wsum = 0;
                for (size_t c = 0; c < k; c++) {
                    cand[c] = rows[sm_int(N)];
                    w[c] = exp(TS[cand[c]]);
                    wsum += w[c];
                }
                double u = sm_unif() * wsum;
                size_t c = 0;
                while (c + 1 < k && u >= w[c])
                    u -= w[c++];
                for (size_t i = 0; i < TM; i++) {
                    s1[i] += TX[cand[c] * TM + i];
                    s2[i] += TX[cand[c] * TM + i] * TX[cand[c] * TM + i];
                }
            }
            for (size_t i = 0; i < TM; i++) {
                MAP_CHECK(se[i] > 0 || k == 1 || per, "positive se");
                MAP_CHECK(fabs(level[i] - (double)ex[i]) <= 4.5 * se[i] + 1e-12,
                          "k %zu per %d: sir %.6f vs exact %.6f (se %.2g)", k, per, level[i],
                          (double)ex[i], se[i]);
                const double ms = s1[i] / RS, ses = sqrt((s2[i] / RS - ms * ms) / RS);
                MAP_CHECK(fabs(level[i] - ms) <= 5 * hypot(se[i], ses),
                          "k %zu per %d: sir %.6f vs simulation %.6f", k, per, level[i], ms);
            }
            /* The same seed gives the same estimate. */
            double l2[TM], se2[TM];
            map_decode_sir(ws, k, R, 7, l2, se2, &err);
            MAP_CHECK(l2[0] == level[0] && se2[1] == se[1], "reproducible");
        }
        map_error err;
        double l[TM], s[TM];
        MAP_CHECK(map_decode_sir(ws, 0, 10, 1, l, s, &err) == MAP_EDATA, "k = 0 refused");
        MAP_CHECK(map_decode_sir(ws, 65, 10, 1, l, s, &err) == MAP_EDATA, "k > kmax refused");
        MAP_CHECK(map_decode_sir(ws, 2, 0, 1, l, s, &err) == MAP_EDATA, "R = 0 refused");
        map_decode_ws_free(ws);
    }
}

/* Continuous data: n normal samples with a correlated second value; the
 * score is the first value. */
static double *normal_data(size_t n, double **score)
{
    double *x = malloc(2 * n * sizeof *x);
    *score = malloc(n * sizeof **score);
    if (!x || !*score)
        return x;
    for (size_t j = 0; j < n; j++) {
        const double a = sm_normal(), b = 0.6 * a + 0.8 * sm_normal();
        x[2 * j] = a;
        x[2 * j + 1] = b;
        (*score)[j] = 1.3 * a;
    }
    return x;
}

static void test_kl_bound_and_limits(void)
{
    sm_state = 2026;
    const size_t n = 100000;
    double *score = NULL;
    double *x = normal_data(n, &score);
    map_decode_ws *ws = map_decode_ws_new(n, 2, 1, 4096);
    MAP_CHECK(x && score && ws, "allocation");
    if (!x || !score || !ws)
        goto done;
    const map_matrix X = {n, 2, 2, x, NULL};
    map_error err;
    MAP_CHECK(map_decode_prepare(ws, &X, score, NULL, &err) == MAP_OK, "%s", err.msg);
    double mean[2] = {0, 0};
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < 2; i++)
            mean[i] += x[2 * j + i] / (double)n;
    static const size_t ks[] = {1, 2, 3, 4, 8, 16, 32, 100, 1000};
    double prev = -1.0;
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        const size_t k = ks[t];
        double level[2], kl;
        map_decode_best(ws, k, level, &kl);
        const double bound = log((double)k) - (double)(k - 1) / (double)k;
        MAP_CHECK(kl <= bound + 1e-12, "k %zu: KL %.12g above the bound %.12g", k, kl, bound);
        /* no ties: the discrete KL approaches the bound while k ≪ n */
        if (k <= 32)
            MAP_CHECK(kl >= bound - 2e-3 * (1.0 + bound), "k %zu: KL %.6g far below %.6g", k, kl,
                      bound);
        MAP_CHECK(level[0] > prev, "best-of-k level increases with k");
        prev = level[0];
        if (k == 1) {
            MAP_CHECK_CLOSE(level[0], mean[0], 1e-12, "k = 1: the mean");
            MAP_CHECK_CLOSE(level[1], mean[1], 1e-12, "k = 1: the mean");
            MAP_CHECK(fabs(kl) < 1e-12, "k = 1: KL 0 (%.3g)", kl);
        }
        /* E[max of k normals] for k = 2 is 1/√π */
        if (k == 2)
            MAP_CHECK(fabs(level[0] - 1.0 / sqrt(M_PI)) < 0.01, "E max of 2 normals: %.5f",
                      level[0]);
    }
    /* Large k: best-of-k tends to the top sample. */
    size_t top = 0;
    for (size_t j = 1; j < n; j++)
        if (score[j] > score[top])
            top = j;
    double lim[2], kllim, big[2], klbig;
    map_decode_best(ws, 0, lim, &kllim);
    MAP_CHECK(lim[0] == x[2 * top] && lim[1] == x[2 * top + 1], "limit: the top sample");
    MAP_CHECK_CLOSE(kllim, log((double)n), 1e-14, "limit KL log n");
    map_decode_best(ws, (size_t)1e9, big, &klbig);
    MAP_CHECK(fabs(big[0] - lim[0]) < 1e-3 && fabs(big[1] - lim[1]) < 1e-3,
              "k = 1e9 near the top sample");
    /* SIR with k = 4096 candidates: the tilted levels, up to the O(1/k)
     * bias of self-normalised importance sampling. */
    double w_lv[2] = {0, 0};
    {
        double *w = malloc(n * sizeof *w);
        if (w) {
            map_decode_weights(n, score, NULL, w);
            for (size_t j = 0; j < n; j++)
                for (size_t i = 0; i < 2; i++)
                    w_lv[i] += w[j] * x[2 * j + i];
            free(w);
        }
    }
    double sl[2], sse[2];
    MAP_CHECK(map_decode_sir(ws, 4096, 400, 3, sl, sse, &err) == MAP_OK, "%s", err.msg);
    /* Tilting N(0,1) by exp(1.3 a) gives N(1.3, 1): level of a 1.3, of b 0.78. */
    for (size_t i = 0; i < 2; i++)
        MAP_CHECK(fabs(sl[i] - w_lv[i]) < 5 * sse[i] + 0.01, "sir k = 4096: %.5f vs tilted %.5f",
                  sl[i], w_lv[i]);
    MAP_CHECK(fabs(w_lv[0] - 1.3) < 0.03 && fabs(w_lv[1] - 0.78) < 0.03, "tilted levels %.4f %.4f",
              w_lv[0], w_lv[1]);
done:
    map_decode_ws_free(ws);
    free(x);
    free(score);
}

/* Weights against a long-double computation; invariance to an offset of
 * 1e6 in the scores (log-sum-exp); per prompt each prompt sums to 1/K. */
static void test_weights(void)
{
    double w[TN], w2[TN], s2[TN];
    map_decode_weights(TN, TS, NULL, w);
    long double z = 0;
    for (size_t j = 0; j < TN; j++)
        z += expl((long double)TS[j]);
    for (size_t j = 0; j < TN; j++) {
        MAP_CHECK_CLOSE(w[j], (double)(expl((long double)TS[j]) / z), 1e-15, "weight");
        s2[j] = TS[j] + 1e6;
    }
    map_decode_weights(TN, s2, NULL, w2);
    for (size_t j = 0; j < TN; j++)
        MAP_CHECK_CLOSE(w2[j], w[j], 1e-9, "offset 1e6: no overflow");
    const map_groups grp = {3, T_START, T_ORDER};
    map_decode_weights(TN, TS, &grp, w);
    for (size_t g = 0; g < 3; g++) {
        double sum = 0;
        long double zg = 0;
        for (size_t t = T_START[g]; t < T_START[g + 1]; t++) {
            sum += w[T_ORDER[t]];
            zg += expl((long double)TS[T_ORDER[t]]);
        }
        MAP_CHECK_CLOSE(sum, 1.0 / 3.0, 1e-15, "prompt sums to 1/K");
        for (size_t t = T_START[g]; t < T_START[g + 1]; t++)
            MAP_CHECK_CLOSE(w[T_ORDER[t]], (double)(expl((long double)TS[T_ORDER[t]]) / zg / 3),
                            1e-15, "per-prompt weight");
    }
    /* scores from lambda */
    const map_matrix X = {TN, TM, TM, TX, NULL};
    const size_t cols[2] = {1, 0};
    const double lam[2] = {2.0, -0.5};
    double sc[TN];
    map_decode_scores(&X, 2, cols, lam, sc);
    for (size_t j = 0; j < TN; j++)
        MAP_CHECK(sc[j] == 2.0 * TX[j * TM + 1] + -0.5 * TX[j * TM], "score");
}

/* Selections per prompt: best is the prompt's top score (first among
 * ties); sir's frequencies over many seeds match the within-prompt softmax;
 * extremes are the top and bottom scores. */
static void test_select(void)
{
    const map_groups grp = {3, T_START, T_ORDER};
    map_decode_ws *ws = tiny_ws(&grp);
    if (!ws)
        return;
    size_t ch[3], hi[3], lo[3];
    map_decode_select(ws, MAP_DECODE_BEST, 1, ch);
    map_decode_extremes(ws, hi, lo);
    for (size_t g = 0; g < 3; g++) {
        size_t best = T_ORDER[T_START[g]], worst = best;
        for (size_t t = T_START[g]; t < T_START[g + 1]; t++) {
            const size_t j = T_ORDER[t];
            if (TS[j] > TS[best])
                best = j;
            if (TS[j] < TS[worst])
                worst = j;
        }
        MAP_CHECK(ch[g] == best && hi[g] == best && lo[g] == worst, "prompt %zu: %zu %zu %zu", g,
                  ch[g], hi[g], lo[g]);
    }
    /* prompt 0 = rows {0, 3, 5} with scores 0.5, 0.5, 3.0 */
    size_t count[TN] = {0};
    const size_t S = 20000;
    for (size_t s = 0; s < S; s++) {
        map_decode_select(ws, MAP_DECODE_SIR, s + 1, ch);
        count[ch[0]]++;
        MAP_CHECK(ch[1] == 1, "singleton prompt keeps its sample");
    }
    const double z = 2 * exp(0.5) + exp(3.0);
    const size_t rows[3] = {0, 3, 5};
    for (size_t t = 0; t < 3; t++) {
        const double p = exp(TS[rows[t]]) / z, f = (double)count[rows[t]] / S;
        MAP_CHECK(fabs(f - p) < 5 * sqrt(p * (1 - p) / S), "sir frequency %.4f vs %.4f", f, p);
    }
    map_decode_ws_free(ws);
}

/* Rewards near ±DBL_MAX: SIR's weighted means and running mean stay finite
 * (convex updates, halves; the estimate's sd here is about 2e306, and its
 * squares overflow, so se may be inf), and best-of-1's KL is exactly 0. */
static void test_extreme(void)
{
    static const double x[4] = {-1.7e308, 1.7e308, 0.0, 1.0};
    static const double score[4] = {0.0, 0.0, 0.0, 0.0};
    map_decode_ws *ws = map_decode_ws_new(4, 1, 1, 8);
    MAP_CHECK(ws != NULL, "workspace");
    if (!ws)
        return;
    const map_matrix X = {4, 1, 1, x, NULL};
    map_error err;
    MAP_CHECK(map_decode_prepare(ws, &X, score, NULL, &err) == MAP_OK, "%s", err.msg);
    double level = NAN, se = NAN, kl = NAN;
    MAP_CHECK(map_decode_sir(ws, 3, 2000, 5, &level, &se, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(isfinite(level) && se > 0, "sir level %g, se %g", level, se);
    MAP_CHECK(fabs(level - 0.25) <= 1e307, "sir level %g within 5 sd of 0.25", level);
    map_decode_best(ws, 1, &level, &kl);
    MAP_CHECK(kl == 0.0 && isfinite(level), "best-of-1: KL %g, level %g", kl, level);
    map_decode_ws_free(ws);
}

int main(void)
{
    MAP_RUN(test_best_brute);
    MAP_RUN(test_best_simulation);
    MAP_RUN(test_sir);
    MAP_RUN(test_kl_bound_and_limits);
    MAP_RUN(test_weights);
    MAP_RUN(test_select);
    MAP_RUN(test_extreme);
    return map_test_finish();
}
