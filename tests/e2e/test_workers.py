"""Worker supervision end to end: crashes, timeouts, restarts, scaling under
load, unregister draining, and the thread budget."""
import os
import shutil
import subprocess
import tempfile
import signal
import threading
import time
import unittest

from harness import BIN_DIR, HearthServer, fixture, read_fixture


class WorkerTest(unittest.TestCase):
    def setUp(self):
        self.server = HearthServer().start()

    def tearDown(self):
        self.server.cleanup()

    def slow(self, iterations, timeout=60):
        return self.server.infer("POST", "/predictions/slow", [float(iterations)], timeout=timeout)

    def test_sigkill_mid_request_answers_500_and_restarts(self):
        self.assertEqual(self.server.register("slow.mar", initial_workers=1).status, 200)
        pid = self.server.worker_pids("slow")[0]
        result = {}
        t = threading.Thread(target=lambda: result.update(r=self.slow(3000)))
        t.start()
        time.sleep(0.5)
        os.kill(pid, signal.SIGKILL)
        t.join()
        r = result["r"]
        self.assertIn(r.status, (500, 507), r)
        self.assertEqual(r.json()["message"], "Worker died.")
        # Restarted after the backoff, same worker id, new pid, serving again.
        self.server.wait_until(lambda: self.slow(1).status == 200, timeout=30, what="restarted worker")
        workers = self.server.describe("slow").json()[0]["workers"]
        self.assertEqual(len(workers), 1)
        self.assertNotEqual(workers[0]["pid"], pid)
        self.assertEqual(workers[0]["restarts"], 1)
        self.assertIn("died", self.server.log("ts_log.log"))

    def test_sigkill_mid_load_restarts(self):
        # batch_size 16 makes the warm-up at load time last a while.
        r = self.server.register("resnet18.mar", initial_workers=1, batch_size=16, synchronous="false")
        self.assertEqual(r.status, 202)
        pid = None
        deadline = time.time() + 30
        while time.time() < deadline and not pid:
            w = self.server.describe("resnet18").json()[0]["workers"]
            if w and w[0]["pid"] > 0 and w[0]["status"] == "STARTING":
                pid = w[0]["pid"]
            time.sleep(0.02)
        self.assertTrue(pid, "worker never seen loading")
        os.kill(pid, signal.SIGKILL)
        self.server.wait_until(lambda: self.server.describe("resnet18").json()[0]["workers"][0]["status"] == "READY",
                               timeout=60, what="worker READY after restart")
        w = self.server.describe("resnet18").json()[0]["workers"][0]
        self.assertNotEqual(w["pid"], pid)
        r = self.server.infer("POST", "/predictions/resnet18", read_fixture("images", "photo.jpg"))
        self.assertEqual(r.status, 200, r)

    def test_response_timeout_kills_and_restarts(self):
        r = self.server.register("slow.mar", initial_workers=1, response_timeout=1)
        self.assertEqual(r.status, 200)
        pid = self.server.worker_pids("slow")[0]
        start = time.time()
        r = self.slow(5000)
        self.assertEqual(r.status, 500, r)
        self.assertEqual(r.json()["message"], "Worker died.")
        self.assertLess(time.time() - start, 5)
        self.server.wait_until(lambda: self.slow(1).status == 200, timeout=30, what="worker after timeout")
        self.assertNotEqual(self.server.worker_pids("slow")[0], pid)

    def test_ping_unhealthy_while_below_min_workers(self):
        self.assertEqual(self.server.register("tiny.mar", initial_workers=1).status, 200)
        self.assertEqual(self.server.infer("GET", "/ping").status, 200)
        os.kill(self.server.worker_pids("tiny")[0], signal.SIGKILL)
        self.server.wait_until(lambda: self.server.infer("GET", "/ping").status == 500, timeout=5,
                               what="ping unhealthy")
        self.assertEqual(self.server.infer("GET", "/ping").json(), {"status": "Unhealthy"})
        self.server.wait_until(lambda: self.server.infer("GET", "/ping").status == 200, timeout=30,
                               what="ping healthy again")

    def test_crash_loses_only_the_batch_in_flight(self):
        self.assertEqual(self.server.register("slow.mar", initial_workers=2).status, 200)
        pids = self.server.worker_pids("slow")
        results = []
        lock = threading.Lock()

        def client():
            for _ in range(6):
                r = self.slow(40)
                with lock:
                    results.append(r)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.4)
        os.kill(pids[0], signal.SIGKILL)
        for t in threads:
            t.join()
        self.assertEqual(len(results), 24)
        failed = [r for r in results if r.status != 200]
        # Batch size 1 and both workers kept busy: exactly the one request the killed worker held fails,
        # and the slot comes back with a new process.
        self.assertEqual(len(failed), 1, failed)
        self.assertEqual(failed[0].json()["message"], "Worker died.")
        self.server.wait_until(lambda: all(w["status"] == "READY" for w in self.server.describe("slow").json()[0]["workers"]),
                               timeout=30, what="the killed worker back")
        workers = self.server.describe("slow").json()[0]["workers"]
        self.assertNotIn(pids[0], [w["pid"] for w in workers])
        self.assertEqual(sorted(w["restarts"] for w in workers), [0, 1])

    def test_scaling_under_load_answers_everything(self):
        self.assertEqual(self.server.register("tiny.mar", initial_workers=1).status, 200)
        stop = threading.Event()
        results = []

        def client():
            i = 0
            while not stop.is_set():
                r = self.server.infer("POST", "/predictions/tiny", [float(i)])
                results.append((i, r))
                i += 1

        threads = [threading.Thread(target=client) for _ in range(3)]
        for t in threads:
            t.start()
        for n in (3, 1, 2, 1):
            r = self.server.manage("PUT", "/models/tiny?min_worker=%d&synchronous=true" % n)
            self.assertEqual(r.status, 200, r)
            time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join()
        self.assertGreater(len(results), 20)
        for i, r in results:
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json(), [2.0 * i + 1.0])
        self.server.wait_until(lambda: len(self.server.worker_pids("tiny")) == 1, what="one worker left")

    def test_unregister_waits_for_in_flight_requests(self):
        self.assertEqual(self.server.register("slow.mar", initial_workers=1).status, 200)
        result = {}
        t = threading.Thread(target=lambda: result.update(r=self.slow(600)))
        t.start()
        time.sleep(0.3)
        r = self.server.manage("DELETE", "/models/slow")
        self.assertEqual(r.status, 200, r)
        t.join()
        self.assertEqual(result["r"].status, 200, result["r"])

    def test_thread_budget_never_exceeds_cores(self):
        cores = len(os.sched_getaffinity(0))
        self.assertEqual(self.server.register("tiny.mar", initial_workers=1).status, 200)
        threads = [w["intraOpThreads"] for w in self.server.describe("tiny").json()[0]["workers"]]
        self.assertEqual(threads, [cores])
        self.assertEqual(self.server.register("colors.mar", initial_workers=1).status, 200)

        def budget():
            total = 0
            for name in ("tiny", "colors"):
                total += sum(w["intraOpThreads"] for w in self.server.describe(name).json()[0]["workers"])
            return total

        # Two workers share the cores: the total is the core count (one each at least).
        self.server.wait_until(lambda: budget() == max(cores, 2), what="threads rebalanced")


