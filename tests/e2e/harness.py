"""Starts the real hearth server for end-to-end tests and talks HTTP to it.

Every HearthServer gets its own temporary directory (its working directory,
log directory, TMPDIR and so pid file and extraction root) and its own free
ports, so tests can run in parallel. Paths come from the environment that
CTest sets: HEARTH_BIN_DIR (build/bin) and HEARTH_FIXTURES (generated
models and archives).
"""
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

BIN_DIR = os.environ.get("HEARTH_BIN_DIR", os.path.join(os.path.dirname(__file__), "../../build/bin"))
FIXTURES = os.environ.get("HEARTH_FIXTURES", os.path.join(os.path.dirname(__file__), "../../build/fixtures"))
HEARTH = os.path.join(BIN_DIR, "hearth")


def free_port():
    """A free port below Linux's ephemeral range (32768-60999), so that no client connection of a test running
    beside this one can take it between now and the server's bind."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32000")


def concurrently(n, fn):
    """fn(0) ... fn(n-1) on n threads at once; their results in order."""
    results = [None] * n
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, fn(i))) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def fixture(*parts):
    return os.path.join(FIXTURES, *parts)


def read_fixture(*parts):
    with open(fixture(*parts), "rb") as f:
        return f.read()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def request(port, method, path, body=None, headers=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


class HearthServer:
    def __init__(self, config=None, model_store=None, extra_args=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="hearth-e2e-")
        self.inference_port = free_port()
        self.management_port = free_port()
        self.metrics_port = free_port()
        self.grpc_inference_port = free_port()
        self.grpc_management_port = free_port()
        # The fixtures' store is shared read-only; archives are extracted under TMPDIR.
        self.model_store = model_store or fixture("model_store")
        lines = {
            "inference_address": "http://127.0.0.1:%d" % self.inference_port,
            "management_address": "http://127.0.0.1:%d" % self.management_port,
            "metrics_address": "http://127.0.0.1:%d" % self.metrics_port,
            "grpc_inference_port": str(self.grpc_inference_port),
            "grpc_management_port": str(self.grpc_management_port),
            "enable_model_api": "true",
            "disable_token_authorization": "true",
        }
        lines.update(config or {})
        self.config_path = os.path.join(self.dir, "config.properties")
        with open(self.config_path, "w") as f:
            for k, v in lines.items():
                if v is not None:
                    f.write("%s=%s\n" % (k, v))
        self.args = ["--foreground", "--ncs", "--model-store", self.model_store, "--ts-config", self.config_path]
        self.args += extra_args or []
        self.env = dict(os.environ, TMPDIR=self.dir, **(env or {}))
        self.proc = None

    def start(self, wait=True):
        for attempt in range(3):
            self.stdout = open(os.path.join(self.dir, "stdout.log"), "wb")
            self.proc = subprocess.Popen([HEARTH] + self.args, cwd=self.dir, env=self.env, stdout=self.stdout,
                                         stderr=subprocess.STDOUT)
            if not wait:
                return self
            try:
                self.wait_for_ping()
                return self
            except AssertionError:
                # Another test may have bound one of our ports first: new ports, once more.
                if attempt == 2 or self.proc.poll() is None or "in use" not in self.output():
                    raise
                self.stdout.close()
                self._move_to_new_ports()
        return self

    def _move_to_new_ports(self):
        with open(self.config_path) as f:
            text = f.read()
        for attr in ("inference_port", "management_port", "metrics_port", "grpc_inference_port",
                     "grpc_management_port"):
            old, new = getattr(self, attr), free_port()
            text = re.sub(r"(?m)([:=])%d$" % old, r"\g<1>%d" % new, text)
            setattr(self, attr, new)
        with open(self.config_path, "w") as f:
            f.write(text)

    def wait_for_ping(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("hearth exited with %s:\n%s" % (self.proc.returncode, self.output()))
            try:
                request(self.inference_port, "GET", "/ping", timeout=2)
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("hearth did not answer /ping within %ss:\n%s" % (timeout, self.output()))

    def output(self):
        try:
            with open(os.path.join(self.dir, "stdout.log"), "rb") as f:
                return f.read().decode(errors="replace")[-6000:]
        except OSError:
            return ""

    def log(self, name):
        path = os.path.join(self.dir, "logs", name)
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_with(self, name, *lines, timeout=10):
        """The log file once it holds every one of `lines` (logs are flushed
        once a second, warnings at once); fails naming what never came."""
        self.wait_until(lambda: all(line in self.log(name) for line in lines), timeout=timeout,
                        what="%r in %s" % (lines, name))
        return self.log(name)

    def stop(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.stdout.close()
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # HTTP helpers
    def infer(self, method, path, body=None, headers=None, timeout=60):
        return request(self.inference_port, method, path, body, headers, timeout)

    def manage(self, method, path, body=None, headers=None, timeout=120):
        return request(self.management_port, method, path, body, headers, timeout)

    def metrics(self, path="/metrics"):
        return request(self.metrics_port, "GET", path)

    def register(self, url, **params):
        params.setdefault("synchronous", "true")
        query = "&".join("%s=%s" % (k, v) for k, v in dict(url=url, **params).items())
        return self.manage("POST", "/models?" + query)

    def describe(self, name, version=None):
        path = "/models/" + name + ("/" + version if version else "")
        return self.manage("GET", path)

    def worker_pids(self, name):
        r = self.describe(name)
        assert r.status == 200, r
        return [w["pid"] for w in r.json()[0]["workers"]]

    def wait_until(self, predicate, timeout=30, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError("timed out waiting for %s\n%s" % (what, self.output()))


class ServerTestCase(unittest.TestCase):
    """A test case with one server per test class (override CONFIG)."""

    CONFIG = {}

    @classmethod
    def setUpClass(cls):
        cls.server = HearthServer(cls.CONFIG).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
