"""ipex_enable end to end: the load-time CPU optimizations change speed, not
answers; each step is logged; a model that an optimization breaks still
loads, with a warning naming the step; model-config.yaml can opt out."""
import json
import os
import shutil
import tempfile
import time
import unittest
import zipfile

from harness import HearthServer, fixture, read_fixture


def bert_request(seed):
    ids = [(seed * 7 + i * 13) % 1000 for i in range(16)]
    mask = [1] * 12 + [0] * 4
    return {"inputs": [{"data": ids, "dtype": "int64"}, {"data": mask, "dtype": "int64"},
                       {"data": [0] * 16, "dtype": "int64"}]}


class OptimizeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.plain = HearthServer().start()
        cls.fast = HearthServer({"ipex_enable": "true"}).start()
        for server in (cls.plain, cls.fast):
            for name in ("cnn", "resnet18", "bert_tiny", "tiny"):
                r = server.register(name + ".mar", initial_workers=1)
                assert r.status == 200, r

    @classmethod
    def tearDownClass(cls):
        cls.plain.cleanup()
        cls.fast.cleanup()

    def assert_close_dicts(self, a, b, tol):
        self.assertEqual(list(a), list(b))
        for k in a:
            self.assertAlmostEqual(a[k], b[k], delta=tol)

    def test_image_classifiers_agree(self):
        for model in ("cnn", "resnet18"):
            for image in ("photo.jpg", "portrait.png", "red.png"):
                body = read_fixture("images", image)
                a = self.plain.infer("POST", "/predictions/" + model, body)
                b = self.fast.infer("POST", "/predictions/" + model, body)
                self.assertEqual((a.status, b.status), (200, 200), (a, b))
                self.assert_close_dicts(a.json(), b.json(), 1e-4)

    def test_bert_shaped_encoder_agrees(self):
        for seed in range(3):
            a = self.plain.infer("POST", "/predictions/bert_tiny", bert_request(seed))
            b = self.fast.infer("POST", "/predictions/bert_tiny", bert_request(seed))
            self.assertEqual((a.status, b.status), (200, 200), (a, b))
            for x, y in zip(a.json(), b.json()):
                self.assertAlmostEqual(x, y, delta=1e-4)

    def test_tiny_model_agrees(self):
        self.assertEqual(self.fast.infer("POST", "/predictions/tiny", [1.5, -2.0]).json(), [4.0, -3.0])

    def test_steps_are_logged_with_their_effect(self):
        log = self.fast.log_with("model_log.log", "ipex_enable: optimize_for_inference")
        self.assertRegex(log, r"ipex_enable: freeze: [0-9.]+ -> [0-9.]+ ms per call")
        self.assertIn("ipex_enable: optimize_for_inference", log)
        self.assertIn("ipex_enable: bf16:", log)
        self.assertNotIn("ipex_enable:", self.plain.log("model_log.log"))


class OptimizeFallbackTest(unittest.TestCase):
    def test_broken_step_falls_back_and_still_serves(self):
        server = HearthServer({"ipex_enable": "true"}).start()
        try:
            r = server.register("noisy.mar", initial_workers=1)
            self.assertEqual(r.status, 200, r)
            r = server.infer("POST", "/predictions/noisy", read_fixture("images", "photo.jpg"))
            self.assertEqual(r.status, 200, r)
            log = server.log_with("model_log.log", "step undone")
            self.assertIn("ipex_enable: WARNING freeze: outputs differ from the plain model", log)
            self.assertIn("step undone", log)
        finally:
            server.cleanup()

    @unittest.skipUnless(any(f in open("/proc/cpuinfo").read() for f in ("avx512_bf16", "amx_bf16")),
                         "CPU without bf16")
    def test_bf16_opt_in(self):
        store = tempfile.mkdtemp(prefix="hearth-store-")
        try:
            with zipfile.ZipFile(os.path.join(store, "cnn_bf16.mar"), "w") as z:
                z.write(fixture("models", "small_cnn.pt"), "small_cnn.pt")
                z.writestr("model-config.yaml", "ipex_dtype: bfloat16\n")
                z.writestr("MAR-INF/MANIFEST.json", json.dumps({
                    "runtime": "python", "model": {"modelName": "cnn_bf16", "serializedFile": "small_cnn.pt",
                                                   "handler": "image_classifier", "modelVersion": "1.0",
                                                   "configFile": "model-config.yaml"}}))
            shutil.copy(fixture("model_store", "cnn.mar"), store)
            server = HearthServer({"ipex_enable": "true"}, model_store=store).start()
            try:
                self.assertEqual(server.register("cnn_bf16.mar", initial_workers=1).status, 200)
                self.assertEqual(server.register("cnn.mar", initial_workers=1).status, 200)
                body = read_fixture("images", "photo.jpg")
                a = server.infer("POST", "/predictions/cnn", body).json()
                b = server.infer("POST", "/predictions/cnn_bf16", body).json()
                self.assertEqual(list(a)[0], list(b)[0])
                for k in b:
                    self.assertAlmostEqual(a.get(k, b[k]), b[k], delta=0.02)
                # bf16 is kept only when it beats optimized fp32 on this model: either way the log says which.
                log = server.log_with("model_log.log", "ipex_enable: bf16 ")
                self.assertRegex(log, r"ipex_enable: bf16 (kept: [0-9.]+ ms per call in bf16 against [0-9.]+ ms"
                                      r"|not faster for this model \([0-9.]+ ms per call in bf16)")
                if "ipex_enable: bf16 kept" in log:
                    self.assertRegex(log, r"ipex_enable: bf16 \((avx512|amx)_bf16\): [0-9.]+ -> [0-9.]+ ms per call")
            finally:
                server.cleanup()
        finally:
            shutil.rmtree(store, ignore_errors=True)

    def test_model_config_can_turn_it_off(self):
        store = tempfile.mkdtemp(prefix="hearth-store-")
        try:
            with zipfile.ZipFile(os.path.join(store, "cnn_plain.mar"), "w") as z:
                z.write(fixture("models", "small_cnn.pt"), "small_cnn.pt")
                z.writestr("model-config.yaml", "ipex_enable: false\n")
                z.writestr("MAR-INF/MANIFEST.json", json.dumps({
                    "runtime": "python", "model": {"modelName": "cnn_plain", "serializedFile": "small_cnn.pt",
                                                   "handler": "image_classifier", "modelVersion": "1.0",
                                                   "configFile": "model-config.yaml"}}))
            server = HearthServer({"ipex_enable": "true"}, model_store=store).start()
            try:
                self.assertEqual(server.register("cnn_plain.mar", initial_workers=1).status, 200)
                self.assertEqual(server.describe("cnn_plain").json()[0]["ipexEnable"], False)
                time.sleep(1.2)
                self.assertNotIn("ipex_enable: freeze", server.log("model_log.log"))
            finally:
                server.cleanup()
        finally:
            shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
