#!/usr/bin/env python3
"""test_openapi.py — the OpenAPI 3.1 document (server/openapi.json, served at
/api/openapi.json) describes what the server really does: every endpoint is
called (answers and errors), and each answer's body is validated against the
schema the document gives for its path, method, status and Content-Type
(JSON Schema 2020-12 with python3-jsonschema; JSON Lines line by line); each
request body sent is validated against the endpoint's request schema; and
every path the document lists is one the test called."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_test_lib import OPT_CSV, PROMPT, Server, Work, check, finish, ingest  # noqa: E402

try:
    import jsonschema
except ImportError:
    print("test_openapi: python3-jsonschema is required", file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(1)

work = Work("openapi")
try:
    ingest(work.db, OPT_CSV, "opt", *PROMPT)
    srv = Server(work.db)
    st, _, raw = srv.request("GET", "/api/openapi.json")
    doc = json.loads(raw)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "openapi.json"), "rb") as f:
        check("served document is server/openapi.json", raw == f.read())
    check("OpenAPI 3.1", doc.get("openapi", "").startswith("3.1."))
    called = set()

    def validator(schema):
        # The document's components resolve "#/components/..." references.
        return jsonschema.Draft202012Validator(dict(schema, components=doc["components"]))

    def validate(desc, schema, instance):
        errors = sorted(validator(schema).iter_errors(instance), key=lambda e: list(e.path))
        check(desc, not errors, "; ".join("%s: %s" % (list(e.path), e.message) for e in errors[:3]))

    def call(method, template, path, body=None, headers=None, want=200):
        ops = doc["paths"][template]
        if method.lower() in ops:
            called.add((template, method.lower()))
            op = ops[method.lower()]
        else:  # a 405: the path's documented operation lists it
            op = next(iter(ops.values()))
        desc = "%s %s -> %d" % (method, path, want)
        if body is not None:
            validate(desc + ": the request fits its schema",
                     op["requestBody"]["content"]["application/json"]["schema"], body)
        st, hdrs, data = srv.request(method, path, body, headers=headers)
        check(desc + ": status", st == want, (st, data[:200]))
        resp = op["responses"].get(str(st))
        if not check(desc + ": documented status", resp is not None, st):
            return
        ctype = hdrs.get("content-type", "").split(";")[0]
        media = resp.get("content", {}).get(ctype)
        if not check(desc + ": documented Content-Type " + ctype, media is not None, resp.get("content")):
            return
        if ctype == "text/csv":
            return
        if ctype == "application/jsonl":
            lines = data.decode().splitlines()
            check(desc + ": JSON Lines", len(lines) > 0)
            for i, line in enumerate(lines):
                validate("%s: line %d" % (desc, i), media["schema"], json.loads(line))
            return
        validate(desc + ": the answer fits its schema", media["schema"], json.loads(data))

    call("GET", "/api/health", "/api/health")
    call("GET", "/api/datasets", "/api/datasets")
    call("GET", "/api/datasets/{name}", "/api/datasets/opt")
    call("GET", "/api/datasets/{name}", "/api/datasets/none", want=404)
    call("GET", "/api/openapi.json", "/api/openapi.json")
    pal = "humor=q70,gpt2-helpful=mean"
    bad = "humor=q99.9,gpt2-helpful=q99.9"
    call("POST", "/api/solve", "/api/solve", {"dataset": "opt", "palette": pal})
    call("POST", "/api/solve", "/api/solve", {"dataset": "opt", "palette": bad})
    call("POST", "/api/solve", "/api/solve", {"dataset": "opt", "palette": {"humor": 2.5},
                                              "sensitivity": True, "bootstrap": 10, "holdout": 0.2,
                                              "normalize": "prompt", "margin": True})
    call("POST", "/api/solve", "/api/solve", {"dataset": "opt", "palette": "humor=q101"}, want=400)
    call("POST", "/api/solve", "/api/solve", {"dataset": "none", "palette": pal}, want=404)
    call("GET", "/api/solve", "/api/solve", want=405)
    call("POST", "/api/feasible", "/api/feasible", {"dataset": "opt", "palette": bad})
    call("POST", "/api/feasible", "/api/feasible", {"dataset": "opt", "palette": pal})
    call("POST", "/api/adjust", "/api/adjust", {"dataset": "opt", "palette": bad})
    call("POST", "/api/adjust", "/api/adjust", {"dataset": "opt", "palette": bad, "mode": "greedy",
                                                "priority": ["humor"]})
    call("POST", "/api/frontier", "/api/frontier", {"dataset": "opt", "values": ["humor", "gpt2-helpful"],
                                                    "kl": [0.5, 2], "points": 4})
    call("POST", "/api/frontier", "/api/frontier", {"dataset": "opt", "values": ["humor", "gpt2-helpful"]})
    call("POST", "/api/frontier", "/api/frontier", {"dataset": "opt", "values": ["humor", "gpt2-helpful"],
                                                    "kl": [0.5]}, headers={"Accept": "text/csv"})
    call("POST", "/api/region", "/api/region", {"dataset": "opt", "values": ["humor", "gpt2-helpful"],
                                                "points": 8})
    call("POST", "/api/region", "/api/region", {"dataset": "opt", "values": ["humor", "gpt2-helpful", "coherence"],
                                                "points": 5}, headers={"Accept": "text/csv"})
    call("POST", "/api/histogram", "/api/histogram", {"dataset": "opt", "palette": pal, "value": "humor"})
    call("POST", "/api/histogram", "/api/histogram", {"dataset": "opt", "palette": bad, "value": "humor",
                                                      "bins": 5})
    call("POST", "/api/sweep", "/api/sweep", {"dataset": "opt", "grid": "humor=mean:q90:3,gpt2-helpful=q20:q60:2"})
    call("POST", "/api/sweep", "/api/sweep", {"dataset": "opt", "lambdas": 5, "values": ["humor", "coherence"]})
    call("POST", "/api/sweep", "/api/sweep", {"dataset": "opt", "random": 5, "values": ["humor"],
                                              "kind": "aggressive", "margin": True})
    listed = {(p, m) for p, ops in doc["paths"].items() for m in ops if m in ("get", "post")}
    check("every documented operation was called", listed <= called, listed - called)
    check("SIGTERM: exit 0", srv.stop() == 0)
finally:
    work.cleanup()
finish()
