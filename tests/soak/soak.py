#!/usr/bin/env python3
"""Soak test: mixed traffic against a real hearth for a bounded time.

Concurrent clients send predictions (tiny tensor model, small CNN with
images) and describes while a controller scales models up and down and
SIGKILLs a worker now and then. At the end it checks that every request got
exactly one answer with an allowed status (200, or 500/503/507 only around a
killed worker or a scale-down), that no request id was answered twice, and
that the server's RSS stayed flat after warm-up, and prints the figures.

  soak.py [--seconds 20] [--clients 6]   (HEARTH_BIN_DIR / HEARTH_FIXTURES as for the e2e tests)
"""
import argparse
import collections
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from harness import HearthServer, read_fixture  # noqa: E402


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=6)
    args = ap.parse_args()
    server = HearthServer({"metrics_mode": "prometheus"}).start()
    stop = threading.Event()
    lock = threading.Lock()
    statuses = collections.Counter()
    ids = collections.Counter()
    sent = [0]
    errors = []
    kills = [0]
    images = [read_fixture("images", n) for n in ("photo.jpg", "red.png", "blue.jpg")]
    try:
        assert server.register("tiny.mar", initial_workers=2).status == 200
        assert server.register("cnn.mar", initial_workers=1, batch_size=4, max_batch_delay=5).status == 200

        def client(seed):
            rnd = random.Random(seed)
            while not stop.is_set():
                kind = rnd.random()
                try:
                    with lock:
                        sent[0] += 1
                    if kind < 0.6:
                        x = rnd.random()
                        r = server.infer("POST", "/predictions/tiny", [x], timeout=60)
                        if r.status == 200 and abs(r.json()[0] - (2 * x + 1)) > 1e-4:
                            errors.append("wrong answer %r for %r" % (r.body, x))
                    elif kind < 0.9:
                        r = server.infer("POST", "/predictions/cnn", rnd.choice(images), timeout=60)
                    else:
                        r = server.manage("GET", "/models/tiny", timeout=60)
                    with lock:
                        statuses[r.status] += 1
                        rid = r.headers.get("x-request-id")
                        if rid:
                            ids[rid] += 1
                except Exception as e:  # no answer at all
                    with lock:
                        errors.append("no answer: %r" % e)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        start = time.time()
        warm_rss = None
        step = 0
        while time.time() - start < args.seconds:
            time.sleep(1.0)
            step += 1
            if warm_rss is None and time.time() - start > args.seconds / 3:
                warm_rss = rss_kb(server.proc.pid)
            if step % 5 == 0:
                pids = server.worker_pids("tiny")
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    kills[0] += 1
            elif step % 5 == 2:
                server.manage("PUT", "/models/tiny?min_worker=%d&synchronous=true" % random.choice([1, 2, 3]))
        stop.set()
        for t in threads:
            t.join()
        end_rss = rss_kb(server.proc.pid)
        metrics = server.metrics().body.decode()
        restarts = sum(int(l.rsplit(" ", 1)[1]) for l in metrics.splitlines()
                       if l.startswith("hearth_worker_restarts_total"))
        answered = sum(statuses.values())
        dup = [k for k, v in ids.items() if v > 1]
        print("soak: %.0f s, %d clients: %d requests, %d answered, statuses %s, %d worker kills, %d restarts, "
              "server RSS %d kB after warm-up -> %d kB at the end" % (
                  args.seconds, args.clients, sent[0], answered, dict(statuses), kills[0], restarts,
                  warm_rss or 0, end_rss))
        problems = list(errors)
        if answered != sent[0]:
            problems.append("%d requests without an answer" % (sent[0] - answered))
        if dup:
            problems.append("request ids answered twice: %s" % dup[:5])
        bad = {s: n for s, n in statuses.items() if s not in (200, 500, 503, 507)}
        if bad:
            problems.append("unexpected statuses %s" % bad)
        failed = statuses[500] + statuses[503] + statuses[507]
        if failed > max(20, answered * 0.05):
            problems.append("too many failed requests (%d of %d) for %d kills" % (failed, answered, kills[0]))
        if warm_rss and end_rss > warm_rss * 1.25 + 8192:
            problems.append("server RSS grew from %d kB to %d kB" % (warm_rss, end_rss))
        for p in problems:
            print("soak: PROBLEM:", p)
        return 1 if problems else 0
    finally:
        stop.set()
        server.cleanup()


if __name__ == "__main__":
    sys.exit(main())
