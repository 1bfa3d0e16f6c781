/* test_decode_app.c — weights, decode and select (map_decode_app.h) on the
 * MAP paper's samples and the repository's grouped synthetic data, checked
 * against computations done here: weighted means against solve's levels,
 * per-prompt sums, k = 1 against the (per-prompt) means computed from the
 * rows, sir's limit against the solve, the selections and pairs against
 * each prompt's own maximum and minimum score, the warnings of a palette
 * resting on a handful of samples, and the request errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_decode_app.h"
#include "map_test.h"
#include "map_test_app.h"
#include "map_test_data.h"

static map_dataset *read_opt(void)
{
    static const char *const text[1] = {"generated"};
    char path[4096];
    map_ingest_opts o = {0};
    o.path = map_test_data_path(path, sizeof path, "map-opt1.3b-hh.csv");
    o.prompt_column = "prompt";
    o.text_columns = text;
    o.ntext = 1;
    map_dataset *ds = NULL;
    map_error err;
    MAP_CHECK(map_ingest_read(&o, &ds, &err) == MAP_OK, "%s", err.msg);
    if (ds)
        ds->name = map_strdup("opt");
    return ds;
}

static map_dataset *read_synthetic(void)
{
    static const char *const text[1] = {"response"};
    map_ingest_opts o = {0};
    o.path = MAP_SOURCE_ROOT "/datasets/synthetic.csv";
    o.prompt_column = "prompt";
    o.text_columns = text;
    o.ntext = 1;
    map_dataset *ds = NULL;
    map_error err;
    MAP_CHECK(map_ingest_read(&o, &ds, &err) == MAP_OK, "%s", err.msg);
    if (ds)
        ds->name = map_strdup("syn");
    return ds;
}

/* Group id of every row by prompt string (first appearance order), by a
 * quadratic scan: independent of map_dataset_group_rows. */
static size_t *group_ids(const map_dataset *ds, size_t *K)
{
    size_t *gid = malloc(ds->n * sizeof *gid), *first = malloc(ds->n * sizeof *first);
    *K = 0;
    for (size_t j = 0; gid && first && j < ds->n; j++) {
        size_t g = 0;
        while (g < *K && strcmp(ds->prompts[first[g]], ds->prompts[j]) != 0)
            g++;
        if (g == *K)
            first[(*K)++] = j;
        gid[j] = g;
    }
    free(first);
    return gid;
}

/* λᵀr of row j under the solve's λ, from the palette items. */
static double score_of(const map_dataset *ds, const map_solve_report *s, size_t j)
{
    double sc = 0.0;
    for (size_t i = 0; i < s->k; i++)
        if (s->items[i].pidx >= 0)
            sc += s->result.lambda[s->items[i].pidx] *
                  ds->x[j * ds->m + s->palette->items[i].col];
    return sc;
}

static void check_weights(const map_dataset *ds, const char *palette, map_normalize norm)
{
    const map_weights_request req = {palette, norm};
    map_weights_report *rep = NULL;
    map_error err;
    MAP_CHECK(map_app_weights(ds, &req, &rep, &err) == MAP_OK, "%s", err.msg);
    if (!rep)
        return;
    MAP_CHECK(map_app_solve_code(rep->solve) == MAP_OK && rep->weight, "optimal: %s", palette);
    if (rep->weight) {
        const size_t n = ds->n, m = ds->m;
        double total = 0.0;
        for (size_t i = 0; i < m; i++) {
            long double lv = 0;
            for (size_t j = 0; j < n; j++)
                lv += (long double)rep->weight[j] * ds->x[j * m + i];
            MAP_CHECK_CLOSE((double)lv, rep->solve->levels[i], 1e-12,
                            "weighted mean equals solve's level");
        }
        for (size_t j = 0; j < n; j++) {
            total += rep->weight[j];
            MAP_CHECK(fabs(rep->score[j] - score_of(ds, rep->solve, j)) <=
                          1e-12 * fmax(1.0, fabs(rep->score[j])), "score is lambda.r");
        }
        MAP_CHECK_CLOSE(total, 1.0, 1e-12, "weights sum to 1");
        if (norm == MAP_NORMALIZE_PROMPT) {
            size_t K = 0;
            size_t *gid = group_ids(ds, &K);
            double *gs = calloc(K ? K : 1, sizeof *gs);
            for (size_t j = 0; gid && gs && j < n; j++)
                gs[gid[j]] += rep->weight[j];
            for (size_t g = 0; gs && g < K; g++)
                MAP_CHECK_CLOSE(gs[g], 1.0 / (double)K, 1e-12, "each prompt sums to 1/K");
            free(gid);
            free(gs);
        }
    }
    map_weights_report_free(rep);
}

