"""serve_test_lib.py — what the tests of `mapsolve serve` share: a scratch
folder with a store holding the real datasets, the server started on a free
port (--port 0; the port read back from its "listening on" line) and made
ready by polling /api/health a bounded number of times, HTTP requests, the
CLI run for comparison, and the check / finish bookkeeping of tests/lib.sh
("N passed, M failed", exit status 1 on any failure).

Environment: MAPSOLVE_BIN (the binary), MAP_SHARED (../shared: the real
datasets)."""
import atexit
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("MAPSOLVE_BIN", "build/cli/mapsolve")
SHARED = os.environ.get("MAP_SHARED", "../shared")
OPT_CSV = os.path.join(SHARED, "datasets", "map-opt1.3b-hh.csv")
LLAMA_CSV = os.path.join(SHARED, "datasets", "map-llama2chat-hh.csv")
# The ingest flags of the real datasets: prompts and the generated text.
PROMPT = ("--prompt-column", "prompt", "--text-columns", "generated")

PASS = 0
FAIL = 0


def check(desc, ok, detail=""):
    """One assertion: counted, and printed with detail when it fails."""
    global PASS, FAIL
    if ok:
        PASS += 1
    else:
        FAIL += 1
        print("FAIL %s%s" % (desc, (": " + str(detail)[:800]) if detail else ""), file=sys.stderr)
    return ok


def finish():
    print("%d passed, %d failed" % (PASS, FAIL))
    sys.exit(1 if FAIL else 0)


class Work:
    """A scratch folder removed at exit, with the store db in it."""

    def __init__(self, prefix):
        self.dir = tempfile.mkdtemp(prefix="mapsolve-%s." % prefix)
        self.db = os.path.join(self.dir, "main.db")

    def path(self, name):
        return os.path.join(self.dir, name)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def cli(*args, stdin=None):
    """Runs the binary; returns (exit status, stdout bytes, stderr text)."""
    p = subprocess.run([BIN] + [str(a) for a in args], input=stdin, capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def ingest(db, csv, name, *extra):
    rc, _, err = cli("ingest", csv, "--name", name, "--db", db, *extra)
    if rc != 0:
        raise RuntimeError("ingest failed: " + err)


_started = []


@atexit.register
def _kill_left_over():
    """A test that stops early (an exception) leaves no server running."""
    for p in _started:
        if p.poll() is None:
            p.kill()
            p.wait()


class Server:
    """`mapsolve serve` on a free port; stop() sends SIGTERM and waits."""

    def __init__(self, db, *args, env=None, token=None):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([BIN, "serve", "--db", db, "--port", "0"] + [str(a) for a in args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _started.append(self.proc)
        # The first stderr line says where it listens (or why it cannot).
        line = self.proc.stderr.readline().decode("utf-8", "replace").strip()
        if not line.startswith("listening on http://"):
            self.proc.wait(timeout=30)
            raise RuntimeError("serve did not start: %r (exit %s)" % (line, self.proc.returncode))
        hostport = line[len("listening on http://"):]
        self.host, _, port = hostport.rpartition(":")
        self.host = self.host.strip("[]")
        self.port = int(port)
        self.token = token
        self.wait_ready()

    def wait_ready(self, tries=200):
        """Polls /api/health until it answers 200 (bounded)."""
        for _ in range(tries):
            try:
                status, _, _ = self.request("GET", "/api/health")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("serve never answered /api/health")

    def wait_health(self, pred, tries, delay):
        """Polls /api/health until pred(health) holds, at most tries times,
        delay seconds apart: returns the last health read (None if tries
        is 0), whether pred held or not."""
        h = None
        for _ in range(tries):
            h = self.health()
            if pred(h):
                return h
            time.sleep(delay)
        return h

    def request(self, method, path, body=None, headers=None, token=None):
        """One request on a fresh connection: (status, headers dict, body bytes)."""
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        h = dict(headers or {})
        tok = token if token is not None else self.token
        if tok:
            h["Authorization"] = "Bearer " + tok
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, hdrs, data

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def health(self):
        _, _, data = self.request("GET", "/api/health")
        return json.loads(data)

    def stop(self, sig=signal.SIGTERM):
        """Sends sig and returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=60)
        rest = self.proc.stderr.read().decode("utf-8", "replace")
        self.proc.stderr.close()
        if rc == 0 and "runtime error:" in rest:  # undefined behaviour, reported and survived
            rc = 99
        if rc != 0:  # say why (a sanitizer's report, say)
            print("serve exited with %s; its stderr:\n%s" % (rc, rest[-6000:]), file=sys.stderr)
        return rc


def raw_request(path, body, headers=None, method=b"POST"):
    """The bytes of an HTTP/1.1 request for path with body (bytes) and a
    Content-Length, Host: x, and headers (a dict of bytes) before it."""
    hs = b"".join(b"%s: %s\r\n" % (k, v) for k, v in (headers or {}).items())
    return (method + b" " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + hs +
            b"Content-Length: %d\r\n\r\n" % len(body) + body)


def raw_exchange(host, port, data, timeout=30, shutdown=False):
    """Sends data on a new connection (optionally half-closing it) and reads
    until the server closes or a complete response with Content-Length has
    arrived: returns the bytes read (b"" when closed without answer)."""
    import socket
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        try:
            s.sendall(data)
            if shutdown:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        return read_response(s)
    finally:
        s.close()


def read_response(s):
    """Reads from socket s until the server closes or a complete response
    with Content-Length has arrived: returns the bytes read."""
    got = b""
    while True:
        try:
            chunk = s.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
        head, sep, body = got.partition(b"\r\n\r\n")
        if sep:
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length" and len(body) >= int(v.strip()):
                    return got
    return got


def parse_response(got):
    """(status, headers dict, body) of a raw HTTP/1.1 response; status 0 if none."""
    head, sep, body = got.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/1."):
        return 0, {}, b""
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        hdrs[k.strip().lower().decode()] = v.strip().decode("latin-1")
    return status, hdrs, body
