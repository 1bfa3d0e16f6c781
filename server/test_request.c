/* test_request.c — unit tests of the HTTP request bodies
 * (map_http_request.c) and problem documents (map_http_problem.c):
 * defaults, every kind's fields, a palette object becoming the spec the
 * CLI takes (numbers read back exactly), the offending field as a JSON
 * Pointer (escaped as RFC 6901 says) and the problem document's shape. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "map_http_problem.h"
#include "map_http_request.h"
#include "map_test.h"

static int parse(map_http_kind kind, const char *body, map_http_request *rq, map_http_fail *f)
{
    return map_http_request_parse(kind, body, strlen(body), rq, f);
}

/* The body fails at field with a message containing frag. */
static void refused(map_http_kind kind, const char *body, const char *field, const char *frag)
{
    map_http_request rq;
    map_http_fail f;
    const int rc = parse(kind, body, &rq, &f);
    MAP_CHECK(rc == -1, "%s accepted", body);
    MAP_CHECK(strcmp(f.field, field) == 0, "%s: field '%s', want '%s'", body, f.field, field);
    MAP_CHECK(strstr(f.msg, frag) != NULL, "%s: message '%s' lacks '%s'", body, f.msg, frag);
    /* jansson refuses a duplicate key while parsing: malformed JSON too. */
    const int malformed = strcmp(frag, "malformed JSON") == 0 || strcmp(frag, "duplicate") == 0;
    MAP_CHECK(f.malformed == malformed, "%s: malformed %d, want %d", body, f.malformed, malformed);
    map_http_request_free(&rq);
}

static void test_defaults(void)
{
    map_http_request rq;
    map_http_fail f;
    MAP_CHECK(parse(MAP_HTTP_SOLVE, "{\"dataset\":\"opt\",\"palette\":\"humor=q70\"}", &rq, &f) == 0,
              "%s", f.msg);
    MAP_CHECK(strcmp(rq.dataset, "opt") == 0 && strcmp(rq.palette, "humor=q70") == 0, "strings");
    MAP_CHECK(rq.so.normalize == MAP_NORMALIZE_GLOBAL && rq.so.method == MAP_METHOD_NEWTON &&
                  rq.so.init == NULL && rq.so.bootstrap == 0 && rq.so.seed == 1,
              "solve defaults");
    map_solver_params par;
    map_solver_params_default(&par);
    MAP_CHECK(rq.par.tol == par.tol && rq.par.max_iter == par.max_iter && !rq.fp.want_margin,
              "solver defaults");
    map_http_request_free(&rq);
    MAP_CHECK(parse(MAP_HTTP_REGION, "{\"dataset\":\"d\",\"values\":[\"a\",\"b\"]}", &rq, &f) == 0,
              "%s", f.msg);
    MAP_CHECK(rq.points == 36 && rq.nvalues == 2 && !rq.from && !rq.polygon, "region defaults");
    map_http_request_free(&rq);
    MAP_CHECK(parse(MAP_HTTP_FRONTIER, "{\"dataset\":\"d\",\"values\":[\"a\",\"b\"]}", &rq, &f) == 0,
              "%s", f.msg);
    MAP_CHECK(rq.points == 21 && isnan(rq.kl_max) && rq.nkl == 0, "frontier defaults");
    map_http_request_free(&rq);
    MAP_CHECK(parse(MAP_HTTP_HISTOGRAM, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"value\":\"a\"}", &rq,
                    &f) == 0, "%s", f.msg);
    MAP_CHECK(rq.bins == 40, "bins %zu", rq.bins);
    map_http_request_free(&rq);
}

