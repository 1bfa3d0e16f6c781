#!/usr/bin/env python3
"""test_robust.py — no input crashes `mapsolve serve`: 1,000 malformed,
truncated and hostile requests on raw sockets (random garbage, truncated
request lines, headers and bodies, bad JSON, huge and bogus Content-Length,
bad chunked encoding, over-long headers, bad methods and versions, partial
requests closed early), each answered with a 4xx (a problem document where
the server got as far as a route) or a closed connection, never a 5xx; 50
slowloris connections held open while a good request is answered; then a
good request still answered byte-identically to the CLI. Slow clients: a
body slower than --timeout gets 408, an idle partial request is closed, a
body still trickling in after --timeout (or a chunked one without end over
--max-body) is closed; a slow sweep reader leaves the sweep's buffer within
1 MiB + a row; a fifth sweep with --threads 1 gets 503. Reproducible
(seeded)."""
import json
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_test_lib import (OPT_CSV, PROMPT, Server, Work, check, cli, finish,  # noqa: E402
                            ingest, parse_response, raw_exchange, raw_request, read_response)

rnd = random.Random(12)
GOOD_BODIES = [
    {"dataset": "opt", "palette": "humor=q70,gpt2-helpful=mean"},
    {"dataset": "opt", "palette": {"humor": 2.5, "gpt2-helpful": "q40"}, "margin": True},
    {"dataset": "opt", "values": ["humor", "gpt2-helpful"], "kl": [0.5], "points": 3},
]
PATHS = ["/api/solve", "/api/feasible", "/api/adjust", "/api/frontier", "/api/region",
         "/api/histogram", "/api/sweep", "/api/datasets", "/api/datasets/opt", "/", "/api/health"]


def mutate(b):
    """A random corruption of bytes b: flips, cuts, insertions, duplications."""
    b = bytearray(b)
    for _ in range(rnd.randint(1, 6)):
        op = rnd.randrange(5)
        if not b:
            b = bytearray(b"{")
        i = rnd.randrange(len(b))
        if op == 0:
            b[i] = rnd.randrange(256)
        elif op == 1:
            del b[i:i + rnd.randint(1, 8)]
        elif op == 2:
            b[i:i] = rnd.choice([b"{", b"}", b"[", b"]", b'"', b",", b":", b"\\u0000", b"\\ud800",
                                 b"1e999", b"-", b"null", b"\xff\xfe", b"\x00", b"\"\"" * 40])
        elif op == 3:
            b[i:i] = b[i:i + rnd.randint(1, 40)]
        else:
            b = b[:i]
    return bytes(b)


