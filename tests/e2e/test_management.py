"""Management API end to end: register, describe, list, scale, versions,
set-default, unregister, and TorchServe's error codes."""
import time
import unittest

from harness import HearthServer, ServerTestCase


class ManagementTest(ServerTestCase):
    def tearDown(self):
        # Each test leaves no models behind.
        listing = self.server.manage("GET", "/models").json()
        for m in listing["models"]:
            d = self.server.manage("GET", "/models/%s/all" % m["modelName"]).json()
            versions = [v["modelVersion"] for v in d]
            default = d[0]["modelVersion"] if len(d) == 1 else None
            for v in versions:
                if v != default:
                    self.server.manage("DELETE", "/models/%s/%s" % (m["modelName"], v))
            self.server.manage("DELETE", "/models/" + m["modelName"])

    def test_register_describe_unregister(self):
        r = self.server.register("tiny.mar", initial_workers=1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"status": "Model \"tiny\" Version: 1.0 registered with 1 initial workers"})
        d = self.server.describe("tiny")
        self.assertEqual(d.status, 200)
        m = d.json()[0]
        self.assertEqual(m["modelName"], "tiny")
        self.assertEqual(m["modelVersion"], "1.0")
        self.assertEqual(m["modelUrl"], "tiny.mar")
        self.assertEqual(m["minWorkers"], 1)
        self.assertEqual(list(m)[:4], ["modelName", "modelVersion", "modelUrl", "runtime"])
        self.assertEqual(len(m["workers"]), 1)
        w = m["workers"][0]
        self.assertGreaterEqual(int(w["id"]), 9000)  # TorchServe's port-like worker ids
        self.assertEqual(w["status"], "READY")
        self.assertGreater(w["memoryUsage"], 1_000_000)
        self.assertGreater(w["pid"], 0)
        self.assertRegex(w["startTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(m["jobQueueStatus"], {"remainingCapacity": 100, "pendingRequests": 0})
        r = self.server.manage("DELETE", "/models/tiny")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"status": "Model \"tiny\" unregistered"})
        self.assertEqual(self.server.describe("tiny").status, 404)
        self.assertEqual(self.server.infer("POST", "/predictions/tiny", [1.0]).status, 404)

    def test_register_zero_workers_then_scale(self):
        r = self.server.register("tiny.mar")
        self.assertEqual(r.status, 200)
        self.assertIn("registered with 0 initial workers", r.json()["status"])
        r = self.server.infer("POST", "/predictions/tiny", [1.0])
        self.assertEqual(r.status, 503)
        self.assertEqual(r.json()["type"], "ServiceUnavailableException")
        self.assertIn("has no worker to serve inference request", r.json()["message"])
        r = self.server.manage("PUT", "/models/tiny?min_worker=2&synchronous=true")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"status": "Workers scaled to 2 for model: tiny"})
        self.assertEqual(len(self.server.worker_pids("tiny")), 2)
        self.assertEqual(self.server.infer("POST", "/predictions/tiny", [1.0]).json(), [3.0])
        r = self.server.manage("PUT", "/models/tiny?min_worker=1")
        self.assertEqual(r.status, 202)
        self.assertEqual(r.json(), {"status": "Processing worker updates..."})
        self.server.wait_until(lambda: len(self.server.worker_pids("tiny")) == 1, what="scale down to 1")

    def test_async_register(self):
        r = self.server.register("tiny.mar", initial_workers=1, synchronous="false")
        self.assertEqual(r.status, 202)
        self.server.wait_until(lambda: [w["status"] for w in self.server.describe("tiny").json()[0]["workers"]]
                               == ["READY"], what="worker READY")

    def test_register_errors(self):
        r = self.server.manage("POST", "/models")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["message"], "Parameter url is required.")
        r = self.server.register("missing.mar")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["type"], "ModelNotFoundException")
        r = self.server.register("../etc/passwd")
        self.assertEqual(r.status, 404)
        self.assertIn("Relative path", r.json()["message"])
        r = self.server.register("tiny.mar", runtime="python4")
        self.assertEqual(r.status, 400)
        r = self.server.register("corrupt.mar")
        self.assertEqual(r.status, 400)
        self.assertIn("corrupt.mar", r.json()["message"])
        r = self.server.register("tiny.mar", model_name="bad%20name")
        self.assertEqual(r.status, 400)

    def test_duplicate_registration_409(self):
        self.assertEqual(self.server.register("tiny.mar").status, 200)
        r = self.server.register("tiny.mar")
        self.assertEqual(r.status, 409)
        self.assertEqual(r.json()["message"], "Model version 1.0 is already registered for model tiny")

    def test_missing_handler_fails_when_worker_starts(self):
        # A 0-worker registration loads nothing (as TorchServe); the first worker finds the handler file missing.
        r = self.server.register("python_handler.mar")
        self.assertEqual(r.status, 200, r)
        r = self.server.manage("PUT", "/models/python_handler?min_worker=1&synchronous=true")
        self.assertEqual(r.status, 500)
        self.assertIn('handler "my_handler.py": no module my_handler.py in the archive', r.json()["message"])
        r = self.server.register("tiny.mar", model_name="bad_handler", handler="invalidHandler", initial_workers=1)
        self.assertEqual(r.status, 500)
        self.assertIn("Failed to start workers for model bad_handler", r.json()["message"])
        self.assertIn('handler "invalidHandler": no module invalidHandler.py in the archive and no built-in handler',
                      r.json()["message"])
        # The failed registration is rolled back: the name is free again.
        self.assertEqual(self.server.describe("bad_handler").status, 404)
        self.assertEqual(self.server.register("tiny.mar", model_name="bad_handler").status, 200)

    def test_unloadable_model_file(self):
        r = self.server.register("badmodel.mar", initial_workers=1)
        self.assertEqual(r.status, 500)
        self.assertIn("TorchScript", r.json()["message"])
        self.assertEqual(self.server.infer("GET", "/ping").status, 200)

    def test_startup_timeout_zero_fails_and_unregisters(self):
        r = self.server.register("tiny.mar", initial_workers=2, startup_timeout=0)
        self.assertEqual(r.status, 500, r)
        self.assertEqual(self.server.register("tiny.mar").status, 200)

    def test_batch_params_and_yaml(self):
        r = self.server.register("tiny.mar", batch_size=4, max_batch_delay=25)
        m = self.server.describe("tiny").json()[0]
        self.assertEqual((m["batchSize"], m["maxBatchDelay"]), (4, 25))
        self.server.manage("DELETE", "/models/tiny")
        # Bad integers fall back to the defaults, as in TorchServe.
        r = self.server.register("tiny.mar", batch_size="dd", max_batch_delay="junk")
        self.assertEqual(r.status, 200)
        m = self.server.describe("tiny").json()[0]
        self.assertEqual((m["batchSize"], m["maxBatchDelay"]), (1, 100))
        # model-config.yaml: minWorkers/maxWorkers/batchSize/maxBatchDelay/responseTimeout.
        r = self.server.register("tiny_batched.mar")
        self.assertEqual(r.status, 200, r)
        m = self.server.describe("tiny_batched").json()[0]
        self.assertEqual((m["minWorkers"], m["maxWorkers"], m["batchSize"], m["maxBatchDelay"],
                          m["responseTimeout"]), (1, 1, 4, 50, 30))
        self.assertEqual(len(m["workers"]), 1)

    def test_json_body_registration(self):
        r = self.server.manage("POST", "/models", {"url": "tiny.mar", "model_name": "tj", "initial_workers": 1,
                                                   "synchronous": True})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.server.infer("POST", "/predictions/tj", [0.0]).json(), [1.0])

    def test_list_and_pagination(self):
        for name in ("m_c", "m_a", "m_b"):
            self.assertEqual(self.server.register("tiny.mar", model_name=name).status, 200)
        r = self.server.manage("GET", "/models")
        self.assertEqual([m["modelName"] for m in r.json()["models"]], ["m_a", "m_b", "m_c"])
        self.assertNotIn("nextPageToken", r.json())
        r = self.server.manage("GET", "/models?limit=2")
        self.assertEqual(r.json()["nextPageToken"], "2")
        self.assertEqual(len(r.json()["models"]), 2)
        r = self.server.manage("GET", "/models?limit=2&next_page_token=2")
        self.assertEqual([m["modelName"] for m in r.json()["models"]], ["m_c"])
        self.assertEqual(r.json()["models"][0]["modelUrl"], "tiny.mar")
        r = self.server.manage("GET", "/models?limit=-1")
        self.assertEqual(len(r.json()["models"]), 3)

    def test_versions_and_set_default(self):
        self.assertEqual(self.server.register("cnn.mar").status, 200)
        self.assertEqual(self.server.register("cnn_v2.mar").status, 200)
        all_versions = self.server.manage("GET", "/models/cnn/all").json()
        self.assertEqual(sorted(v["modelVersion"] for v in all_versions), ["1.0", "2.0"])
        self.assertEqual(self.server.describe("cnn").json()[0]["modelVersion"], "1.0")
        r = self.server.manage("PUT", "/models/cnn/2.0/set-default")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["status"], "Default version successfully updated for model \"cnn\" to \"2.0\"")
        self.assertEqual(self.server.describe("cnn").json()[0]["modelVersion"], "2.0")
        self.assertEqual(self.server.manage("PUT", "/models/cnn/9.9/set-default").status, 404)
        self.assertEqual(self.server.manage("PUT", "/models/nope/1.0/set-default").status, 404)
        r = self.server.manage("DELETE", "/models/cnn/2.0")
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["type"], "InvalidModelVersionException")
        self.assertEqual(self.server.manage("DELETE", "/models/cnn/1.0").status, 200)
        self.assertEqual(self.server.describe("cnn", "2.0").status, 200)
        self.assertEqual(self.server.describe("cnn", "1.0").status, 404)

    def test_scale_errors(self):
        self.assertEqual(self.server.register("tiny.mar").status, 200)
        r = self.server.manage("PUT", "/models/tiny?min_worker=2&max_worker=1")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["message"], "max_worker cannot be less than min_worker.")
        self.assertEqual(self.server.manage("PUT", "/models/nope?min_worker=1").status, 404)
        self.assertEqual(self.server.manage("PUT", "/models/tiny/0.0?min_worker=1").status, 404)
        self.assertEqual(self.server.manage("PUT", "/models/tiny?min_worker=-1").status, 500)
        self.assertEqual(self.server.manage("PUT", "/models/tiny?number_gpu=2").status, 202)

    def test_unregister_errors(self):
        self.assertEqual(self.server.manage("DELETE", "/models/nope").status, 404)
        self.assertEqual(self.server.register("tiny.mar").status, 200)
        self.assertEqual(self.server.manage("DELETE", "/models/tiny/0.0").status, 404)
        self.assertEqual(self.server.manage("DELETE", "/models/tiny/?synchronous=true").status, 200)

    def test_unknown_describe(self):
        r = self.server.describe("nope")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["message"], "Model not found: nope")


