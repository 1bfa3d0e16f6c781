/* map_output.h — render/'s renderings of command results, shared by the
 * CLI and the HTTP service: aligned human tables written to a stream
 * (map_out_text.c); the JSON documents the CLI prints with --json, returned
 * as strings, with the JSON object of one table row, the HTTP service's
 * histogram document (map_json_histogram, written with stdio so that whole
 * numbers print without ".0") and the copy of a memory stream's text
 * (map_out_json.c, the only file of render/ that touches jansson); the CSV /
 * JSON table writer (map_out_table.c); the tables of weights, decode and
 * select (map_out_decode.c); what they share is in map_out_common.c. JSON
 * numbers are written with 17 significant digits so they read back exactly;
 * non-finite numbers become null; strings that are not valid UTF-8 have the
 * bad bytes replaced by U+FFFD. Field names are stable (documented in the
 * CLI's --help; the histogram's in server/openapi.json).
 */
#ifndef MAP_OUTPUT_H
#define MAP_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "map_app.h"
#include "map_decode_app.h"
#include "map_histogram.h"
#include "map_store.h"

/* Unix time → "YYYY-MM-DDTHH:MM:SSZ" (UTC) in buf; "" for t == 0. */
void map_format_time(int64_t t, char buf[32]);

/* The name of the palette value at problem index pidx of rep (borrowed from
 * rep), or "?" when no item has that index. */
const char *map_out_value_name(const map_solve_report *rep, size_t pidx);

/* The summary statistics of a describe report after n, in their order:
 * their field names, and their values for s (written to v). */
#define MAP_OUT_NSTATS 9
extern const char *const map_out_stat_names[MAP_OUT_NSTATS];
void map_out_stats(const map_value_summary *s, double v[MAP_OUT_NSTATS]);

/* The text written to an open_memstream stream (buf, len bytes; closed
 * first): a NUL-terminated copy that map_free owns, or NULL when out of
 * memory. Frees buf either way (open_memstream's buffer comes from malloc,
 * not map_malloc). Defined in map_out_json.c. */
char *map_memstream_take(char *buf, size_t len);

/* Each map_json_* returns a new NUL-terminated JSON text ending in a newline
 * (free with map_free), or NULL when out of memory. */

/* {"name","n","m","values":[...],"source","hash","same_content_as","replaced","precision"} */
char *map_json_ingest(const map_ingest_report *rep);

/* [{"name","n","m","values","source","hash","created","prompt_column","text_columns",
 *   "precision"}, ...] with precision "double" or "single" */
char *map_json_datasets(const map_dataset_info *info, size_t count);

/* {"dataset","n","values":[{"name","n","mean","sd","min","q10","q25","q50","q75","q90","max"}]} */
char *map_json_describe(const char *dataset, size_t n, const map_value_summary *sum, size_t m);

/* map_json_describe with "precision" ("double" or "single") after "n". */
char *map_json_describe_prec(const char *dataset, size_t n, map_precision precision,
                             const map_value_summary *sum, size_t m);

/* One object: dataset, n, status, values [{name, spec, target, lambda, level,
 * constant}], levels {value: level for every dataset value}, kl, ess,
 * max_weight, dual, kkt, gap, violation, condition, iterations, margin,
 * normalize, prompts, singleton_prompts, method, ill_conditioned, collinear
 * [{values [a, b], slope, intercept}];
 * certificate {direction {value: d_i}, gap} when infeasible; boundary_values
 * [names with d_i > 0] when boundary; sensitivity {shadow_prices {value: λ},
 * free [names], dlambda_dc {value: {value: dλ/dc}}, condition}, bootstrap
 * {replicates, used, excluded, seed, lambda {value: stat}, levels {value:
 * stat}} with stat {estimate, mean, se, lo, hi}, holdout {fraction, seed,
 * n_train, n_test, prompts_train, prompts_test, status, kl_train, kl_test,
 * ess_test, levels {value: {train, test}}} when the report has them. */
char *map_json_solve(const map_solve_report *rep);

/* map_json_solve and map_json_adjust end with warnings [{code, detail}] when
 * the solve report has warnings (map_warning); without any the key is
 * absent. */

/* One object: dataset, n, verdict ("attainable", "boundary", "infeasible"),
 * margin, values [{name, spec, target, constant}]; certificate {direction
 * {value: d_i}, gap} when infeasible; boundary_values [names with d_i > 0]
 * when boundary; normalize, prompts, singleton_prompts. */
char *map_json_feasible(const map_feasible_report *rep);