class OwnThreadSettingsTest(unittest.TestCase):
    """A model's own OMP_NUM_THREADS (model-config.yaml envvars, or the
    server's environment) wins over Hearth's thread budget."""

    def setUp(self):
        self.store = tempfile.mkdtemp(prefix="hearth-threads-")
        with open(os.path.join(self.store, "threads.yaml"), "w") as f:
            f.write("envvars:\n  OMP_NUM_THREADS: 3\n")
        subprocess.check_call([os.path.join(BIN_DIR, "hearth-archiver"), "--model-name", "tiny3", "--version", "1.0",
                               "--serialized-file", fixture("models", "tiny.pt"), "--handler", "tensor",
                               "--config-file", os.path.join(self.store, "threads.yaml"), "--export-path",
                               self.store], stdout=subprocess.DEVNULL)
        shutil.copy(fixture("model_store", "tiny.mar"), self.store)

    def tearDown(self):
        shutil.rmtree(self.store, ignore_errors=True)

    def threads(self, server, name):
        return [w["intraOpThreads"] for w in server.describe(name).json()[0]["workers"]]

    def test_envvars_in_model_config_win_and_oversubscription_is_logged(self):
        server = HearthServer(model_store=self.store).start()
        try:
            self.assertEqual(server.register("tiny3.mar", initial_workers=1).status, 200)
            self.assertEqual(server.register("tiny.mar", initial_workers=1).status, 200)
            self.assertEqual(self.threads(server, "tiny3"), [3])
            self.assertEqual(server.infer("POST", "/predictions/tiny3", [1.0]).json(), [3.0])
            # The other model gets what is left of the budget: at least one thread.
            cores = len(os.sched_getaffinity(0))
            self.assertEqual(self.threads(server, "tiny"), [max(1, cores - 3)])
            if cores < 4:
                server.wait_until(lambda: "oversubscription" in server.log("model_log.log"),
                                  what="the oversubscription warning in model_log.log")
                line = [l for l in server.log("model_log.log").splitlines() if "oversubscription" in l][0]
                self.assertIn("OMP_NUM_THREADS=3 from model-config.yaml envvars", line)
        finally:
            server.cleanup()

    def test_the_servers_environment_is_every_models_own_setting(self):
        server = HearthServer(model_store=self.store, env={"OMP_NUM_THREADS": "1"}).start()
        try:
            self.assertEqual(server.register("tiny.mar", initial_workers=1).status, 200)
            self.assertEqual(self.threads(server, "tiny"), [1])  # not the budget of every core
            self.assertEqual(server.register("tiny3.mar", initial_workers=1).status, 200)
            self.assertEqual(self.threads(server, "tiny3"), [3])  # the model's own YAML wins over the environment
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