static void test_fields(void)
{
    map_http_request rq;
    map_http_fail f;
    const char *body =
        "{\"dataset\":\"opt\",\"palette\":{\"humor\":0.1,\"b=c\":\"q97.5\",\"x\":\"mean\"},"
        "\"margin\":true,\"tol\":1e-9,\"max_iter\":7,\"normalize\":\"prompt\",\"method\":\"mma\","
        "\"init\":[0.5,0],\"sensitivity\":true,\"bootstrap\":3,\"holdout\":0.25,\"seed\":9}";
    MAP_CHECK(parse(MAP_HTTP_SOLVE, body, &rq, &f) == 0, "%s (%s)", f.msg, f.field);
    MAP_CHECK(rq.palette && strcmp(rq.palette, "humor=0.10000000000000001,b=c=q97.5,x=mean") == 0,
              "spec '%s'", rq.palette ? rq.palette : "(null)");
    MAP_CHECK(rq.fp.want_margin && rq.par.tol == 1e-9 && rq.par.max_iter == 7, "solver fields");
    MAP_CHECK(rq.so.normalize == MAP_NORMALIZE_PROMPT && rq.so.method == MAP_METHOD_MMA &&
                  rq.so.ninit == 2 && rq.so.init[0] == 0.5 && rq.so.sensitivity &&
                  rq.so.bootstrap == 3 && rq.so.holdout == 0.25 && rq.so.seed == 9,
              "solve options");
    map_http_request_free(&rq);
    MAP_CHECK(parse(MAP_HTTP_ADJUST,
                    "{\"dataset\":\"d\",\"palette\":\"a=1\",\"mode\":\"greedy\",\"priority\":[\"a\"],"
                    "\"inset\":0}", &rq, &f) == 0, "%s", f.msg);
    MAP_CHECK(rq.ao.mode == MAP_ADJUST_GREEDY && rq.ao.npriority == 1 && rq.ao.inset == 0.0 &&
                  strcmp(rq.ao.priority[0], "a") == 0, "adjust options");
    map_http_request_free(&rq);
    MAP_CHECK(parse(MAP_HTTP_FRONTIER,
                    "{\"dataset\":\"d\",\"values\":[\"a\",\"b\"],\"direction\":{\"a\":1,\"b\":2.5},"
                    "\"kl_max\":0.75,\"points\":4}", &rq, &f) == 0, "%s", f.msg);
    MAP_CHECK(strcmp(rq.direction, "a=1,b=2.5") == 0 && rq.kl_max == 0.75 && rq.points == 4,
              "direction '%s'", rq.direction);
    map_http_request_free(&rq);
    MAP_CHECK(parse(MAP_HTTP_SWEEP,
                    "{\"dataset\":\"d\",\"random\":10,\"kind\":\"aggressive\",\"values\":[\"a\"],"
                    "\"seed\":4,\"threads\":2,\"margin\":true,\"store\":true}", &rq, &f) == 0,
              "%s", f.msg);
    MAP_CHECK(rq.sweep.source == MAP_SOURCE_RANDOM && rq.sweep.count == 10 &&
                  rq.sweep.kind == MAP_SWEEP_AGGRESSIVE && rq.sweep.k == 1 && rq.sweep.seed == 4 &&
                  rq.sweep.threads == 2 && rq.sweep.want_margin && rq.store,
              "sweep request");
    map_http_request_free(&rq);
}