def case(i):
    """The i-th hostile request: (description, bytes, expect_problem)."""
    kind = i % 12
    path = rnd.choice(PATHS)
    good = json.dumps(rnd.choice(GOOD_BODIES)).encode()
    if kind == 0:
        return "random garbage", bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 400))), False
    if kind == 1:
        full = raw_request(path, good)
        return "truncated request", full[:rnd.randrange(len(full))], False
    if kind == 2:
        return "bad JSON", raw_request(rnd.choice(PATHS[:7]), mutate(good)), True
    if kind == 3:
        cl = rnd.choice([b"99999999999999999999999", b"18446744073709551615", b"-1", b"abc",
                         b"1e9", b" 5", b"0x10", b"1048577", b"4294967296"])
        return "bogus Content-Length", (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                                        b"Content-Length: " + cl + b"\r\n\r\n" + good), False
    if kind == 4:
        chunks = rnd.choice([b"zz\r\n{}\r\n0\r\n\r\n", b"ffffffffffffffffff\r\nab", b"2\r\n{}",
                             b"1\r\n{\r\n1\r\n}\r\n0\r\n\r\n", b"-5\r\n\r\n"])
        return "bad chunked body", (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                                    b"Transfer-Encoding: chunked\r\n\r\n" + chunks), False
    if kind == 5:
        return "over-long header", (b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Long: " +
                                    b"a" * rnd.choice([70000, 200000]) + b"\r\n\r\n"), False
    if kind == 6:
        m = rnd.choice([b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE", b"BREW", b"get", b"P\x00ST"])
        return "other method", raw_request(path, good, method=m), False
    if kind == 7:
        v = rnd.choice([b"HTTP/9.9", b"HTTP/1", b"HTTPS/1.1", b"", b"HTTP/1.1 extra"])
        return "bad version", b"GET /api/health " + v + b"\r\nHost: x\r\n\r\n", False
    if kind == 8:
        p = rnd.choice([b"/api/../etc/passwd", b"/%00", b"/api/datasets/%2e%2e", b"*",
                        b"/api/datasets/" + b"x" * 5000, b"/api/solve?x=1", b"/\xff\xfe"])
        return "odd path", b"GET " + p + b" HTTP/1.1\r\nHost: x\r\n\r\n", False
    if kind == 9:
        # Valid JSON, wrong shapes and types.
        body = rnd.choice([b"[]", b"null", b"1", b'"x"', b'{"dataset": 1}', b'{"dataset": "opt", "palette": []}',
                           b'{"dataset": "opt", "palette": {"humor": null}}',
                           b'{"dataset": "opt", "palette": "humor=1", "init": [1, "x"]}',
                           b'{"dataset": "opt", "dataset": "opt"}',
                           b'{"dataset": "opt", "values": ["humor", ""], "kl": [1e309]}',
                           b'{"dataset": "\\u0000", "palette": "a=1"}',
                           b'{"dataset": "opt", "palette": "' + b"a=1," * 100 + b'b=2"}'])
        return "wrong shapes", raw_request(rnd.choice(PATHS[:7]), body), True
    if kind == 10:
        # Headers cut mid-line and the connection half-closed (slowloris, given up).
        full = raw_request(path, good)
        head = full[:full.index(b"\r\n\r\n")]
        return "partial headers closed early", head[:rnd.randrange(1, len(head))], False
    # Many pipelined requests, the last one bad.
    return ("pipelined", raw_request("/api/solve", good) * 3 + raw_request("/api/solve", mutate(good)),
            False)


work = Work("robust")
try:
    ingest(work.db, OPT_CSV, "opt", *PROMPT)
    srv = Server(work.db, "--threads", "2", "--timeout", "5")
    server_errors = 0
    bad_problems = 0
    for i in range(1000):
        desc, data, expect_problem = case(i)
        got = raw_exchange(srv.host, srv.port, data, timeout=30, shutdown=True)
        st, hdrs, body = parse_response(got)
        # 505 is HTTP's own answer to an unknown protocol version.
        if st >= 500 and not (st == 505 and desc == "bad version"):
            server_errors += 1
            check("case %d (%s): no 5xx" % (i, desc), False, got[:300])
        if expect_problem and st != 200:
            ok = st in (400, 404, 413) and hdrs.get("content-type") == "application/problem+json"
            try:
                ok = ok and json.loads(body)["status"] == st
            except (ValueError, KeyError):
                ok = False
            if not ok:
                bad_problems += 1
                check("case %d (%s): a problem document" % (i, desc), False, got[:300])
        if srv.proc.poll() is not None:
            check("case %d (%s): the server is alive" % (i, desc), False, data[:200])
            break
    check("1,000 hostile requests: the server is alive", srv.proc.poll() is None)
    check("no 5xx answer", server_errors == 0, server_errors)
    check("bad bodies get problem documents", bad_problems == 0, bad_problems)

    # Slowloris: 50 connections with half a request each, held open.
    held = []
    for _ in range(50):
        s = socket.create_connection((srv.host, srv.port))
        s.sendall(b"POST /api/solve HTTP/1.1\r\nHost: x\r\nContent-Len")
        held.append(s)
    st, _, data = srv.post("/api/solve", GOOD_BODIES[0])
    rc, out, _ = cli("solve", "opt", "--palette", "humor=q70,gpt2-helpful=mean", "--json", "--db", work.db)
    check("answered while 50 partial requests are held open", st == 200 and data == out, data[:200])
    for s in held:
        s.close()

    # A good request after all that: still right.
    st, _, data = srv.post("/api/solve", GOOD_BODIES[0])
    check("a good request afterwards: byte-identical to the CLI", st == 200 and data == out, data[:200])
    st, _, data = srv.request("GET", "/api/health")
    check("health afterwards", st == 200 and json.loads(data)["status"] == "ok", data)

    # A client that reads a long sweep steadily but slower than the worker
    # writes: the rows wait in a buffer that never grows past 1 MiB plus a
    # row (sweep_buffer_peak in /api/health). Slower is made certain: before
    # each read the test waits (bounded polling) until the worker is blocked
    # on a full buffer, so the buffer never drains while 12 MiB are read.
    before = srv.health()
    body = json.dumps({"dataset": "opt", "lambdas": 1000000, "values": ["humor", "gpt2-helpful"],
                       "threads": 1}).encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.settimeout(60)
    s.connect((srv.host, srv.port))
    s.sendall(raw_request("/api/sweep", body))

    def worker_blocked():
        h = srv.wait_health(lambda h: h["sweeps_blocked"] >= 1, 6000, 0.01)  # at most 60 s
        return h["sweeps_blocked"] >= 1
    got = 0
    blocked = True
    while got < 12 * 1024 * 1024:
        blocked = worker_blocked()
        if not blocked:
            break
        chunk = s.recv(65536)
        if not chunk:
            break
        got += len(chunk)
    h = srv.health()
    check("slow reader: 12 MiB read with the worker ahead of it", blocked and got >= 12 * 1024 * 1024,
          (blocked, got))
    check("slow reader: the sweep buffer stays within 1 MiB + a row",
          0 < h["sweep_buffer_peak"] <= 1024 * 1024 + 4096, h)
    s.close()
    h = srv.wait_health(lambda h: h["sweeps_active"] == 0, 6000, 0.01)
    check("slow reader gone: its sweep cancelled",
          h["sweeps_active"] == 0 and h["sweeps_cancelled"] == before["sweeps_cancelled"] + 1, h)
    check("SIGTERM after the storm: exit 0", srv.stop() == 0)

    # Slow clients (--timeout 1): a body that takes longer than the timeout
    # gets 408; the wait below exceeds the timeout whatever the machine's speed.
    srv = Server(work.db, "--timeout", "1", "--max-body", "64")
    small = b'{"dataset":"opt","palette":"humor=q70"}'
    st, _, _ = srv.post("/api/solve", small.ljust(64))
    check("--max-body 64: a 64-byte body is read", st == 200, st)
    got = raw_exchange(srv.host, srv.port, b"POST /api/solve HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: 65\r\n\r\n" + small.ljust(65))
    check("--max-body 64: a 65-byte body gets 413", parse_response(got)[0] == 413, got[:200])
    body = json.dumps(GOOD_BODIES[0]).encode()
    s = socket.create_connection((srv.host, srv.port), timeout=30)
    full = raw_request("/api/solve", body)
    s.sendall(full[:len(full) - len(body) + 5])  # the head and the body's first 5 bytes
    time.sleep(0.6)
    s.sendall(body[5:10])
    time.sleep(0.6)
    s.sendall(body[10:])
    got = read_response(s)
    s.close()
    st, hdrs, data = parse_response(got)
    check("a body slower than --timeout: 408 problem", st == 408 and
          hdrs.get("content-type") == "application/problem+json", got[:300])
    # An idle partial request is closed by the server (bounded wait).
    s = socket.create_connection((srv.host, srv.port), timeout=20)
    s.sendall(b"GET /api/health HTTP/1.1\r\nHo")
    t0 = time.monotonic()
    try:
        closed = s.recv(100) == b"" or True
    except socket.timeout:
        closed = False
    s.close()
    check("an idle partial request is closed", closed and time.monotonic() - t0 < 20)

    st, _, _ = srv.request("GET", "/api/health")
    check("health after the slow clients", st == 200)
    check("SIGTERM: exit 0", srv.stop() == 0)
    # A body that trickles (a byte every 0.1 s, each one restarting the idle
    # timeout) or a chunked body that never ends: the connection is closed
    # once the body has taken longer than --timeout (1 s) — within 10 s here
    # — or once the discarded part of a chunked body passes --max-body.
    def held_until_closed(head, piece, bound=10.0):
        """Sends head, then piece every 0.1 s until the server closes the
        connection (or answers): seconds taken, or None after bound."""
        import select
        c = socket.create_connection((srv.host, srv.port), timeout=5)
        t0 = time.monotonic()
        try:
            c.sendall(head)
            while time.monotonic() - t0 < bound:
                try:
                    c.sendall(piece)
                except OSError:
                    return time.monotonic() - t0
                if select.select([c], [], [], 0.1)[0]:
                    try:
                        c.recv(65536)
                    except OSError:
                        pass
                    return time.monotonic() - t0
            return None
        finally:
            c.close()
    srv = Server(work.db, "--timeout", "1")
    took = held_until_closed(b"POST /api/solve HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", b" ")
    check("a body trickling past --timeout: closed within 10x the timeout", took is not None, took)
    took = held_until_closed(b"POST /api/solve HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                             b"1\r\n \r\n")
    check("a chunked body trickling past --timeout: closed within 10x the timeout", took is not None, took)
    check("SIGTERM: exit 0", srv.stop() == 0)
    srv = Server(work.db, "--timeout", "60", "--max-body", "64")
    took = held_until_closed(b"POST /api/solve HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                             b"400\r\n" + b" " * 1024 + b"\r\n", bound=20)
    check("a chunked body without end over --max-body: closed (long before the 60 s timeout)",
          took is not None, took)
    check("SIGTERM: exit 0", srv.stop() == 0)

    # At most 4 sweeps per request thread run at once: with --threads 1, four
    # clients that stop reading hold four sweeps (their workers block on a
    # full buffer: the overlap is certain), and a fifth gets 503 with
    # Retry-After; when one client leaves, a sweep is accepted again.
    srv = Server(work.db, "--threads", "1")
    body = json.dumps({"dataset": "opt", "lambdas": 1000000, "values": ["humor", "gpt2-helpful"],
                       "threads": 1}).encode()
    held = []
    for _ in range(4):
        s = socket.create_connection((srv.host, srv.port), timeout=60)
        s.sendall(raw_request("/api/sweep", body))
        s.recv(100)  # the answer has begun: the sweep holds its slot
        held.append(s)
    check("four sweeps held open", srv.health()["sweeps_active"] == 4, srv.health())
    st, hdrs, data = srv.post("/api/sweep", {"dataset": "opt", "lambdas": 5, "values": ["humor"]})
    try:
        p = json.loads(data)
    except ValueError:
        p = {}
    check("a fifth sweep: 503 problem with Retry-After",
          st == 503 and hdrs.get("content-type") == "application/problem+json" and
          p.get("type") == "urn:mapsolve:problem:busy" and p.get("status") == 503 and
          hdrs.get("retry-after", "").isdigit(), (st, hdrs, data[:300]))
    st, _, _ = srv.post("/api/solve", GOOD_BODIES[0])
    check("other endpoints still answer while the sweeps are full", st == 200, st)
    held.pop().close()
    srv.wait_health(lambda h: h["sweeps_active"] == 3, 6000, 0.01)  # at most 60 s
    st, _, data = srv.post("/api/sweep", {"dataset": "opt", "lambdas": 5, "values": ["humor"]})
    check("a client gone: a sweep is accepted again", st == 200 and data.count(b"\n") == 5,
          (st, data[:200]))
    for s in held:
        s.close()
    check("SIGTERM with the sweeps held: exit 0", srv.stop() == 0)
finally:
    work.cleanup()
finish()
