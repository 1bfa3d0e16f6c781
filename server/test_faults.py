#!/usr/bin/env python3
"""test_faults.py — faults around `mapsolve serve`, made certain rather than
likely:
  1. SIGKILL of the server during a stored sweep (POST /api/sweep with
     "store": true): the client stops reading after row 600, so the worker
     is held by the full buffer (the sweep is certainly running: /api/health
     says so) and rows 0..511 are certainly committed (batches of 256 are
     committed before the next row is emitted). After the kill the store
     passes PRAGMA integrity_check, holds at least those rows, and
     `mapsolve sweep --resume` completes it to exactly the rows of the same
     sweep run by the CLI.
  2. Another process frozen (SIGSTOP) inside its write transaction — the
     sqlite3 shell replacing dataset 'opt' by another one, stopped after it
     printed a marker from inside the transaction — neither blocks the
     server's answers nor tears them: they are byte-identical to the answers
     before; a dataset first loaded during the freeze is the committed one.
     After SIGCONT and COMMIT the next request sees the new data.
  3. A real `mapsolve ingest --replace` running while requests go on: each
     answer is the old document or the new one, never a mixture."""
import json
import os
import signal
import socket
import sqlite3
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_test_lib import (BIN, LLAMA_CSV, OPT_CSV, PROMPT, Server, Work, check, cli,  # noqa: E402
                            finish, ingest)