static void test_refusals(void)
{
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"opt\",", "", "malformed JSON");
    refused(MAP_HTTP_SOLVE, "[]", "", "object");
    refused(MAP_HTTP_SOLVE, "{\"palette\":\"a=1\"}", "/dataset", "missing");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\"}", "/palette", "missing");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"zz\":1}", "/zz", "unknown");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"a/b~c\":1}", "/a~1b~0c",
            "unknown");
    refused(MAP_HTTP_FEASIBLE, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"tol\":0.1}", "/tol",
            "unknown field 'tol' for feasible");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\",\"palette\":{\"a\":true}}", "/palette/a", "number");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\",\"palette\":{\"a,b\":1}}", "/palette/a,b", "','");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\",\"palette\":{}}", "/palette", "empty");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"tol\":0}", "/tol", "(0, 1]");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"max_iter\":1.5}", "/max_iter",
            "integer");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"init\":[1,-1]}", "/init/1",
            "number");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"holdout\":1}", "/holdout",
            "(0, 1)");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\",\"dataset\":\"e\",\"palette\":\"a=1\"}", "",
            "duplicate");
    refused(MAP_HTTP_FRONTIER, "{\"dataset\":\"d\",\"values\":[\"a\",\"\"]}", "/values/1",
            "non-empty");
    refused(MAP_HTTP_FRONTIER, "{\"dataset\":\"d\",\"values\":[\"a\"],\"kl\":[1],\"direction\":\"a=1\"}",
            "/direction", "exclude");
    refused(MAP_HTTP_FRONTIER, "{\"dataset\":\"d\",\"values\":[\"a\"],\"kl_max\":1}", "/kl_max",
            "direction only");
    refused(MAP_HTTP_ADJUST, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"priority\":[\"a\"]}",
            "/priority", "greedy");
    refused(MAP_HTTP_ADJUST, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"inset\":1}", "/inset",
            "[0, 1)");
    refused(MAP_HTTP_SWEEP, "{\"dataset\":\"d\"}", "", "exactly one");
    refused(MAP_HTTP_SWEEP, "{\"dataset\":\"d\",\"grid\":\"a=1:2:3\",\"random\":4}", "/grid",
            "exactly one");
    refused(MAP_HTTP_SWEEP, "{\"dataset\":\"d\",\"random\":4}", "/values", "needs values");
    refused(MAP_HTTP_SWEEP, "{\"dataset\":\"d\",\"palettes\":\"/etc/passwd\"}", "/palettes",
            "not read over HTTP");
    refused(MAP_HTTP_HISTOGRAM, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"value\":\"a\",\"bins\":0}",
            "/bins", "integer in [1, 10000]");
    /* The work of one request is bounded. */
    refused(MAP_HTTP_FRONTIER, "{\"dataset\":\"d\",\"values\":[\"a\",\"b\"],\"points\":20001}",
            "/points", "integer in [1, 20000]");
    refused(MAP_HTTP_REGION, "{\"dataset\":\"d\",\"values\":[\"a\",\"b\"],\"points\":20001}",
            "/points", "integer in [1, 20000]");
    refused(MAP_HTTP_FRONTIER,
            "{\"dataset\":\"d\",\"values\":[\"a\",\"b\"],\"kl\":[1,2,3],\"points\":6667}",
            "/points", "points × budgets (6667 × 3) is over the limit of 20000 rows");
    refused(MAP_HTTP_SOLVE, "{\"dataset\":\"d\",\"palette\":\"a=1\",\"bootstrap\":10001}",
            "/bootstrap", "integer in [1, 10000]");
    map_http_request rq;
    map_http_fail f;
    MAP_CHECK(parse(MAP_HTTP_FRONTIER,
                    "{\"dataset\":\"d\",\"values\":[\"a\",\"b\"],\"kl\":[1,2,3],\"points\":6666}",
                    &rq, &f) == 0 && rq.points * rq.nkl == 19998,
              "points × budgets at the limit: %s", f.msg);
    map_http_request_free(&rq);
    MAP_CHECK(parse(MAP_HTTP_SOLVE,
                    "{\"dataset\":\"d\",\"palette\":\"a=1\",\"bootstrap\":10000}", &rq,
                    &f) == 0 && rq.so.bootstrap == 10000, "bootstrap at the limit: %s", f.msg);
    map_http_request_free(&rq);
}

static void test_problem(void)
{
    char *doc = map_problem_json(MAP_PROBLEM_UNKNOWN_DATASET, "no dataset named 'x\"'", "/dataset");
    MAP_CHECK(doc && strcmp(doc, "{\"type\":\"urn:mapsolve:problem:unknown-dataset\",\"title\":"
                                 "\"Unknown dataset\",\"status\":404,\"detail\":\"no dataset named "
                                 "'x\\\"'\",\"field\":\"/dataset\"}\n") == 0,
              "document %s", doc ? doc : "(null)");
    map_free(doc);
    doc = map_problem_json(MAP_PROBLEM_MALFORMED_JSON, "bad \xff byte", NULL);
    MAP_CHECK(doc && strstr(doc, "\"field\":null") && strstr(doc, "\"status\":400"),
              "document %s", doc ? doc : "(null)");
    map_free(doc);
    MAP_CHECK(map_problem_status(MAP_PROBLEM_TOO_LARGE) == 413 &&
                  map_problem_status(MAP_PROBLEM_TIMEOUT) == 408 &&
                  map_problem_status(MAP_PROBLEM_METHOD_NOT_ALLOWED) == 405,
              "statuses");
}

int main(void)
{
    MAP_RUN(test_defaults);
    MAP_RUN(test_fields);
    MAP_RUN(test_refusals);
    MAP_RUN(test_problem);
    return map_test_finish();
}
