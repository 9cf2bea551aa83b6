"""Metrics end to end: TorchServe's Prometheus names and format, Hearth's
histograms and runtime gauges, metrics_mode legacy and log."""
import os
import re
import signal
import time
import unittest

from harness import HearthServer, read_fixture


class PrometheusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = HearthServer({"metrics_mode": "prometheus", "metric_time_interval": "1"}).start()
        assert cls.server.register("tiny.mar", initial_workers=1, batch_size=4, max_batch_delay=20).status == 200
        for i in range(5):
            cls.server.infer("POST", "/predictions/tiny", [float(i)])
        cls.server.infer("POST", "/predictions/tiny/1.0", [1.0])
        cls.server.infer("POST", "/predictions/nope", [1.0])

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_torchserve_metrics(self):
        r = self.server.metrics()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        text = r.body.decode()
        self.assertRegex(text, r'Requests2XX\{Level="Host",Hostname=".*",\} \d+\.\d+')
        self.assertIn("# TYPE Requests4XX counter", text)
        self.assertRegex(text, r'ts_inference_requests_total\{model_name="tiny",model_version="default",'
                               r'hostname=".*",\} [5-9]\.0')
        self.assertRegex(text, r'ts_inference_requests_total\{model_name="tiny",model_version="1\.0",hostname=".*",\} 1\.0')
        self.assertRegex(text, r'ts_inference_latency_microseconds\{model_name="tiny",model_version="default",'
                               r'hostname=".*",\} \d')
        self.assertIn("# HELP ts_queue_latency_microseconds Torchserve prometheus counter metric with unit: Microseconds",
                      text)

    def test_histograms_and_runtime_gauges(self):
        text = self.server.metrics().body.decode()
        m = re.search(r'hearth_request_latency_seconds_count\{model_name="tiny",model_version="1\.0"\} (\d+)', text)
        self.assertTrue(m, text)
        self.assertGreaterEqual(int(m.group(1)), 6)
        self.assertRegex(text, r'hearth_request_latency_seconds_bucket\{model_name="tiny",model_version="1\.0",'
                               r'le="\+Inf"\} %s' % m.group(1))
        self.assertIn("# TYPE hearth_batch_size histogram", text)
        self.assertRegex(text, r'hearth_batch_size_bucket\{model_name="tiny",model_version="1\.0",le="4"\} \d+')
        self.assertRegex(text, r'hearth_queue_depth\{model_name="tiny",model_version="1\.0"\} 0')
        self.assertRegex(text, r'hearth_live_workers\{model_name="tiny",model_version="1\.0"\} 1')
        self.assertRegex(text, r'hearth_worker_rss_bytes\{model_name="tiny",model_version="1\.0",worker="\d+"\} \d{6,}')
        self.assertRegex(text, r'hearth_worker_cpu_seconds_total\{.*worker="\d+"\} \d+\.\d\d')
        self.assertRegex(text, r'hearth_worker_restarts_total\{.*\} \d+')

    def test_torchserve_gauges(self):
        # Per batch (HandlerTime, PredictionTime, QueueTime, WorkerThreadTime), per worker load,
        # and the host every metric_time_interval.
        self.server.wait_until(lambda: "CPUUtilization{" in self.server.metrics().body.decode(), what="host gauges")
        text = self.server.metrics().body.decode()
        self.assertIn("# TYPE HandlerTime gauge", text)
        handler = re.search(r'HandlerTime\{ModelName="tiny",Level="Model",Hostname=".*",\} (\d+\.\d+)', text)
        prediction = re.search(r'PredictionTime\{ModelName="tiny",Level="Model",Hostname=".*",\} (\d+\.\d+)', text)
        self.assertTrue(handler and prediction, text)
        self.assertLessEqual(float(handler.group(1)), float(prediction.group(1)) + 0.01)
        self.assertRegex(text, r'QueueTime\{Level="Host",Hostname=".*",\} \d+\.\d+')
        self.assertRegex(text, r'WorkerThreadTime\{Level="Host",Hostname=".*",\} \d+\.\d+')
        self.assertRegex(text, r'WorkerLoadTime\{WorkerName="W-\d+-tiny_1\.0",Level="Host",Hostname=".*",\} \d+')
        cpu = re.search(r'CPUUtilization\{Level="Host",Hostname=".*",\} (\S+)', text)
        self.assertTrue(0 <= float(cpu.group(1)) <= 100, cpu.group(1))
        mem = re.search(r'MemoryUtilization\{Level="Host",Hostname=".*",\} (\S+)', text)
        self.assertTrue(0 < float(mem.group(1)) < 100, mem.group(1))
        self.assertRegex(text, r'DiskAvailable\{Level="Host",Hostname=".*",\} \d+\.\d+')
        self.assertRegex(text, r'hearth_handler_time_seconds_count\{model_name="tiny",model_version="1\.0"\} [1-9]')
        self.assertRegex(text, r'hearth_prediction_time_seconds_count\{model_name="tiny",model_version="1\.0"\} [1-9]')
        for phase in ("preprocess", "forward", "postprocess"):
            self.assertRegex(text, r'hearth_%s_time_seconds_count\{model_name="tiny",model_version="1\.0"\} [1-9]' % phase)

    def test_restarts_counted(self):
        pid = self.server.worker_pids("tiny")[0]
        os.kill(pid, signal.SIGKILL)
        self.server.wait_until(lambda: self.server.infer("POST", "/predictions/tiny", [1.0]).status == 200,
                               what="restart")
        self.assertRegex(self.server.metrics().body.decode(), r'hearth_worker_restarts_total\{.*\} 1')

    def test_name_filter(self):
        text = self.server.metrics("/metrics?name[]=Requests2XX").body.decode()
        self.assertIn("Requests2XX", text)
        self.assertNotIn("ts_inference_requests_total", text)