static void test_weights(void)
{
    map_dataset *opt = read_opt(), *syn = read_synthetic();
    if (opt) {
        check_weights(opt, "humor=q70,gpt2-helpful=q60,gpt2-harmless=mean", MAP_NORMALIZE_GLOBAL);
        check_weights(opt, "humor=q99,gpt2-helpful=q99", MAP_NORMALIZE_GLOBAL);
        /* unattained: no weights */
        const map_weights_request bad = {"humor=q100,gpt2-helpful=q99", MAP_NORMALIZE_GLOBAL};
        map_weights_report *rep = NULL;
        map_error err;
        MAP_CHECK(map_app_weights(opt, &bad, &rep, &err) == MAP_OK, "%s", err.msg);
        MAP_CHECK(rep && map_app_solve_code(rep->solve) == MAP_NOT_ATTAINED && !rep->weight &&
                      rep->solve->result.status == MAP_SOLVE_INFEASIBLE,
                  "infeasible: certificate, no weights");
        map_weights_report_free(rep);
    }
    if (syn) {
        check_weights(syn, "helpful=q70,harmless=q60", MAP_NORMALIZE_GLOBAL);
        check_weights(syn, "helpful=q70,harmless=q60", MAP_NORMALIZE_PROMPT);
    }
    map_dataset_free(opt);
    map_dataset_free(syn);
}

/* The warnings: humor=q99,gpt2-helpful=q99 on the OPT samples is optimal
 * with ESS ≈ 3.8 (low_ess and heavy_weight); a mild palette has none; a
 * palette met at λ = 0 has none whatever n. */
