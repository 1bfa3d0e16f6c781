/* gen_synthetic.c — writes datasets/synthetic.csv: correlated, skewed rewards
 * for four values with a prompt key and a free-text response, as CSV on
 * standard output (RFC 4180 quoting, numbers with 17 significant digits).
 *
 * Usage: gen_synthetic [ROWS [SEED]]   (defaults 3000 and 20250101)
 *
 * Model (datasets/README.md): prompts get groups of 1 to about 10 samples
 * (a few singletons). Each sample has a latent Gaussian z = u + e in R^4
 * with correlation R, where u (variance 0.25) is shared by the prompt's
 * samples and e (variance 0.75) is the sample's own. The rewards are skewed
 * transforms of z:
 *   helpful  = exp(0.5 z1) - 1                      (lognormal, right tail)
 *   harmless = 1 - exp(-0.7 z2)                     (left tail)
 *   humor    = 0.8 z3 + Gamma(0.6, 1.2) - 0.72      (gamma-mixed, right tail)
 *   concise  = 1 / (1 + exp(-(1.3 z4 + 0.4)))       (in (0,1), skewed to 1)
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define NV 4
#define DEFAULT_ROWS 3000L
#define DEFAULT_SEED 20250101UL

static const char *const value_names[NV] = {"helpful", "harmless", "humor", "concise"};

/* Latent correlation: helpful and harmless pull against each other. */
static const double corr[NV][NV] = {
    {1.00, -0.45, 0.25, -0.30},
    {-0.45, 1.00, -0.15, 0.20},
    {0.25, -0.15, 1.00, 0.10},
    {-0.30, 0.20, 0.10, 1.00},
};

static const char *const words[] = {
    "sure",  "here",    "is",     "a",      "short", "answer", "to",     "your",  "question",
    "well",  "it",      "depends", "on",    "the",   "context", "maybe", "try",   "this",
    "first", "then",    "check",  "again",  "safety", "matters", "joke", "time",  "honestly",
    "I",     "think",   "that",   "works",  "best",  "for",    "most",   "people", "really",
};
#define NWORDS (sizeof words / sizeof words[0])

static int parse_ulong(const char *s, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    const unsigned long v = strtoul(s, &end, 10);
    if (!*s || *s == '-' || *end || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

/* Writes s as one CSV field, quoted when it holds a comma, quote or line end. */
static void put_field(const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            putchar('"');
        putchar(*p);
    }
    putchar('"');
}

/* Builds a response of a few words with some commas, quotes and line breaks. */
static void make_response(gsl_rng *r, char *buf, size_t cap)
{
    size_t o = 0;
    const unsigned long nw = 3 + gsl_rng_uniform_int(r, 12);
    const int quoted = gsl_rng_uniform(r) < 0.15;
    const int newline = gsl_rng_uniform(r) < 0.05;
    const unsigned long qpos = gsl_rng_uniform_int(r, nw);
    const unsigned long npos = 1 + gsl_rng_uniform_int(r, nw);
    for (unsigned long i = 0; i < nw && o + 32 < cap; i++) {
        const char *w = words[gsl_rng_uniform_int(r, NWORDS)];
        const char *sep = i == 0 ? "" : (newline && i == npos) ? "\n" : " ";
        if (quoted && i == qpos)
            o += (size_t)snprintf(buf + o, cap - o, "%s\"%s\"", sep, w);
        else
            o += (size_t)snprintf(buf + o, cap - o, "%s%s", sep, w);
        if (gsl_rng_uniform(r) < 0.08 && i + 1 < nw)
            o += (size_t)snprintf(buf + o, cap - o, ",");
    }
    if (o + 2 < cap) {
        buf[o++] = gsl_rng_uniform(r) < 0.5 ? '.' : '!';
        buf[o] = '\0';
    }
}

int main(int argc, char **argv)
{
    unsigned long rows = DEFAULT_ROWS, seed = DEFAULT_SEED;
    if (argc > 3 || (argc > 1 && (parse_ulong(argv[1], &rows) || rows == 0 || rows > 100000000)) ||
        (argc > 2 && parse_ulong(argv[2], &seed))) {
        fprintf(stderr, "usage: gen_synthetic [ROWS [SEED]]\n");
        return 2;
    }
    gsl_set_error_handler_off();

    gsl_matrix *chol = gsl_matrix_alloc(NV, NV);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!chol || !r) {
        fprintf(stderr, "gen_synthetic: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < NV; i++)
        for (size_t j = 0; j < NV; j++)
            gsl_matrix_set(chol, i, j, corr[i][j]);
    if (gsl_linalg_cholesky_decomp1(chol) != GSL_SUCCESS) {
        fprintf(stderr, "gen_synthetic: correlation matrix is not positive definite\n");
        return 1;
    }
    gsl_rng_set(r, seed);

    fputs("prompt,response", stdout);
    for (size_t v = 0; v < NV; v++)
        printf(",%s", value_names[v]);
    putchar('\n');

    unsigned long done = 0, prompt = 0;
    char response[512];
    while (done < rows) {
        prompt++;
        /* Group sizes: 8% singletons, otherwise 2 + Poisson(2.5). */
        unsigned long k = gsl_rng_uniform(r) < 0.08 ? 1 : 2 + gsl_ran_poisson(r, 2.5);
        if (k > rows - done)
            k = rows - done;
        double u[NV], g[NV];
        for (size_t i = 0; i < NV; i++)
            g[i] = gsl_ran_gaussian(r, 0.5);
        for (size_t i = 0; i < NV; i++) { /* u = L g: prompt effect, variance 0.25 */
            u[i] = 0;
            for (size_t j = 0; j <= i; j++)
                u[i] += gsl_matrix_get(chol, i, j) * g[j];
        }
        for (unsigned long s = 0; s < k; s++) {
            double e[NV], z[NV];
            for (size_t i = 0; i < NV; i++)
                e[i] = gsl_ran_gaussian(r, sqrt(0.75));
            for (size_t i = 0; i < NV; i++) {
                z[i] = u[i];
                for (size_t j = 0; j <= i; j++)
                    z[i] += gsl_matrix_get(chol, i, j) * e[j];
            }
            double x[NV];
            x[0] = exp(0.5 * z[0]) - 1.0;
            x[1] = 1.0 - exp(-0.7 * z[1]);
            x[2] = 0.8 * z[2] + gsl_ran_gamma(r, 0.6, 1.2) - 0.72;
            x[3] = 1.0 / (1.0 + exp(-(1.3 * z[3] + 0.4)));
            make_response(r, response, sizeof response);

            printf("p%04lu,", prompt);
            put_field(response);
            for (size_t v = 0; v < NV; v++)
                printf(",%.17g", x[v]);
            putchar('\n');
        }
        done += k;
    }

    gsl_rng_free(r);
    gsl_matrix_free(chol);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "gen_synthetic: write error\n");
        return 1;
    }
    return 0;
}
