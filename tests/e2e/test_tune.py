"""hearth-tune end to end: a small model tuned in a short budget on the real
server; the config it writes serves; a resumed run measures nothing again;
an SLO no configuration meets is said so; bad options are named."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN_DIR, HearthServer, fixture

TUNE = os.path.join(BIN_DIR, "hearth-tune")


def read(path):
    with open(path) as f:
        return f.read()


class TuneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="hearth-tune-")
        cls.store = os.path.join(cls.dir, "store")
        os.makedirs(cls.store)
        shutil.copy(fixture("model_store", "tiny.mar"), cls.store)
        cls.input = os.path.join(cls.dir, "tiny.json")
        with open(cls.input, "w") as f:
            json.dump([1.0, 2.0], f)
        cls.out = os.path.join(cls.dir, "out")
        cls.first = cls.tune("--out", cls.out, "--precisions", "fp32,ipex")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def tune(cls, *args):
        argv = [TUNE, "--model-store", cls.store, "--models", "tiny=tiny.mar", "--input", cls.input,
                "--content-type", "application/json", "--seconds-per-candidate", "1"]
        if "--budget-minutes" not in args:
            argv += ["--budget-minutes", "3"]
        return subprocess.run(argv + list(args), capture_output=True, text=True, timeout=600)

    def test_the_search_reports_every_candidate_and_a_winner(self):
        self.assertEqual(self.first.returncode, 0, self.first.stdout + self.first.stderr)
        self.assertIn("winner:", self.first.stdout)
        report = read(os.path.join(self.out, "report.md"))
        self.assertIn("## Winner:", report)
        self.assertIn("Bottleneck:", report)
        self.assertIn("| default |", report)
        self.assertIn("| ipex guide |", report)
        self.assertIn("| tuned |", report)
        state = json.loads(read(os.path.join(self.out, "state.json")))
        labels = [t["candidate"] for t in state["tried"]]
        cores = len(os.sched_getaffinity(0))
        self.assertGreaterEqual(len(labels), 2)
        # Every layout of the core count was tried first: a worker count per divisor, batch 1.
        layouts = [(w, cores // w) for w in range(1, cores + 1) if cores % w == 0]
        self.assertEqual([(c["workers"], c["threads"], c["batch_size"]) for c in labels[:len(layouts)]],
                         [(w, t, 1) for w, t in layouts])
        for t in state["tried"]:
            self.assertTrue(t["measurement"]["ok"], t)
            self.assertGreater(t["measurement"]["throughput"], 0)
        ipex = [t for t in state["tried"] if t["candidate"]["precision"] == "ipex"]
        self.assertTrue(ipex, "the second precision was measured")
        self.assertEqual(ipex[0]["measurement"]["agreement"], 1.0)

    def test_the_written_config_serves(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        config = read(os.path.join(self.out, "config.properties"))
        self.assertIn("load_models=tiny=", config)
        self.assertIn("cpu_launcher_enable=true", config)
        yaml = read(os.path.join(self.out, "model-config.yaml"))
        self.assertIn("batchSize:", yaml)
        # Serve it as written (ports and auth changed for the test only).
        server = HearthServer(model_store=os.path.join(self.out, "model_store"))
        with open(server.config_path, "a") as f:
            for line in config.splitlines():
                if line.startswith(("load_models", "models", "cpu_launcher_enable", "batch_closing", "ipex_enable",
                                    "ipex_dtype")):
                    f.write(line + "\n")
        server.start()
        try:
            server.wait_until(lambda: server.infer("POST", "/predictions/tiny", [1.0, 2.0]).status == 200,
                              timeout=60, what="the tuned model serving")
            self.assertEqual(server.infer("POST", "/predictions/tiny", [1.0, 2.0]).json(), [3.0, 5.0])
            workers = server.describe("tiny").json()[0]
            models = [l for l in config.splitlines() if l.startswith("models=")][0]
            self.assertEqual(workers["minWorkers"], json.loads(models[len("models="):])["tiny"]["1.0"]["minWorkers"])
        finally:
            server.cleanup()

    def test_a_second_run_resumes_and_measures_nothing_again(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        resumed = os.path.join(self.dir, "resumed")
        shutil.copytree(self.out, resumed)
        again = self.tune("--out", resumed, "--precisions", "fp32,ipex", "--no-confirm")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("resuming:", again.stdout)
        self.assertNotIn("<- best so far", again.stdout)  # no candidate measured anew

    def test_an_slo_nobody_meets_is_reported_not_relaxed(self):
        out = os.path.join(self.dir, "slo")
        r = self.tune("--out", out, "--slo-p99-ms", "0.001", "--no-confirm", "--precisions", "fp32")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("none met p99 <= 0.0 ms", r.stderr)
        report = read(os.path.join(out, "report.md"))
        self.assertIn("No usable configuration", report)
        self.assertIn("no rate met the SLO", report)
        self.assertFalse(os.path.exists(os.path.join(out, "config.properties")))

    def test_an_slo_picks_the_most_throughput_that_meets_it(self):
        out = os.path.join(self.dir, "slo_ok")
        r = self.tune("--out", out, "--slo-p99-ms", "200", "--no-confirm", "--precisions", "fp32",
                      "--budget-minutes", "1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        state = json.loads(read(os.path.join(out, "state.json")))
        rates = [t["measurement"]["slo_rate"] for t in state["tried"]]
        self.assertGreater(max(rates), 0, rates)  # a tiny model meets 200 ms at some rate
        # The winner is the configuration with the most throughput within the SLO (ties within 2% go to the first).
        config = read(os.path.join(out, "config.properties"))
        self.assertIn("load_models=tiny=", config)
        report = read(os.path.join(out, "report.md"))
        self.assertIn("within a p99 latency SLO (open loop), p99 <= 200.0 ms", report)
        self.assertRegex(report, r"req/s at p99 [0-9.]+ ms")

    def test_bad_options_are_named(self):
        r = subprocess.run([TUNE, "--model-store", self.store, "--models", "tiny", "--input", self.input],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--models must be NAME=FILE.mar", r.stderr)
        r = subprocess.run([TUNE, "--model-store", self.store, "--models", "x=missing.mar", "--input", self.input,
                            "--out", os.path.join(self.dir, "bad")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing.mar is not a file", r.stderr)
        r = subprocess.run([TUNE, "--model-store", self.store, "--models", "tiny=tiny.mar", "--input", self.input,
                            "--precisions", "fp8"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown precision \"fp8\"", r.stderr)


if __name__ == "__main__":
    unittest.main()
