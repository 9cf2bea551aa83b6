"""hearth-bench end to end: it starts hearth itself for each configuration,
benchmarks a tiny model for a few hundred requests, and writes reports whose
files exist, parse, carry benchmark-ab's columns and agree with the request
counts; it also benchmarks an already running server."""
import csv
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN_DIR, HearthServer, fixture, free_port

BENCH = os.path.join(BIN_DIR, "hearth-bench")
AB_COLUMNS = [
    "Benchmark", "TS failed requests", "TS throughput", "TS latency P50", "TS latency P90", "TS latency P99",
    "TS latency mean", "TS error rate", "Batch size", "Batch delay", "Workers", "Model", "Concurrency", "Input",
    "Requests", "Model_p50", "Model_p90", "Model_p99", "Queue time p50", "Queue time p90", "Queue time p99",
    "predict_mean", "handler_time_mean", "waiting_time_mean", "worker_thread_mean", "cpu_percentage_mean",
    "memory_percentage_mean", "gpu_percentage_mean", "gpu_memory_percentage_mean", "gpu_memory_used_mean"]


class BenchReportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="hearth-bench-e2e-")
        self.body = os.path.join(self.dir, "sample.json")
        with open(self.body, "w") as f:
            f.write("[1.0]")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def bench(self, *args, timeout=300):
        env = dict(os.environ, TMPDIR=self.dir)
        return subprocess.run([BENCH] + list(args), capture_output=True, text=True, timeout=timeout, env=env)

    def test_compare_two_configurations_and_write_the_report(self):
        report = os.path.join(self.dir, "report")
        r = self.bench("--url", fixture("model_store", "tiny.mar"), "-i", self.body, "-c", "1,2", "-r", "150",
                       "--warmup", "20", "--compare", "label=one worker", "workers=2,batch_size=2,label=two workers",
                       "--report-location", report)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn("one worker", r.stdout)  # the terminal table
        for name in ("report.md", "report.csv", "report.json", "throughput.png", "latency.png", "histogram.png",
                     "cpu.png"):
            self.assertTrue(os.path.getsize(os.path.join(report, name)) > 0, name)
        for png in ("throughput.png", "cpu.png"):
            with open(os.path.join(report, png), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        with open(os.path.join(report, "report.csv")) as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0][:len(AB_COLUMNS)], AB_COLUMNS)
        table = [dict(zip(rows[0], row)) for row in rows[1:]]
        self.assertEqual([(t["Benchmark"], t["Concurrency"]) for t in table],
                         [("one worker", "1"), ("one worker", "2"), ("two workers", "1"), ("two workers", "2")])
        for t in table:
            self.assertEqual(t["Requests"], "150")
            self.assertEqual(t["TS failed requests"], "0")
            self.assertGreater(float(t["TS throughput"]), 0)
            self.assertLessEqual(float(t["TS latency P50"]), float(t["TS latency P99"]))
            self.assertEqual(t["Server split"], "histograms")  # queue/inference from hearth's /metrics
            self.assertGreater(float(t["Server RSS MB"]), 0)
            # benchmark-ab's server-side columns, from hearth's histograms and the host's /proc.
            for column in ("predict_mean", "handler_time_mean", "waiting_time_mean", "worker_thread_mean",
                           "Model_p50", "cpu_percentage_mean"):
                self.assertGreaterEqual(float(t[column]), 0, column)
            self.assertLessEqual(float(t["handler_time_mean"]), float(t["predict_mean"]) + 0.01)
            self.assertTrue(0 < float(t["memory_percentage_mean"]) < 100, t["memory_percentage_mean"])
        self.assertEqual(table[2]["Workers"], "2")
        self.assertEqual(table[2]["Batch size"], "2")
        with open(os.path.join(report, "report.json")) as f:
            j = json.load(f)
        self.assertEqual(len(j["rows"]), 4)
        self.assertEqual(sum(run["ok"] + run["errors"] for run in j["runs"]), 4 * 150)
        self.assertEqual(j["rows"][0]["ratio_to_first"], 1.0)
        with open(os.path.join(report, "report.md")) as f:
            md = f.read()
        self.assertIn("| two workers | 2 |", md)
        self.assertIn("![cpu](cpu.png)", md)

    def test_running_server_target(self):
        server = HearthServer({"metrics_mode": "prometheus"}).start()
        try:
            self.assertEqual(server.register("tiny.mar", initial_workers=1).status, 200)
            report = os.path.join(self.dir, "target")
            r = self.bench("--target", "http://127.0.0.1:%d/predictions/tiny" % server.inference_port, "-i", self.body,
                           "-c", "2", "-r", "200", "--warmup", "10",
                           "--metrics-url", "http://127.0.0.1:%d/metrics" % server.metrics_port,
                           "--pid", str(server.proc.pid), "--report-location", report)
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            with open(os.path.join(report, "report.json")) as f:
                row = json.load(f)["rows"][0]
            self.assertEqual(row["requests"], 200)
            self.assertEqual(row["server_split"]["requests"], 200)  # the warm-up is not counted
            self.assertGreater(row["server_rss_mb_max"], 0)
        finally:
            server.cleanup()

    def test_raw_baseline_row_and_ratio(self):
        report = os.path.join(self.dir, "raw")
        r = self.bench("--url", fixture("model_store", "tiny.mar"), "-i", self.body, "-c", "1", "-r", "100",
                       "--raw-baseline", "--raw-iterations", "30", "--report-location", report)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        with open(os.path.join(report, "report.json")) as f:
            rows = {row["label"]: row for row in json.load(f)["rows"]}
        self.assertEqual(rows["raw"]["kind"], "raw")
        self.assertGreater(rows["raw"]["throughput"], 0)
        served = rows["hearth"]
        self.assertAlmostEqual(served["ratio_to_raw"], served["throughput"] / rows["raw"]["throughput"], places=6)

    def test_benchmark_ab_command_line(self):
        # benchmark-ab.py's spelling: click-style aliases, valued booleans, a JSON --config; its ab_report.csv.
        report = os.path.join(self.dir, "ab")
        plan = os.path.join(self.dir, "plan.json")
        with open(plan, "w") as f:
            json.dump({"url": fixture("model_store", "tiny.mar"), "concurrency": 2, "requests": 120}, f)
        r = self.bench("--config", plan, "-i", self.body, "-ic", "application/json", "-bs", "2", "-bd", "5",
                       "-w", "1", "-imu", "predictions/benchmark", "-rl", report, "-gg", "True", "-bp", "False",
                       "-hp", "True")
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        with open(os.path.join(report, "benchmark", "ab_report.csv")) as f:
            rows = list(csv.reader(f))
        # -hp adds benchmark-ab's handler profiling columns.
        self.assertEqual(rows[0], AB_COLUMNS + ["handler_preprocess_mean", "handler_inference_mean",
                                                "handler_postprocess_mean"])
        self.assertEqual(len(rows), 2)
        row = dict(zip(rows[0], rows[1]))
        self.assertEqual((row["Batch size"], row["Batch delay"], row["Concurrency"], row["Requests"]),
                         ("2", "5", "2", "120"))
        self.assertEqual(row["TS failed requests"], "0")
        phases = [float(row[c]) for c in ("handler_preprocess_mean", "handler_inference_mean", "handler_postprocess_mean")]
        self.assertAlmostEqual(sum(phases), float(row["handler_time_mean"]), delta=0.02)
        r = self.bench("vgg11_1000r_10c")
        self.assertEqual(r.returncode, 2)
        self.assertIn("presets", r.stderr)

    def test_grpc_closed_and_open_loop(self):
        server = HearthServer().start()
        try:
            self.assertEqual(server.register("tiny.mar", initial_workers=1).status, 200)
            body = os.path.join(self.dir, "v2.json")
            with open(body, "w") as f:
                json.dump({"inputs": [{"name": "input-0", "datatype": "FP32", "shape": [1, 1], "data": [1.0]}]}, f)
            target = "127.0.0.1:%d" % server.grpc_inference_port
            r = self.bench("--grpc", "--target", target, "--model", "tiny", "-i", body, "-c", "2", "-r", "200",
                           "--warmup", "10", "--json")
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            closed = json.loads(r.stdout)[0]
            self.assertEqual((closed["ok"], closed["errors"]), (200, 0))
            # Open loop: Poisson arrivals at 100/s for 1.5 s; the rate measured follows the rate asked.
            r = self.bench("--grpc", "--target", target, "--model", "tiny", "-i", body, "-c", "4", "--rate", "100",
                           "--duration", "1.5", "--warmup", "10", "--json")
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            opened = json.loads(r.stdout)[0]
            self.assertEqual(opened["errors"], 0)
            self.assertTrue(60 <= opened["throughput"] <= 140, opened)
        finally:
            server.cleanup()

    def test_unreachable_target_is_a_clear_error(self):
        port = free_port()  # nothing listens there
        r = self.bench("--target", "http://127.0.0.1:%d/predictions/tiny" % port, "-i", self.body, "-r", "10",
                       "--json", timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot connect to 127.0.0.1:%d: Connection refused" % port, r.stderr)

    def test_bad_archive_is_a_clear_error(self):
        r = self.bench("--url", os.path.join(self.dir, "missing.mar"), "-i", self.body, "-r", "10")
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.mar does not exist", r.stderr)


if __name__ == "__main__":
    unittest.main()