static void test_warnings(void)
{
    map_dataset *opt = read_opt();
    if (!opt)
        return;
    map_solve_report *rep = NULL;
    map_error err;
    MAP_CHECK(solve_palette(opt, "humor=q99,gpt2-helpful=q99", NULL, &rep,
                                         &err) == MAP_OK, "%s", err.msg);
    if (rep) {
        MAP_CHECK(rep->result.status == MAP_SOLVE_OPTIMAL, "optimal");
        MAP_CHECK(fabs(rep->result.diag.ess - 3.8) < 0.1, "ESS %.4g", rep->result.diag.ess);
        MAP_CHECK(rep->nwarnings == 2 && strcmp(rep->warnings[0].code, "low_ess") == 0 &&
                      strcmp(rep->warnings[1].code, "heavy_weight") == 0,
                  "low_ess and heavy_weight (%zu)", rep->nwarnings);
        MAP_CHECK(rep->nwarnings && strstr(rep->warnings[0].detail, "3.78"), "detail names the ESS");
        map_solve_report_free(rep);
    }
    static const char *const mild[] = {"humor=q70,gpt2-helpful=q60", "humor=mean",
                                       "humor=q60,gpt2-helpful=q60,gpt2-harmless=q60"};
    for (size_t t = 0; t < 3; t++) {
        rep = NULL;
        MAP_CHECK(solve_palette(opt, mild[t], NULL, &rep, &err) == MAP_OK,
                  "%s", err.msg);
        if (rep) {
            MAP_CHECK(rep->nwarnings == 0, "%s: no warning (ESS %.4g, largest weight %.3g)",
                      mild[t], rep->result.diag.ess, rep->result.diag.max_weight);
            map_solve_report_free(rep);
        }
    }
    /* adjust carries the warnings of its solve */
    map_adjust_opts ao;
    map_adjust_opts_default(&ao);
    map_adjust_report *ar = NULL;
    MAP_CHECK(adjust_palette(opt, "humor=q99,gpt2-helpful=q99", &ao, &ar,
                                     &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(ar && ar->solve->nwarnings >= 1, "adjust warns");
    map_adjust_report_free(ar);
    map_dataset_free(opt);
}

/* Decode rows: k = 1 the (per-prompt) means from the rows, sir's limit the
 * solve's levels, best's limit each prompt's top sample, KL within the
 * bound, prompts below k counted, the smallest reaching k consistent with
 * the rows. */
static void check_decode(const map_dataset *ds, const char *palette, map_normalize norm)
{
    static const size_t ks[] = {1, 2, 4, 8, 1000000};
    map_decode_request req;
    map_decode_request_default(&req);
    req.palette = palette;
    req.ks = ks;
    req.nks = 5;
    req.replicates = 2000;
    req.normalize = norm;
    map_decode_report *rep = NULL;
    map_error err;
    /* k = 10^6 for sir would be 2·10^9 draws: best only for that k. */
    req.sir = 0;
    MAP_CHECK(map_app_decode(ds, &req, &rep, &err) == MAP_OK, "%s", err.msg);
    if (!rep)
        return;
    const size_t n = ds->n, m = ds->m;
    size_t K = 1;
    size_t *gid = norm == MAP_NORMALIZE_PROMPT ? group_ids(ds, &K) : calloc(n, sizeof *gid);
    double *mean = calloc(m, sizeof *mean), *cnt = calloc(K, sizeof *cnt);
    double *top = malloc(K * sizeof *top);
    for (size_t g = 0; top && g < K; g++)
        top[g] = -INFINITY;
    for (size_t j = 0; gid && cnt && top && j < n; j++) {
        cnt[gid[j]] += 1.0;
        top[gid[j]] = fmax(top[gid[j]], score_of(ds, rep->solve, j));
    }
    /* per-prompt top sample levels (ties averaged) */
    double *toplv = calloc(m, sizeof *toplv), *ntop = calloc(K, sizeof *ntop);
    for (size_t j = 0; gid && toplv && ntop && j < n; j++)
        ntop[gid[j]] += score_of(ds, rep->solve, j) == top[gid[j]];
    for (size_t j = 0; gid && mean && toplv && ntop && j < n; j++) {
        const int at_top = score_of(ds, rep->solve, j) == top[gid[j]];
        for (size_t i = 0; i < m; i++) {
            mean[i] += ds->x[j * m + i] / (cnt[gid[j]] * (double)K);
            if (at_top)
                toplv[i] += ds->x[j * m + i] / (ntop[gid[j]] * (double)K);
        }
    }
    MAP_CHECK(map_app_solve_code(rep->solve) == MAP_OK && rep->nrows == 6, "rows %zu",
              rep->nrows);
    for (size_t r = 0; r < rep->nrows && mean && toplv; r++) {
        const map_decode_row *row = &rep->rows[r];
        const double bound = row->k ? log((double)row->k) - (double)(row->k - 1) / (double)row->k
                                    : INFINITY;
        MAP_CHECK(row->kl <= bound + 1e-12 && row->kl >= 0.0, "k %zu: KL %.6g, bound %.6g", row->k,
                  row->kl, bound);
        if (row->k == 1)
            for (size_t i = 0; i < m; i++)
                MAP_CHECK_CLOSE(row->level[i], mean[i], 1e-12, "k = 1: the reference mean");
        if (row->k == 0 || row->k == 1000000)
            for (size_t i = 0; i < m; i++)
                MAP_CHECK(fabs(row->level[i] - toplv[i]) <= (row->k ? 1e-6 : 1e-12) *
                                                                 fmax(1.0, fabs(toplv[i])),
                          "k %zu: the prompts' top samples (%.17g vs %.17g)", row->k,
                          row->level[i], toplv[i]);
        size_t below = 0;
        for (size_t g = 0; g < K && row->k; g++)
            below += cnt[g] < (double)row->k;
        MAP_CHECK(row->short_prompts == below, "prompts below k: %zu vs %zu", row->short_prompts,
                  below);
    }
    map_decode_report_free(rep);
    /* sir: k = 1 estimates the mean, the limit row is the solve */
    static const size_t ks2[] = {1, 4};
    req.ks = ks2;
    req.nks = 2;
    req.best = 0;
    req.sir = 1;
    req.replicates = 20000;
    rep = NULL;
    MAP_CHECK(map_app_decode(ds, &req, &rep, &err) == MAP_OK, "%s", err.msg);
    if (rep && rep->nrows == 3 && mean) {
        for (size_t i = 0; i < m; i++) {
            MAP_CHECK(fabs(rep->rows[0].level[i] - mean[i]) <= 4.5 * rep->rows[0].se[i],
                      "sir k = 1: %.6g vs mean %.6g (se %.2g)", rep->rows[0].level[i], mean[i],
                      rep->rows[0].se[i]);
            MAP_CHECK(rep->rows[2].k == 0 && rep->rows[2].level[i] == rep->solve->levels[i] &&
                          rep->rows[2].se[i] == 0.0, "sir's limit: the solve's levels");
        }
        MAP_CHECK(rep->rows[2].kl == rep->solve->result.diag.kl && isnan(rep->rows[0].kl),
                  "kl: the solve's at the limit, none at finite k");
        MAP_CHECK(rep->rows[2].reaches, "the palette's own levels reach its targets");
        size_t smallest = 0;
        for (size_t r = 0; r < 2; r++)
            if (rep->rows[r].reaches && (!smallest || rep->rows[r].k < smallest))
                smallest = rep->rows[r].k;
        MAP_CHECK(rep->smallest_k[MAP_DECODE_SIR] == smallest && rep->ran[MAP_DECODE_SIR] &&
                      !rep->ran[MAP_DECODE_BEST], "smallest k");
    }
    map_decode_report_free(rep);
    free(gid);
    free(mean);
    free(cnt);
    free(top);
    free(toplv);
    free(ntop);
}

static void test_decode(void)
{
    map_dataset *opt = read_opt(), *syn = read_synthetic();
    if (opt)
        check_decode(opt, "humor=q70,gpt2-helpful=q60,gpt2-harmless=mean", MAP_NORMALIZE_GLOBAL);
    if (syn) {
        check_decode(syn, "helpful=q70,harmless=q60", MAP_NORMALIZE_GLOBAL);
        check_decode(syn, "helpful=q70,harmless=q60", MAP_NORMALIZE_PROMPT);
    }
    /* request errors */
    if (syn) {
        map_decode_request req;
        map_decode_request_default(&req);
        req.palette = "helpful=q70";
        map_decode_report *rep = NULL;
        map_error err;
        MAP_CHECK(map_app_decode(syn, &req, &rep, &err) == MAP_EUSAGE && !rep, "no ks");
        const size_t bad[2] = {2, 0};
        req.ks = bad;
        req.nks = 2;
        MAP_CHECK(map_app_decode(syn, &req, &rep, &err) == MAP_EUSAGE && strstr(err.msg, "k"),
                  "k = 0: %s", err.msg);
        req.nks = 1;
        req.replicates = 0;
        MAP_CHECK(map_app_decode(syn, &req, &rep, &err) == MAP_EUSAGE &&
                      strcmp(err.field, "replicates") == 0, "replicates 0: %s", err.msg);
        map_decode_request big = req;
        const size_t bigk[1] = {1000000};
        big.ks = bigk;
        big.replicates = 20000;
        big.sir = 1;
        MAP_CHECK(map_app_decode(syn, &big, &rep, &err) == MAP_EUSAGE && !rep &&
                      strcmp(err.field, "replicates") == 0 && strstr(err.msg, "2e+10"),
                  "2e10 draws refused: %s", err.msg);
        req.replicates = 10;
        req.best = req.sir = 0;
        MAP_CHECK(map_app_decode(syn, &req, &rep, &err) == MAP_EUSAGE, "no method");
    }
    map_dataset_free(opt);
    map_dataset_free(syn);
}

/* select and pairs per prompt against the prompts' own scores. */
static void test_select(void)
{
    map_dataset *syn = read_synthetic();
    if (!syn)
        return;
    const size_t n = syn->n;
    size_t K = 0;
    size_t *gid = group_ids(syn, &K);
    for (int pairs = 0; pairs < 2 && gid; pairs++) {
        map_select_request req = {"helpful=q70,harmless=q60", MAP_DECODE_BEST, 1, pairs, NULL,
                                  MAP_NORMALIZE_GLOBAL};
        map_select_report *rep = NULL;
        map_error err;
        MAP_CHECK(map_app_select(syn, &req, &rep, &err) == MAP_OK, "%s", err.msg);
        if (!rep)
            continue;
        MAP_CHECK(rep->prompts == K, "prompts %zu vs %zu", rep->prompts, K);
        double *hi = malloc(K * sizeof *hi), *lo = malloc(K * sizeof *lo);
        size_t *cnt = calloc(K, sizeof *cnt);
        for (size_t g = 0; g < K; g++) {
            hi[g] = -INFINITY;
            lo[g] = INFINITY;
        }
        for (size_t j = 0; j < n; j++) {
            const double s = score_of(syn, rep->solve, j);
            hi[gid[j]] = fmax(hi[gid[j]], s);
            lo[gid[j]] = fmin(lo[gid[j]], s);
            cnt[gid[j]]++;
        }
        size_t singles = 0, with_pref = 0;
        for (size_t g = 0; g < K; g++) {
            singles += cnt[g] == 1;
            with_pref += cnt[g] > 1 && hi[g] > lo[g];
        }
        if (!pairs) {
            MAP_CHECK(rep->nrecords == K, "one record per prompt");
            for (size_t r = 0; r < rep->nrecords; r++) {
                const size_t j = rep->chosen[r];
                MAP_CHECK(gid[j] == r, "records in prompt order");
                MAP_CHECK(fabs(score_of(syn, rep->solve, j) - hi[gid[j]]) <= 1e-12,
                          "kept: the prompt's highest score");
            }
        } else {
            MAP_CHECK(rep->singletons == singles && rep->nrecords == with_pref &&
                          rep->nrecords + rep->singletons + rep->ties == K,
                      "pairs %zu, singletons %zu (%zu), ties %zu", rep->nrecords,
                      rep->singletons, singles, rep->ties);
            size_t last = 0;
            for (size_t r = 0; r < rep->nrecords; r++) {
                const size_t a = rep->chosen[r], b = rep->rejected[r];
                MAP_CHECK(gid[a] == gid[b] && (r == 0 || gid[a] > last), "same prompt, in order");
                last = gid[a];
                MAP_CHECK(fabs(score_of(syn, rep->solve, a) - hi[gid[a]]) <= 1e-12 &&
                              fabs(score_of(syn, rep->solve, b) - lo[gid[b]]) <= 1e-12,
                          "chosen max, rejected min");
            }
        }
        free(hi);
        free(lo);
        free(cnt);
        map_select_report_free(rep);
    }
    /* sir: each kept sample belongs to its prompt; the seed reproduces. */
    map_select_request req = {"helpful=q70,harmless=q60", MAP_DECODE_SIR, 5, 0, NULL,
                              MAP_NORMALIZE_GLOBAL};
    map_select_report *a = NULL, *b = NULL;
    map_error err;
    MAP_CHECK(map_app_select(syn, &req, &a, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(map_app_select(syn, &req, &b, &err) == MAP_OK, "%s", err.msg);
    if (a && b && gid) {
        size_t same = 1;
        for (size_t r = 0; r < a->nrecords; r++) {
            MAP_CHECK(gid[a->chosen[r]] == r, "sir keeps a sample of its prompt");
            same = same && a->chosen[r] == b->chosen[r];
        }
        MAP_CHECK(same, "the same seed, the same selection");
    }
    map_select_report_free(a);
    map_select_report_free(b);
    /* errors */
    map_select_report *rep = NULL;
    map_select_request bad = {"helpful=q70", MAP_DECODE_BEST, 1, 1, "nope", MAP_NORMALIZE_GLOBAL};
    MAP_CHECK(map_app_select(syn, &bad, &rep, &err) == MAP_EDATA && strstr(err.msg, "nope") &&
                  strcmp(err.field, "text_column") == 0, "unknown text column: %s", err.msg);
    bad.pairs = 0;
    MAP_CHECK(map_app_select(syn, &bad, &rep, &err) == MAP_EUSAGE, "text_column without pairs");
    map_free(syn->prompt_name);
    syn->prompt_name = NULL;
    bad.text_column = NULL;
    MAP_CHECK(map_app_select(syn, &bad, &rep, &err) == MAP_EDATA &&
                  strstr(err.msg, "no prompt column"), "no prompt column: %s", err.msg);
    MAP_CHECK(rep == NULL, "no report on error");
    free(gid);
    map_dataset_free(syn);
}

int main(void)
{
    MAP_RUN(test_weights);
    MAP_RUN(test_warnings);
    MAP_RUN(test_decode);
    MAP_RUN(test_select);
    return map_test_finish();
}
