/* map_decode.h — what a solved palette's λ does at decode time, when one of
 * k candidates drawn from the reference distribution is kept: the tilted
 * sample weights themselves, the exact expected levels (and KL) of
 * best-of-k, Monte Carlo estimates with standard errors for
 * sampling-importance-resampling (one of k kept with probability ∝
 * exp(score)), and one kept sample (or a best/worst pair) per prompt.
 *
 * Everything works on the empirical reference: n samples, each of mass 1/n
 * (globally) or, under per-prompt normalisation (map_groups), prompts of
 * mass 1/K each whose n_g samples share it evenly. A candidate is a draw
 * from that distribution (globally: from all samples; per prompt: from the
 * prompt's own samples, with replacement, so a prompt with fewer than k
 * samples still gives k candidates). Scores s_j = λᵀr_j come from the
 * caller; all arithmetic is in double with log-sum-exp. The workspace is
 * sized once; nothing is allocated per k or per replicate.
 */
#ifndef MAP_DECODE_H
#define MAP_DECODE_H

#include <stddef.h>

#include "map_common.h"
#include "map_dataset.h"
#include "map_solver.h"

/* How one of the k candidates is kept. */
typedef enum map_decode_method {
    MAP_DECODE_BEST = 0, /* the highest score (ties: uniformly among the tied) */
    MAP_DECODE_SIR = 1   /* one drawn with probability ∝ exp(score) */
} map_decode_method;

/* "best", "sir". */
const char *map_decode_method_name(map_decode_method m);

/* Parses "best" or "sir"; 0 on success, −1 otherwise (*m unchanged). */
int map_decode_method_parse(const char *text, map_decode_method *m);

/* score[j] = Σ_i lambda[i] · r_{j, cols[i]} for every sample j of X (n
 * entries, output), accumulated in double. k may be 0 (all scores 0). */
void map_decode_scores(const map_matrix *X, size_t k, const size_t *cols, const double *lambda,
                       double *score);

/* The tilted distribution of the scores (output weight, n entries in sample
 * order): globally weight_j = exp(s_j) / Σ_l exp(s_l), summing to 1; with
 * groups (K prompts) weight_j = exp(s_j) / (K Σ_{l in j's prompt} exp(s_l)),
 * so each prompt's weights sum to 1/K. Log-sum-exp: no overflow whatever the
 * scores' magnitude (finite scores). */
void map_decode_weights(size_t n, const double *score, const map_groups *groups, double *weight);

/* ---- workspace ------------------------------------------------------------ */

typedef struct map_decode_ws map_decode_ws;

/* A workspace for n samples of m values with at most ngroups_max prompts
 * (1 for global use) and SIR with up to kmax candidates. NULL when out of
 * memory or a size is 0. Free with map_decode_ws_free (NULL is a no-op). */
map_decode_ws *map_decode_ws_new(size_t n, size_t m, size_t ngroups_max, size_t kmax);
void map_decode_ws_free(map_decode_ws *ws);

/* Prepares ws for X (n × m, borrowed), the scores (n, borrowed) and groups
 * (borrowed; NULL: one distribution over all samples): sorts each prompt's
 * samples by score (ties in sample order), O(n log n). X, score and groups
 * must outlive the calls below. MAP_EDATA when the shapes do not fit ws or
 * a score is not finite. */
int map_decode_prepare(map_decode_ws *ws, const map_matrix *X, const double *score,
                       const map_groups *groups, map_error *err);

/* Prompts (groups) of the prepared data: K, or 1 without groups. */
size_t map_decode_ngroups(const map_decode_ws *ws);

/* Prompts with fewer than k samples (globally: 1 when n < k, else 0). */
size_t map_decode_short_groups(const map_decode_ws *ws, size_t k);

/* ---- best-of-k, exact ------------------------------------------------------ */

/* The distribution of the kept sample under best-of-k (k ≥ 1), exactly:
 * within a prompt of N samples sorted by score, a block of tied scores at
 * ranks a+1 … b is kept with probability (b/N)^k − (a/N)^k (computed as
 * (b/N)^k · −expm1(k log1p(−(b−a)/b)), without cancellation), shared evenly
 * by its samples; prompts weigh 1/K. prob (output, n entries in sample
 * order) sums to 1. O(n). */
void map_decode_best_probs(const map_decode_ws *ws, size_t k, double *prob);

/* The expected level of every value (level, m entries, output) under
 * best-of-k and its KL divergence from the reference (*kl, nats; per prompt
 * the average of the prompts' KLs), exact on the empirical distribution.
 * k = 0 stands for the limit k → ∞: the top-scoring samples of each prompt
 * (ties evenly), KL = mean of log(N_g / tied_g). O(n·m). */
void map_decode_best(map_decode_ws *ws, size_t k, double *level, double *kl);

/* ---- SIR, Monte Carlo ------------------------------------------------------- */

/* Estimates the expected level of every value when one of k candidates
 * (1 ≤ k ≤ kmax) is kept with probability ∝ exp(score): R ≥ 1 replicates,
 * each drawing a prompt uniformly (per prompt) and k candidates uniformly
 * with replacement from its samples, and scoring the kept level's exact
 * expectation given those candidates, Σ_c e^{s_c} r_c / Σ_c e^{s_c} (a
 * Rao-Blackwellised draw: the same mean as drawing one, a smaller variance).
 * level (m, output): the mean over replicates; se (m, output): their
 * standard deviation / √R (NaN when R = 1). The generator is GSL's mt19937
 * set to seed at the start of each call, so a k's estimate does not depend
 * on what was computed before. MAP_EDATA for k or R out of range. */
int map_decode_sir(map_decode_ws *ws, size_t k, size_t R, unsigned long seed, double *level,
                   double *se, map_error *err);

/* ---- one sample per prompt -------------------------------------------------- */

/* One kept sample per prompt (chosen, ngroups entries, output: sample
 * indices): best keeps the highest score (the first in sample order among
 * ties); sir draws one of the prompt's samples with probability ∝
 * exp(score) (GSL mt19937 set to seed). Prompt order is the groups' order. */
void map_decode_select(map_decode_ws *ws, map_decode_method method, unsigned long seed,
                       size_t *chosen);

/* For each prompt, its highest-scoring and its lowest-scoring sample (hi,
 * lo: ngroups entries, output; the first in sample order among ties). For a
 * prompt with one sample, or whose samples all score the same, hi[g] ==
 * lo[g] or their scores are equal: no preference. */
void map_decode_extremes(const map_decode_ws *ws, size_t *hi, size_t *lo);

#endif