class MetricModesTest(unittest.TestCase):
    def test_legacy_and_log_modes(self):
        legacy = HearthServer({"metrics_mode": "legacy"}).start()
        try:
            legacy.register("tiny.mar", initial_workers=1)
            legacy.infer("POST", "/predictions/tiny", [1.0])
            text = legacy.metrics().body.decode()
            self.assertIn("ts_inference_requests_total", text)
            self.assertNotIn("Requests2XX", text)
            self.assertNotIn("hearth_", text)
        finally:
            legacy.cleanup()
        log = HearthServer({"metrics_mode": "log", "metric_time_interval": "1"}).start()
        try:
            log.infer("GET", "/ping")
            self.assertEqual(log.register("tiny.mar", initial_workers=1).status, 200)
            self.assertEqual(log.infer("POST", "/predictions/tiny", [1.0]).status, 200)
            self.assertEqual(log.metrics().body, b"")
            time.sleep(2.5)
            text = log.log("ts_metrics.log")
            self.assertRegex(text, r"Requests2XX\.Count:\d+\.0\|#Level:Host\|#hostname:.*,timestamp:\d+")
            self.assertRegex(text, r"QueueTime\.Milliseconds:\d+\.\d+\|#Level:Host\|#hostname:.*,timestamp:\d+")
            self.assertRegex(text, r"WorkerThreadTime\.Milliseconds:\d+\.\d+\|#Level:Host\|")
            self.assertRegex(text, r"WorkerLoadTime\.Milliseconds:\d+\.\d+\|#WorkerName:W-\d+-tiny_1\.0,Level:Host\|")
            self.assertRegex(text, r"CPUUtilization\.Percent:\d+\.\d+\|#Level:Host\|#hostname:.*,timestamp:\d+")
            self.assertRegex(text, r"MemoryUsed\.Megabytes:\d+\.\d+\|#Level:Host\|")
            # Per batch, the request ids of the batch, as TorchServe's backend writes them.
            model = log.log("model_metrics.log")
            self.assertRegex(model, r"HandlerTime\.ms:\d+\.\d+\|#ModelName:tiny,Level:Model\|#hostname:.*,"
                                    r"requestID:[0-9a-f-]+,timestamp:\d+")
            self.assertRegex(model, r"PredictionTime\.ms:\d+\.\d+\|#ModelName:tiny,Level:Model\|")
        finally:
            log.cleanup()


RESTRICTED_METRICS_YAML = """
dimensions:
  - &level "Level"
  - &hostname "Hostname"
  - &model_name "ModelName"
ts_metrics:
  counter:
    - name: Requests2XX
      unit: Requests
      dimensions: [*level, *hostname]
  gauge:
    - name: MemoryUsed
      unit: MiB
      dimensions: [*level, *hostname]
model_metrics:
  gauge:
    - name: HandlerTime
      unit: Milliseconds
      dimensions: [*model_name, *level]
    - name: MyCustomMetric
      unit: Count
      dimensions: []
"""


class MetricsConfigTest(unittest.TestCase):
    def test_only_listed_metrics_with_their_units(self):
        server = HearthServer({"metrics_mode": "prometheus", "metric_time_interval": "1"})
        path = os.path.join(server.dir, "metrics.yaml")
        with open(path, "w") as f:
            f.write(RESTRICTED_METRICS_YAML)
        with open(server.config_path, "a") as f:
            f.write("metrics_config=%s\n" % path)
        server.start()
        try:
            self.assertEqual(server.register("tiny.mar", initial_workers=1).status, 200)
            self.assertEqual(server.infer("POST", "/predictions/tiny", [1.0]).status, 200)
            # A host sample has been taken once the listed host gauge shows; the unlisted ones
            # (CPUUtilization) must still be absent then.
            server.wait_until(lambda: "MemoryUsed{" in server.metrics().body.decode(), timeout=10,
                              what="a host metrics sample")
            text = server.metrics().body.decode()
            self.assertIn("# HELP MemoryUsed Torchserve prometheus gauge metric with unit: MiB", text)
            self.assertIn("# HELP Requests2XX Torchserve prometheus counter metric with unit: Requests", text)
            self.assertIn("# HELP HandlerTime Torchserve prometheus gauge metric with unit: Milliseconds", text)
            self.assertRegex(text, r'HandlerTime\{ModelName="tiny",Level="Model",Hostname=".*",\} \d')
            for absent in ("Requests4XX", "ts_inference_requests_total", "QueueTime", "PredictionTime",
                           "WorkerLoadTime", "CPUUtilization", "MyCustomMetric"):
                self.assertNotRegex(text, r"(?m)^(# TYPE )?%s[{ ]" % absent)
            self.assertIn("hearth_request_latency_seconds_count", text)  # Hearth's own are not governed
        finally:
            server.cleanup()

    def test_malformed_file_names_file_and_field(self):
        server = HearthServer()
        path = os.path.join(server.dir, "metrics.yaml")
        with open(path, "w") as f:
            f.write("ts_metrics:\n  gauge:\n    - name: QueueTime\n      dimensions: [Level]\n")
        with open(server.config_path, "a") as f:
            f.write("metrics_config=%s\n" % path)
        try:
            with self.assertRaises(AssertionError) as failure:
                server.start()
            message = str(failure.exception)
            self.assertIn("metrics.yaml", message)
            self.assertIn("ts_metrics.gauge[0]: missing 'unit'", message)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
