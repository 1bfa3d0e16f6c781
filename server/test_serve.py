#!/usr/bin/env python3
"""test_serve.py — `mapsolve serve` end to end: every endpoint's answer is
byte-identical to the CLI's --json (or CSV) output for the same request;
errors are RFC 9457 problems with the right status and field (400, 404,
405, 413, 401); the token; the histogram against an independent computation
from the CSV; a streamed sweep equal to `sweep --json`, and a client that
reads two lines and disconnects cancels its sweep (seen in /api/health); a
dataset replaced or removed by another process is seen by the next request
(a sweep holding the old copy goes on with it);
static files; SIGTERM (also during a sweep whose client stopped reading)
and SIGINT stop it with exit 0."""
import csv
import json
import math
import os
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_test_lib import (LLAMA_CSV, OPT_CSV, PROMPT, Server, Work, check, cli,  # noqa: E402
                            finish, ingest, parse_response, raw_exchange, raw_request)

work = Work("serve")
try:
    db = work.db
    ingest(db, OPT_CSV, "opt", *PROMPT)
    srv = Server(db, "--threads", "2")

    def same_as_cli(desc, path, body, args, headers=None):
        status, hdrs, data = srv.post(path, body, headers=headers)
        rc, out, err = cli(*args, "--db", db)
        check(desc + ": 200", status == 200, data[:300])
        check(desc + ": byte-identical to the CLI", data == out,
              "server %r\ncli %r (%s)" % (data[:200], out[:200], err[:200]))
        return data

    # ---- the endpoints against the CLI -----------------------------------
    same_as_cli("solve", "/api/solve", {"dataset": "opt", "palette": "humor=q70,gpt2-helpful=mean"},
                ["solve", "opt", "--palette", "humor=q70,gpt2-helpful=mean", "--json"])
    same_as_cli("solve, palette object", "/api/solve",
                {"dataset": "opt", "palette": {"humor": 2.5, "gpt2-helpful": "q40"}},
                ["solve", "opt", "--palette", "humor=2.5,gpt2-helpful=q40", "--json"])
    same_as_cli("solve options", "/api/solve",
                {"dataset": "opt", "palette": "humor=q60", "normalize": "prompt", "margin": True,
                 "tol": 1e-9, "max_iter": 50, "sensitivity": True, "init": [0.5]},
                ["solve", "opt", "--palette", "humor=q60", "--normalize", "prompt", "--margin",
                 "--tol", "1e-9", "--max-iter", "50", "--sensitivity", "--init", "0.5", "--json"])
    same_as_cli("solve bootstrap", "/api/solve",
                {"dataset": "opt", "palette": "humor=q60", "bootstrap": 20, "seed": 7,
                 "holdout": 0.25},
                ["solve", "opt", "--palette", "humor=q60", "--bootstrap", "20", "--seed", "7",
                 "--holdout", "0.25", "--json"])
    infeasible = same_as_cli("solve, infeasible", "/api/solve",
                             {"dataset": "opt", "palette": "humor=q99.9,gpt2-helpful=q99.9"},
                             ["solve", "opt", "--palette", "humor=q99.9,gpt2-helpful=q99.9",
                              "--json"])
    check("infeasible is a 200 with the certificate", b'"certificate"' in infeasible)
    same_as_cli("feasible", "/api/feasible",
                {"dataset": "opt", "palette": "humor=q99.9,gpt2-helpful=q99.9"},
                ["feasible", "opt", "--palette", "humor=q99.9,gpt2-helpful=q99.9", "--json"])
    same_as_cli("adjust ray", "/api/adjust",
                {"dataset": "opt", "palette": "humor=q99.9,gpt2-helpful=q99.9", "mode": "ray"},
                ["adjust", "opt", "--palette", "humor=q99.9,gpt2-helpful=q99.9", "--mode", "ray",
                 "--json"])
    same_as_cli("adjust greedy", "/api/adjust",
                {"dataset": "opt", "palette": "humor=q99.9,gpt2-helpful=q99.9", "mode": "greedy",
                 "priority": ["gpt2-helpful"], "inset": 0.01},
                ["adjust", "opt", "--palette", "humor=q99.9,gpt2-helpful=q99.9", "--mode",
                 "greedy", "--priority", "gpt2-helpful", "--inset", "0.01", "--json"])
    same_as_cli("frontier", "/api/frontier",
                {"dataset": "opt", "values": ["humor", "gpt2-helpful"], "kl": [0.5, 1],
                 "points": 5},
                ["frontier", "opt", "--values", "humor,gpt2-helpful", "--kl", "0.5,1",
                 "--points", "5", "--json"])
    same_as_cli("frontier direction", "/api/frontier",
                {"dataset": "opt", "values": ["humor", "gpt2-helpful"],
                 "direction": {"humor": 1, "gpt2-helpful": 2}, "points": 4, "kl_max": 0.8},
                ["frontier", "opt", "--values", "humor,gpt2-helpful", "--direction",
                 "humor=1,gpt2-helpful=2", "--points", "4", "--kl-max", "0.8", "--json"])
    same_as_cli("frontier CSV", "/api/frontier",
                {"dataset": "opt", "values": ["humor", "gpt2-helpful"], "kl": [0.5], "points": 4},
                ["frontier", "opt", "--values", "humor,gpt2-helpful", "--kl", "0.5", "--points",
                 "4"], headers={"Accept": "text/csv"})
    same_as_cli("region", "/api/region",
                {"dataset": "opt", "values": ["humor", "gpt2-helpful"], "points": 8,
                 "polygon": True, "from": "humor=q40"},
                ["region", "opt", "--values", "humor,gpt2-helpful", "--points", "8", "--polygon",
                 "--from", "humor=q40", "--json"])
    status, hdrs, data = srv.post("/api/region", {"dataset": "opt", "values": ["humor", "gpt2-helpful"],
                                                  "points": 6}, headers={"Accept": "text/csv"})
    rc, out, _ = cli("region", "opt", "--values", "humor,gpt2-helpful", "--points", "6", "--db", db)
    check("region CSV: text/csv", hdrs.get("content-type", "").startswith("text/csv"), hdrs)
    check("region CSV: byte-identical", data == out, data[:200])
    status, hdrs, data = srv.request("GET", "/api/datasets")
    rc, out, _ = cli("datasets", "--json", "--db", db)
    check("datasets: byte-identical", status == 200 and data == out, data[:200])
    check("datasets: application/json", hdrs.get("content-type") == "application/json", hdrs)
    status, _, data = srv.request("GET", "/api/datasets/opt")
    rc, out, _ = cli("describe", "opt", "--json", "--db", db)
    check("describe: byte-identical", status == 200 and data == out, data[:200])

    # ---- the histogram against the CSV ----------------------------------
    status, _, data = srv.post("/api/histogram", {"dataset": "opt", "palette": "humor=q70,gpt2-helpful=mean",
                                                  "value": "humor", "bins": 12})
    h = json.loads(data)
    check("histogram: 200", status == 200, data[:300])
    check("histogram: shape", len(h["edges"]) == 13 and len(h["reference"]) == 12 and
          len(h["tilted"]) == 12, h)
    check("histogram: fractions sum to 1",
          abs(sum(h["reference"]) - 1) < 1e-12 and abs(sum(h["tilted"]) - 1) < 1e-12, h)
    with open(OPT_CSV, newline="") as f:
        rows = list(csv.DictReader(f))
    lam = h["lambda"]
    xs = [float(r["humor"]) for r in rows]
    s = [lam["humor"] * float(r["humor"]) + lam["gpt2-helpful"] * float(r["gpt2-helpful"]) for r in rows]
    smax = max(s)
    w = [math.exp(v - smax) for v in s]
    lo, hi = min(xs), max(xs)
    ref, til = [0.0] * 12, [0.0] * 12
    for x, wj in zip(xs, w):
        b = min(int((x - lo) / (hi - lo) * 12), 11)
        ref[b] += 1 / len(xs)
        til[b] += wj / sum(w)
    check("histogram: reference as counted from the CSV",
          all(abs(a - b) < 1e-12 for a, b in zip(ref, h["reference"])), (ref, h["reference"]))
    check("histogram: tilted as exp(lambda.r) weights of the CSV",
          all(abs(a - b) < 1e-9 for a, b in zip(til, h["tilted"])), (til, h["tilted"]))
    rc, out, _ = cli("solve", "opt", "--palette", "humor=q70,gpt2-helpful=mean", "--json", "--db", db)
    cl = {v["name"]: v["lambda"] for v in json.loads(out)["values"]}
    check("histogram: lambda equals solve's", cl == lam, (cl, lam))
    status, _, data = srv.post("/api/histogram", {"dataset": "opt", "palette": "humor=q99.9,gpt2-helpful=q99.9",
                                                  "value": "gpt2-helpful"})
    h = json.loads(data)
    check("histogram infeasible: tilted null, 40 bins by default",
          status == 200 and h["tilted"] is None and h["status"] == "infeasible" and h["bins"] == 40, h)

    # A value whose range overflows a double (hi - lo = inf): the edges are
    # still finite numbers (valid JSON) and the rows fall in the right bins.
    with open(work.path("huge.csv"), "w") as f:
        f.write("prompt,a,b\nA,-1.7e308,1\nA,1.7e308,2\nB,0,3\nB,1,0.5\n")
    ingest(db, work.path("huge.csv"), "huge", "--prompt-column", "prompt")
    status, _, data = srv.post("/api/histogram", {"dataset": "huge", "palette": "b=mean",
                                                  "value": "a", "bins": 4})

    def no_constants(c):
        raise ValueError("not JSON: " + c)
    try:
        h = json.loads(data, parse_constant=no_constants)
    except ValueError as e:
        h = {"error": str(e), "data": data[:300]}
    want = [-1.7e308, -8.5e307, 0.0, 8.5e307, 1.7e308]
    check("histogram of a range over DBL_MAX: valid JSON with finite edges",
          status == 200 and len(h.get("edges", [])) == 5 and
          all(isinstance(e, float) or e == 0 for e in h["edges"]) and
          all(abs(e - w) <= 1e-12 * abs(w) for e, w in zip(h["edges"], want)), h)
    check("histogram of a range over DBL_MAX: the rows in the right bins",
          h.get("reference") == [0.25, 0, 0.5, 0.25], h)

    # ---- errors -----------------------------------------------------------
    def problem(desc, method, path, body, status, field=None, headers=None, ptype=None):
        st, hdrs, data = srv.request(method, path, body, headers=headers)
        check(desc + ": status %d" % status, st == status, (st, data[:300]))
        check(desc + ": application/problem+json",
              hdrs.get("content-type") == "application/problem+json", hdrs)
        try:
            p = json.loads(data)
        except ValueError:
            check(desc + ": JSON body", False, data[:200])
            return hdrs, {}
        check(desc + ": problem fields", set(p) == {"type", "title", "status", "detail", "field"} and
              p["status"] == status, p)
        if field is not None:
            check(desc + ": field %s" % field, p.get("field") == field, p)
        if ptype:
            check(desc + ": type " + ptype, p.get("type") == "urn:mapsolve:problem:" + ptype, p)
        return hdrs, p

    problem("malformed JSON", "POST", "/api/solve", '{"dataset": "opt",', 400, ptype="malformed-json")
    problem("not an object", "POST", "/api/solve", '[1, 2]', 400)
    problem("empty body", "POST", "/api/solve", '', 400)
    problem("bad palette", "POST", "/api/solve", {"dataset": "opt", "palette": "humor=q101"}, 400,
            "/palette", ptype="bad-field")
    problem("palette names an unknown value", "POST", "/api/solve",
            {"dataset": "opt", "palette": "nothing=1"}, 400, "/palette")
    problem("palette object bad target", "POST", "/api/solve",
            {"dataset": "opt", "palette": {"humor": True}}, 400, "/palette/humor")
    problem("unknown field", "POST", "/api/solve", {"dataset": "opt", "palette": "humor=1", "x": 1},
            400, "/x")
    problem("field of another endpoint", "POST", "/api/feasible",
            {"dataset": "opt", "palette": "humor=1", "tol": 1e-9}, 400, "/tol")
    problem("wrong type", "POST", "/api/solve", {"dataset": "opt", "palette": "humor=1", "max_iter": "5"},
            400, "/max_iter")
    problem("out of range", "POST", "/api/solve", {"dataset": "opt", "palette": "humor=1", "tol": 2},
            400, "/tol")
    problem("missing palette", "POST", "/api/solve", {"dataset": "opt"}, 400, "/palette")
    problem("missing dataset", "POST", "/api/solve", {"palette": "humor=1"}, 400, "/dataset")
    problem("normalize", "POST", "/api/solve", {"dataset": "opt", "palette": "humor=1", "normalize": "x"},
            400, "/normalize")
    problem("kl entry", "POST", "/api/frontier", {"dataset": "opt", "values": ["humor", "gpt2-helpful"],
                                                  "kl": [0.5, -1]}, 400, "/kl/1")
    _, p = problem("frontier unknown value (the app names the field)", "POST", "/api/frontier",
                   {"dataset": "opt", "values": ["humor", "zzz"]}, 400, "/values")
    check("app messages name no CLI flag", "--" not in p.get("detail", "--"), p)
    _, p = problem("region from (app message)", "POST", "/api/region",
                   {"dataset": "opt", "values": ["humor", "gpt2-helpful"], "from": "coherence=1"},
                   400, "/from")
    check("region from: no CLI flag", "--" not in p.get("detail", "--"), p)
    problem("prompt normalisation without prompts... (on a value)", "POST", "/api/histogram",
            {"dataset": "opt", "palette": "humor=1", "value": "nope"}, 400, "/value")
    problem("unknown dataset", "POST", "/api/solve", {"dataset": "nope", "palette": "humor=1"}, 404,
            "/dataset", ptype="unknown-dataset")
    problem("unknown dataset (describe)", "GET", "/api/datasets/nope", None, 404)
    problem("unknown path", "GET", "/api/nothing", None, 404, ptype="not-found")
    hdrs, _ = problem("GET on a POST endpoint", "GET", "/api/solve", None, 405,
                      ptype="method-not-allowed")
    check("405 Allow: POST", hdrs.get("allow") == "POST", hdrs)
    hdrs, _ = problem("DELETE on datasets", "DELETE", "/api/datasets", None, 405)
    check("405 Allow: GET, HEAD", hdrs.get("allow") == "GET, HEAD", hdrs)
    # Over the limit by Content-Length: answered at once, before the body.
    got = raw_exchange(srv.host, srv.port, b"POST /api/solve HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: 1048577\r\n\r\n")
    st, hdrs, data = parse_response(got)
    check("Content-Length over 1 MB: 413 before the body", st == 413 and
          json.loads(data or b"{}").get("type") == "urn:mapsolve:problem:too-large", got[:300])
    # Over the limit in chunks (no Content-Length): 413 after the body.
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(17)) + b"0\r\n\r\n"
    got = raw_exchange(srv.host, srv.port, b"POST /api/solve HTTP/1.1\r\nHost: x\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n" + body)
    st, hdrs, data = parse_response(got)
    check("chunked body over 1 MB: 413", st == 413, got[:300])
    # Just under the limit is read (and refused for its content, not its size).
    pad = json.dumps({"dataset": "opt", "palette": "humor=1", "pad": ""})
    pad = pad[:-3] + '"' + "x" * (1024 * 1024 - len(pad)) + '"}'
    problem("a body of exactly 1 MB is read", "POST", "/api/solve", pad, 400, "/pad")

    # ---- static files -----------------------------------------------------
    for path, ctype in (("/", "text/html"), ("/explorer.js", "text/javascript"),
                        ("/explorer.css", "text/css"), ("/api/openapi.json", "application/json")):
        st, hdrs, data = srv.request("GET", path)
        check("static %s: 200 %s" % (path, ctype),
              st == 200 and hdrs.get("content-type", "").startswith(ctype) and len(data) > 0,
              (st, hdrs))
    st, _, data = srv.request("GET", "/")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "www", "index.html"), "rb") as f:
        check("index.html is the embedded file", data == f.read())
    check("openapi.json parses as OpenAPI 3.1",
          json.loads(srv.request("GET", "/api/openapi.json")[2]).get("openapi", "").startswith("3.1"))

    # ---- sweeps -------------------------------------------------------------
    st, hdrs, data = srv.post("/api/sweep", {"dataset": "opt", "grid": "humor=mean:q90:4,gpt2-helpful=q20:q60:3"})
    rc, out, _ = cli("sweep", "opt", "--grid", "humor=mean:q90:4,gpt2-helpful=q20:q60:3", "--json",
                     "--db", db)
    check("sweep grid: JSON Lines identical to sweep --json", st == 200 and data == out, data[:200])
    check("sweep: application/jsonl", hdrs.get("content-type") == "application/jsonl", hdrs)
    st, _, data = srv.post("/api/sweep", {"dataset": "opt", "random": 50, "kind": "aggressive",
                                          "values": ["humor", "gpt2-helpful"], "seed": 3,
                                          "margin": True, "threads": 2})
    rc, out, _ = cli("sweep", "opt", "--random", "50", "--kind", "aggressive", "--values",
                     "humor,gpt2-helpful", "--seed", "3", "--margin", "--threads", "2", "--json",
                     "--db", db)
    check("sweep random: identical to sweep --json", st == 200 and data == out, data[:200])
    problem("sweep without a source", "POST", "/api/sweep", {"dataset": "opt"}, 400)
    problem("sweep bad grid", "POST", "/api/sweep", {"dataset": "opt", "grid": "humor=1:x:3"}, 400)
    problem("frontier over 20,000 rows (points × budgets): 400 at /points", "POST", "/api/frontier",
            {"dataset": "opt", "values": ["humor", "gpt2-helpful"], "kl": [0.5, 1, 2], "points": 40000},
            400, "/points")
    problem("frontier, 10,000 points × 3 budgets: 400 at /points", "POST", "/api/frontier",
            {"dataset": "opt", "values": ["humor", "gpt2-helpful"], "kl": [0.5, 1, 2], "points": 10000},
            400, "/points")
    problem("region over 20,000 points: 400 at /points", "POST", "/api/region",
            {"dataset": "opt", "values": ["humor", "gpt2-helpful"], "points": 20001}, 400, "/points")
    problem("solve over 10,000 bootstrap resamples: 400 at /bootstrap", "POST", "/api/solve",
            {"dataset": "opt", "palette": "humor=q60", "bootstrap": 10001}, 400, "/bootstrap")
    problem("sweep random, unknown value: field /values", "POST", "/api/sweep",
            {"dataset": "opt", "random": 5, "values": ["nope"]}, 400, "/values")
    problem("sweep lambdas, value named twice: field /values", "POST", "/api/sweep",
            {"dataset": "opt", "lambdas": 5, "values": ["humor", "humor"]}, 400, "/values")
    problem("sweep grid, unknown value: field /grid", "POST", "/api/sweep",
            {"dataset": "opt", "grid": "nope=1:2:3"}, 400, "/grid")
    problem("sweep palettes file refused", "POST", "/api/sweep",
            {"dataset": "opt", "palettes": "/etc/passwd"}, 400, "/palettes")

    # A client reads two rows of a very long sweep and hangs up: the sweep
    # must stop (the health counters say it was cancelled).
    before = srv.health()
    s = socket.create_connection((srv.host, srv.port))
    body = json.dumps({"dataset": "opt", "random": 100000000, "values": ["humor", "gpt2-helpful"],
                       "threads": 1}).encode()
    s.sendall(raw_request("/api/sweep", body, {b"Content-Type": b"application/json"}))
    f = s.makefile("rb")
    status_line = f.readline()
    while f.readline() not in (b"\r\n", b""):
        pass
    lines = 0
    while lines < 2:
        ln = f.readline()
        if not ln:
            break
        if ln.startswith(b"{"):
            lines += 1
    check("long sweep streams rows", status_line.startswith(b"HTTP/1.1 200") and lines == 2, status_line)
    mid = srv.health()
    check("the sweep is running", mid["sweeps_active"] == 1, mid)
    f.close()
    s.close()
    # Bounded polling: the disconnect is seen at the next rows written.
    h = srv.wait_health(lambda h: h["sweeps_active"] == 0, 400, 0.05)
    check("disconnect cancels the sweep", h["sweeps_active"] == 0 and
          h["sweeps_cancelled"] == before["sweeps_cancelled"] + 1, h)

    # ---- another process changes the store --------------------------------
    loads0 = srv.health()["dataset_loads"]
    srv.post("/api/solve", {"dataset": "opt", "palette": "humor=q70"})
    check("a dataset is loaded once", srv.health()["dataset_loads"] == loads0, srv.health())
    # A sweep holds the old copy while the dataset is replaced: it goes on
    # with it (freed when the sweep ends), while new requests see the new data.
    hold = socket.create_connection((srv.host, srv.port))
    body = json.dumps({"dataset": "opt", "random": 100000000, "values": ["humor", "gpt2-helpful"],
                       "threads": 1}).encode()
    hold.sendall(raw_request("/api/sweep", body))
    hold_f = hold.makefile("rb")
    first = b""
    while not first.startswith(b"{"):
        first = hold_f.readline()
    ingest(db, LLAMA_CSV, "opt", "--replace", *PROMPT)
    st, _, data = srv.request("GET", "/api/datasets/opt")
    rc, out, _ = cli("describe", "opt", "--json", "--db", db)
    check("ingest --replace is seen by the next request", st == 200 and data == out, data[:200])
    st, _, data = srv.post("/api/solve", {"dataset": "opt", "palette": "humor=q70"})
    rc, out, _ = cli("solve", "opt", "--palette", "humor=q70", "--json", "--db", db)
    check("solve after replace uses the new samples", st == 200 and data == out, data[:200])
    more = 0
    for _ in range(5000):
        line = hold_f.readline()
        if not line:
            break
        more += line.startswith(b"{")
        if more == 500:
            break
    check("the sweep holding the replaced copy goes on", more == 500, more)
    hold_f.close()
    hold.close()
    cli("remove", "opt", "--db", db)
    problem("removed by another process: 404", "POST", "/api/solve",
            {"dataset": "opt", "palette": "humor=q70"}, 404)
    # SIGTERM while a client holds a long sweep it stopped reading: the
    # sweep is cancelled and the server exits 0.
    ingest(db, OPT_CSV, "opt", *PROMPT)
    s = socket.create_connection((srv.host, srv.port))
    body = json.dumps({"dataset": "opt", "random": 100000000, "values": ["humor", "gpt2-helpful"],
                       "threads": 1}).encode()
    s.sendall(raw_request("/api/sweep", body))
    f = s.makefile("rb")
    rows = 0
    while rows < 3:
        line = f.readline()
        if not line:
            break
        rows += line.startswith(b"{")
    check("a long sweep is streaming", rows == 3 and srv.health()["sweeps_active"] >= 1)
    check("SIGTERM during a sweep: exit 0", srv.stop() == 0)
    f.close()
    s.close()

    # ---- token and binding ----------------------------------------------
    rc, _, err = cli("serve", "--db", db, "--bind", "0.0.0.0", "--port", "0")
    check("a non-loopback address without a token: exit 2", rc == 2 and "token" in err, err)
    tok = work.path("token")
    with open(tok, "w") as f:
        f.write("s3cret-token-0123456789\n")
    srv = Server(db, "--bind", "127.0.0.1", "--token-file", tok, token="s3cret-token-0123456789")
    st, _, _ = srv.request("GET", "/api/datasets")
    check("token: 200 with the token", st == 200, st)
    for desc, t in (("no token", ""), ("wrong token", "s3cret-token-0123456780"),
                    ("a prefix", "s3cret-token"), ("longer", "s3cret-token-0123456789x")):
        st, hdrs, data = srv.request("GET", "/api/datasets", token=t)
        check("token: 401 with %s" % desc, st == 401 and
              hdrs.get("content-type") == "application/problem+json" and
              hdrs.get("www-authenticate") == "Bearer", (st, hdrs))
    st, _, _ = srv.request("POST", "/api/solve", {"dataset": "opt", "palette": "humor=1"}, token="bad")
    check("token: 401 on POST too", st == 401, st)
    for path in ("/", "/explorer.js", "/explorer.css"):
        st, _, data = srv.request("GET", path, token="")
        check("token: the page's file %s without it (no data in it)" % path, st == 200 and data, st)
    st, _, _ = srv.request("GET", "/api/openapi.json", token="")
    check("token: 401 for the API description without it", st == 401, st)
    for path in ("/", "/explorer.js"):
        st, _, data = srv.request("HEAD", path, token="")
        check("token: HEAD of the page's file %s without it" % path, st == 200 and data == b"", st)
    st, _, _ = srv.request("HEAD", "/api/datasets", token="")
    check("token: 401 for HEAD of /api/ without it", st == 401, st)
    for scheme in ("bearer", "BEARER", "BeArEr"):
        st, _, _ = srv.request("GET", "/api/datasets",
                               headers={"Authorization": scheme + " s3cret-token-0123456789"}, token="")
        check("token: the scheme '%s' (case-insensitive, RFC 7235)" % scheme, st == 200, st)
    st, _, _ = srv.request("GET", "/api/datasets",
                           headers={"Authorization": "Basic s3cret-token-0123456789"}, token="")
    check("token: another scheme is refused", st == 401, st)
    check("SIGINT: exit 0", srv.stop(signal.SIGINT) == 0)
    with open(tok, "w") as f:
        f.write("\n")
    rc, _, err = cli("serve", "--db", db, "--port", "0", "--token-file", tok)
    check("an empty token file: exit 2", rc == 2, err)
finally:
    work.cleanup()
finish()
