/* fuzz_request.c — fuzz target for the HTTP service's request-body parser
 * (server/map_http_request.c) and the problem documents of its failures
 * (server/map_http_problem.c). The first byte chooses the endpoint (solve,
 * feasible, adjust, frontier, region, sweep, histogram), the rest is the
 * body, not NUL-terminated.
 *
 * Invariants:
 *   - the parser returns 0 or −1 and never reads past the body;
 *   - −1: a non-empty message, a field that is "" or a JSON Pointer
 *     ("/..."), and a problem document for them that is built (valid UTF-8
 *     or not) and ends in "}\n";
 *   - 0: a non-empty dataset; the fields the endpoint requires are present
 *     (palette for solve, feasible, adjust, histogram; values for frontier
 *     and region; value for histogram; exactly one source for sweep); a
 *     palette spec given as an object parses with map_palette_parse or is
 *     refused by it with MAP_EDATA (never anything else); numbers are in
 *     their documented ranges;
 *   - everything allocated is freed (the sanitizer build checks).
 */
#include <math.h>

#include "fuzz_common.h"
#include "map_http_problem.h"
#include "map_http_request.h"
#include "map_palette.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const map_http_kind kind = (map_http_kind)(data[0] % MAP_HTTP_NKINDS);
    /* A copy exactly as long as the body, so a read past it is caught. */
    char *body = malloc(size - 1 ? size - 1 : 1);
    if (!body)
        return 0;
    memcpy(body, data + 1, size - 1);
    map_http_request rq;
    map_http_fail fail;
    const int rc = map_http_request_parse(kind, body, size - 1, &rq, &fail);
    FUZZ_ASSERT(rc == 0 || rc == -1, "rc %d", rc);
    if (rc) {
        FUZZ_ASSERT(fail.msg[0] != '\0', "empty message");
        FUZZ_ASSERT(fail.field[0] == '\0' || fail.field[0] == '/', "field '%s'", fail.field);
        char *doc = map_problem_json(MAP_PROBLEM_BAD_FIELD, fail.msg, fail.field);
        FUZZ_ASSERT(doc != NULL, "no problem document for '%s'", fail.msg);
        const size_t dl = strlen(doc);
        FUZZ_ASSERT(dl >= 2 && doc[dl - 2] == '}' && doc[dl - 1] == '\n', "document '%s'", doc);
        map_free(doc);
    } else {
        FUZZ_ASSERT(rq.dataset && rq.dataset[0], "no dataset");
        const int palette_kind = kind == MAP_HTTP_SOLVE || kind == MAP_HTTP_FEASIBLE ||
                                 kind == MAP_HTTP_ADJUST || kind == MAP_HTTP_HISTOGRAM;
        FUZZ_ASSERT(!palette_kind || rq.palette, "no palette for %s", map_http_kind_name(kind));
        FUZZ_ASSERT(!(kind == MAP_HTTP_FRONTIER || kind == MAP_HTTP_REGION) || rq.nvalues >= 1,
                    "no values");
        FUZZ_ASSERT(kind != MAP_HTTP_HISTOGRAM || (rq.value && rq.bins >= 1), "no value or bins");
        FUZZ_ASSERT(rq.points >= 1 && rq.par.max_iter >= 1 && rq.par.tol > 0.0 && rq.par.tol <= 1.0,
                    "ranges");
        FUZZ_ASSERT(rq.so.ninit <= MAP_MAX_K, "init %zu", rq.so.ninit);
        for (size_t i = 0; i < rq.nkl; i++)
            FUZZ_ASSERT(isfinite(rq.kl[i]) && rq.kl[i] >= 0.0, "kl %g", rq.kl[i]);
        if (kind == MAP_HTTP_SWEEP)
            FUZZ_ASSERT((rq.sweep.source == MAP_SOURCE_GRID) == (rq.grid != NULL) &&
                            (rq.sweep.source == MAP_SOURCE_GRID || rq.sweep.count >= 1),
                        "sweep source");
        if (rq.palette) {
            map_palette *pal = NULL;
            map_error err;
            map_error_clear(&err);
            const int prc = map_palette_parse(rq.palette, &pal, &err);
            FUZZ_ASSERT(prc == MAP_OK || prc == MAP_EDATA, "palette '%s': %d", rq.palette, prc);
            map_palette_free(pal);
        }
    }
    map_http_request_free(&rq);
    free(body);
    return 0;
}