class ModelApiDisabledTest(unittest.TestCase):
    def test_register_refused_with_hint(self):
        server = HearthServer({"enable_model_api": "false"}).start()
        try:
            r = server.manage("POST", "/models?url=tiny.mar")
            self.assertEqual(r.status, 405)
            self.assertIn("enable-model-api", r.json()["message"])
            self.assertEqual(server.manage("GET", "/models").status, 200)
        finally:
            server.cleanup()


class StartupModelsTest(unittest.TestCase):
    def test_load_models_with_models_json(self):
        server = HearthServer({
            "load_models": "tiny.mar,renamed=colors.mar",
            "models": '{"tiny": {"1.0": {"minWorkers": 2, "maxWorkers": 2, "batchSize": 3}}}',
            "default_workers_per_model": "1",
        }).start()
        try:
            server.wait_until(lambda: server.describe("renamed").status == 200 and
                              server.describe("tiny").status == 200, what="startup models")
            tiny = server.describe("tiny").json()[0]
            self.assertEqual((tiny["minWorkers"], tiny["batchSize"], tiny["loadedAtStartup"]), (2, 3, True))
            self.assertEqual(server.describe("renamed").json()[0]["minWorkers"], 1)
            server.wait_until(lambda: server.infer("POST", "/predictions/tiny", [1.0]).status == 200,
                              what="tiny serving")
        finally:
            server.cleanup()

    def test_models_all_from_cli(self):
        import os
        import shutil
        from harness import fixture
        import tempfile
        store = tempfile.mkdtemp(prefix="hearth-store-")
        for name in ("tiny.mar", "colors.mar"):  # only two archives in this store
            shutil.copy(fixture("model_store", name), store)
        server = HearthServer({"default_workers_per_model": "1"}, model_store=store, extra_args=["--models", "all"])
        server.start()
        try:
            server.wait_until(lambda: len(server.manage("GET", "/models").json()["models"]) == 2, what="all models")
        finally:
            server.cleanup()
            shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