work = Work("faults")
try:
    db = work.db
    ingest(db, OPT_CSV, "opt", *PROMPT)

    # ---- 1. SIGKILL during a stored sweep --------------------------------
    srv = Server(db, "--threads", "2")
    n = 60000
    req = {"dataset": "opt", "random": n, "values": ["humor", "gpt2-helpful"], "seed": 5,
           "threads": 1, "store": True}
    body = json.dumps(req).encode()
    s = socket.create_connection((srv.host, srv.port), timeout=60)
    # HTTP/1.0: the stream is the rows themselves (no chunk framing).
    s.sendall(b"POST /api/sweep HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    f = s.makefile("rb")
    status = f.readline()
    sweep_id = None
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode().partition(":")
        if k.strip().lower() == "x-mapsolve-sweep-id":
            sweep_id = int(v)
    check("stored sweep: 200 with its id", status.startswith(b"HTTP/1.1 200") and sweep_id, status)
    last = -1
    while last < 600:
        line = f.readline()
        if not line:
            break
        last = json.loads(line)["row"]
    check("stored sweep: rows stream", last >= 600, last)
    h = srv.health()
    check("the sweep is running when the server is killed", h["sweeps_active"] == 1, h)
    srv.proc.kill()
    srv.proc.wait(timeout=60)
    check("killed by SIGKILL", srv.proc.returncode == -signal.SIGKILL, srv.proc.returncode)
    f.close()
    s.close()
    con = sqlite3.connect(db)
    check("after SIGKILL: PRAGMA integrity_check is ok",
          con.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    con.close()
    rc, out, err = cli("sweeps", "--json", "--db", db)
    info = [x for x in json.loads(out) if x["id"] == sweep_id]
    check("the sweep is stored, incomplete", len(info) == 1 and info[0]["complete"] == "no", out[:300])
    check("committed rows kept (at least 512)", info and info[0]["rows"] >= 512, info)
    rc, _, err = cli("sweep", "--resume", sweep_id, "--threads", "1", "--out", work.path("rest.csv"),
                     "--db", db)
    check("resume after SIGKILL: exit 0", rc == 0, err)
    rc, stored, err = cli("export", "opt", "--sweep", sweep_id, "--db", db)
    rc2, fresh, err2 = cli("sweep", "opt", "--random", n, "--values", "humor,gpt2-helpful", "--seed", 5,
                           "--threads", "1", "--db", db)
    check("kept + resumed rows are exactly the CLI's sweep", rc == 0 and rc2 == 0 and stored == fresh,
          (err, err2, len(stored), len(fresh)))

    # ---- 2. a writer frozen inside its write transaction -------------------
    sqlite3_bin = shutil.which("sqlite3")
    check("the sqlite3 shell is installed", sqlite3_bin is not None)
    ingest(db, LLAMA_CSV, "next", *PROMPT)
    srv = Server(db, "--threads", "2")
    solve = {"dataset": "opt", "palette": "humor=q70,gpt2-helpful=mean"}
    _, _, describe_old = srv.request("GET", "/api/datasets/opt")
    _, _, solve_old = srv.post("/api/solve", solve)
    _, _, list_old = srv.request("GET", "/api/datasets")
    rc, next_old, _ = cli("describe", "next", "--json", "--db", db)
    w = subprocess.Popen([sqlite3_bin, db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    w.stdin.write(b"PRAGMA foreign_keys = ON;\n.timeout 60000\nBEGIN IMMEDIATE;\n"
                  b"DELETE FROM dataset WHERE name = 'opt';\n"
                  b"UPDATE dataset SET name = 'opt', created = created + 1 WHERE name = 'next';\n"
                  b"SELECT 'in-transaction';\n")
    w.stdin.flush()
    marker = w.stdout.readline()
    check("the writer is inside its transaction", marker.strip() == b"in-transaction", marker)
    w.send_signal(signal.SIGSTOP)
    st1, _, describe_mid = srv.request("GET", "/api/datasets/opt")
    st2, _, solve_mid = srv.post("/api/solve", solve)
    st3, _, list_mid = srv.request("GET", "/api/datasets")
    st4, _, next_mid = srv.request("GET", "/api/datasets/next")  # first loaded now
    check("frozen writer: describe answered, unchanged", st1 == 200 and describe_mid == describe_old,
          describe_mid[:200])
    check("frozen writer: solve answered, unchanged", st2 == 200 and solve_mid == solve_old, solve_mid[:200])
    check("frozen writer: listing answered, unchanged", st3 == 200 and list_mid == list_old)
    check("frozen writer: a dataset loaded during it is the committed one",
          st4 == 200 and next_mid == next_old, next_mid[:200])
    w.send_signal(signal.SIGCONT)
    w.stdin.write(b"COMMIT;\nSELECT 'committed';\n")
    w.stdin.flush()
    marker = w.stdout.readline()
    w.stdin.close()
    w.wait(timeout=60)
    check("the writer committed", marker.strip() == b"committed" and w.returncode == 0,
          (marker, w.stderr.read()))
    st, _, describe_new = srv.request("GET", "/api/datasets/opt")
    rc, cli_new, _ = cli("describe", "opt", "--json", "--db", db)
    check("after COMMIT: the next request sees the new data",
          st == 200 and describe_new == cli_new and describe_new != describe_old, describe_new[:200])
    st, _, solve_new = srv.post("/api/solve", solve)
    rc, cli_solve, _ = cli("solve", "opt", "--palette", "humor=q70,gpt2-helpful=mean", "--json", "--db", db)
    check("after COMMIT: solve on the new samples", st == 200 and solve_new == cli_solve)
    st, _, _ = srv.request("GET", "/api/datasets/next")
    check("after COMMIT: the renamed dataset is gone (404)", st == 404, st)

    # ---- 3. a real ingest --replace while requests go on -------------------
    _, _, before = srv.post("/api/solve", solve)
    ing = subprocess.Popen([BIN, "ingest", OPT_CSV, "--name", "opt", "--replace", "--db", db] +
                           list(PROMPT), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    answers = []
    while ing.poll() is None and len(answers) < 2000:
        answers.append(srv.post("/api/solve", solve))
    ing.wait(timeout=120)
    answers.append(srv.post("/api/solve", solve))
    rc, after, _ = cli("solve", "opt", "--palette", "humor=q70,gpt2-helpful=mean", "--json", "--db", db)
    check("ingest --replace: exit 0", ing.returncode == 0, ing.stderr.read())
    torn = [a for a in answers if a[0] != 200 or a[2] not in (before, after)]
    check("during ingest --replace: every answer is the old or the new document", not torn,
          torn[:1])
    check("after ingest --replace: the new document", answers[-1][2] == after)
    check("SIGTERM: exit 0", srv.stop() == 0)
    con = sqlite3.connect(db)
    check("store integrity at the end", con.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    con.close()
finally:
    work.cleanup()
finish()