/* One object: dataset, n, mode, rho (ray only), inset, unchanged,
 * requested_margin, status, values [{name, spec, requested, adjusted,
 * target, lambda, level, constant}], levels {value: level}, and the solve
 * diagnostics as in map_json_solve: kl, ess, max_weight, dual, kkt, gap,
 * violation, condition, iterations, margin (of the palette solved), and the
 * further fields of map_json_solve. */
char *map_json_adjust(const map_adjust_report *rep);

/* One compact object (the HTTP service's histogram): dataset, value, bins,
 * edges [bins + 1], reference [bins], tilted [bins] or null, status, lambda
 * {value: λ}. edges, reference and tilted are written as printf's %.17g
 * writes them (a whole number without ".0"). */
char *map_json_histogram(const map_histogram_report *h);

/* One table row as a compact JSON object {names[c]: cells[c], c < ncols}
 * (numbers with 17 significant digits, non-finite numbers and
 * MAP_CELL_EMPTY as null; no newline). A new string (free with map_free), or
 * NULL when out of memory. */
char *map_json_row(const char *const *names, const map_cell *cells, size_t ncols);

/* Human renderings (aligned columns, units) written to out. Return MAP_OK,
 * or MAP_ENOMEM (nothing or part of the table written). */
int map_print_datasets(FILE *out, const map_dataset_info *info, size_t count);
/* (After the table, one line naming the single-precision datasets, if any.) */
int map_print_describe(FILE *out, const map_value_summary *sum, size_t m);
int map_print_solve(FILE *out, const map_solve_report *rep);
int map_print_feasible(FILE *out, const map_feasible_report *rep);
int map_print_adjust(FILE *out, const map_adjust_report *rep);

/* The solve report's warnings, one line each: "mapsolve: warning: DETAIL",
 * then (hint not NULL) "mapsolve: note: HINT" once: what the front end
 * offers to check them, e.g. a hold-out option. Nothing when there are none. */
void map_print_warnings(FILE *out, const map_solve_report *rep, const char *hint);

/* ---- tables (frontier, region) ----------------------------------------------
 *
 * A writer of one table to a stream: CSV through the project's CSV writer
 * (map_csv_write.h: a header row of the column names, then one row per row,
 * numbers with 17 significant digits, +inf as "inf", empty cells for NaN and
 * MAP_CELL_EMPTY), or with json an array of objects keyed by the column
 * names, one object per row (numbers with 17 significant digits, non-finite
 * and empty cells as null). Rows are written as they come. */
typedef struct map_table_writer map_table_writer;

/* A writer to out (borrowed, never closed): json 0 CSV, 1 a JSON array of
 * objects, 2 JSON Lines (one object per line, no enclosing array). NULL when
 * out of memory. Free with map_table_writer_free (NULL is a no-op). */
map_table_writer *map_table_writer_new(FILE *out, int json);
void map_table_writer_free(map_table_writer *w);

/* A sink (map_app.h) that feeds w. */
map_table_sink map_table_writer_sink(map_table_writer *w);

/* Ends the table (JSON: closes the array, "[]" when no header or row came)
 * and flushes. MAP_OK, or MAP_ENOMEM with "cannot write ...: reason" in err
 * when a write failed. */
int map_table_writer_finish(map_table_writer *w, map_error *err);

/* ---- weights, decode, select (map_out_decode.c) ------------------------------
 *
 * Each writes its table to sink: the header, then the rows; returns MAP_OK or
 * the sink's failure. The report's solve must be optimal. */

/* Columns row (1-based), prompt (empty without a prompt column), score
 * (λᵀr), weight; one row per sample in dataset order. */
int map_weights_table(const map_weights_report *rep, const map_table_sink *sink, map_error *err);

/* Columns method, k ("inf" for the limit row), level_<v> for every value,
 * se_<v> for every value, kl (empty for sir at finite k), reaches (1 when
 * every palette value reaches its threshold, else 0), prompts_below_k. */
int map_decode_table(const map_decode_report *rep, const map_table_sink *sink, map_error *err);

/* One line per method run (sir first): the smallest listed k whose levels
 * reach every target to within 10% of the way from the reference level, or
 * that none does; each line starts "mapsolve: ". */
void map_print_decode_summary(FILE *out, const map_decode_report *rep);

/* One kept sample per prompt: columns prompt, each text column, each value,
 * score; with pairs: prompt, chosen, rejected, score_chosen, score_rejected
 * (the texts of the chosen text column). */
int map_select_table(const map_select_report *rep, const map_table_sink *sink, map_error *err);

#endif
