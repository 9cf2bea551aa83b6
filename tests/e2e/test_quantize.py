"""hearth-quantize end to end: static INT8 of a CNN agrees with FP32 on its
calibration set and is served; the calibration JSON round-trips; dynamic
INT8 of a BERT-shaped encoder; errors name the problem."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN_DIR, HearthServer, fixture, read_fixture

QUANTIZE = os.path.join(BIN_DIR, "hearth-quantize")
ARCHIVER = os.path.join(BIN_DIR, "hearth-archiver")


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300)


class QuantizeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="hearth-quantize-")
        cls.store = os.path.join(cls.work, "store")
        os.makedirs(cls.store)
        cls.int8 = os.path.join(cls.work, "color_int8.pt")
        cls.calib_json = os.path.join(cls.work, "calib.json")
        r = run(QUANTIZE, "--model", fixture("models", "color_cnn.pt"), "--calibration-data", fixture("calibration"),
                "--input-shape", "1,3,224,224", "--qscheme", "per_tensor_symmetric", "--output", cls.int8,
                "--save-calibration", cls.calib_json)
        assert r.returncode == 0, r.stderr
        cls.report = r.stdout
        for name, pt in (("color_fp32", fixture("models", "color_cnn.pt")), ("color_int8", cls.int8)):
            r = run(ARCHIVER, "--model-name", name, "--version", "1.0", "--serialized-file", pt, "--handler",
                    "image_classifier", "--export-path", cls.store)
            assert r.returncode == 0, r.stderr
        cls.server = HearthServer({"ipex_enable": "true"}, model_store=cls.store).start()
        for name in ("color_fp32", "color_int8"):
            assert cls.server.register(name + ".mar", initial_workers=1).status == 200

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_report_agreement_and_speed(self):
        m = re.search(r"top-1 ([0-9.]+)%", self.report)
        self.assertTrue(m, self.report)
        self.assertGreaterEqual(float(m.group(1)), 98.0)
        self.assertRegex(self.report, r"speed: FP32 [0-9.]+ ms -> INT8 [0-9.]+ ms")
        self.assertRegex(self.report, r"\d+ quantized ops")
        self.assertIn("calibration: 60 samples", self.report)

    def test_served_int8_agrees_with_fp32(self):
        calib = sorted(os.listdir(fixture("calibration")))[:30]
        agree = 0
        for name in calib:
            body = read_fixture("calibration", name)
            a = self.server.infer("POST", "/predictions/color_fp32", body)
            b = self.server.infer("POST", "/predictions/color_int8", body)
            self.assertEqual((a.status, b.status), (200, 200), (a, b))
            agree += list(a.json())[0] == list(b.json())[0]
        self.assertGreaterEqual(agree / len(calib), 0.98)
        self.server.wait_until(lambda: "already quantized (INT8)" in self.server.log("model_log.log"),
                               timeout=10, what="the INT8 note in model_log.log")

    def test_calibration_json_round_trip(self):
        again = os.path.join(self.work, "again.pt")
        r = run(QUANTIZE, "--model", fixture("models", "color_cnn.pt"), "--output", again, "--qscheme",
                "per_tensor_symmetric", "--load-calibration", self.calib_json, "--calibration-data",
                fixture("calibration"))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run(ARCHIVER, "--model-name", "color_again", "--version", "1.0", "--serialized-file", again, "--handler",
                "image_classifier", "--export-path", self.store)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.server.register("color_again.mar", initial_workers=1).status, 200)
        for name in sorted(os.listdir(fixture("calibration")))[:5]:
            body = read_fixture("calibration", name)
            self.assertEqual(self.server.infer("POST", "/predictions/color_int8", body).json(),
                             self.server.infer("POST", "/predictions/color_again", body).json())
        # A calibration made with other options is refused, with the reason.
        r = run(QUANTIZE, "--model", fixture("models", "color_cnn.pt"), "--output", again, "--observer", "minmax",
                "--load-calibration", self.calib_json)
        self.assertEqual(r.returncode, 1)
        self.assertIn("pass the same options", r.stderr)

    def test_keep_a_layer_in_fp32(self):
        kept = os.path.join(self.work, "color_kept.pt")
        r = run(QUANTIZE, "--model", fixture("models", "color_cnn.pt"), "--calibration-data", fixture("calibration"),
                "--qscheme", "per_tensor_symmetric", "--keep-fp32", "fc", "--output", kept)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("kept in FP32: fc", r.stdout)
        ops = lambda report: int(re.search(r"(\d+) quantized ops", report).group(1))
        self.assertLess(ops(r.stdout), ops(self.report), "the FP32 fc left quantized ops out")
        self.assertGreaterEqual(float(re.search(r"top-1 ([0-9.]+)%", r.stdout).group(1)), 98.0)
        r = run(ARCHIVER, "--model-name", "color_kept", "--version", "1.0", "--serialized-file", kept, "--handler",
                "image_classifier", "--export-path", self.store)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.server.register("color_kept.mar", initial_workers=1).status, 200)
        body = read_fixture("calibration", sorted(os.listdir(fixture("calibration")))[0])
        a = self.server.infer("POST", "/predictions/color_fp32", body)
        b = self.server.infer("POST", "/predictions/color_kept", body)
        self.assertEqual(list(a.json())[0], list(b.json())[0])
        # A calibration saved without it is refused, naming the option.
        r = run(QUANTIZE, "--model", fixture("models", "color_cnn.pt"), "--output", kept, "--qscheme",
                "per_tensor_symmetric", "--keep-fp32", "fc", "--load-calibration", self.calib_json)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--keep-fp32", r.stderr)
        # A name the model does not have: the error lists the names it has.
        r = run(QUANTIZE, "--model", fixture("models", "color_cnn.pt"), "--output", kept, "--calibration-data",
                "random:2", "--keep-fp32", "classifier")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--keep-fp32 classifier: the model has no submodule of that name", r.stderr)
        self.assertIn("fc", r.stderr)

    def test_dynamic_bert_shaped(self):
        out = os.path.join(self.work, "bert_int8.pt")
        r = run(QUANTIZE, "--model", fixture("models", "bert_tiny.pt"), "--mode", "dynamic", "--input-shape", "1,16",
                "--input-dtype", "int64", "--output", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("dynamic INT8", r.stdout)
        r = run(ARCHIVER, "--model-name", "bert_int8", "--version", "1.0", "--serialized-file", out, "--handler",
                "tensor", "--export-path", self.store)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(self.server.register("bert_int8.mar", initial_workers=1).status, 200)
        body = {"inputs": [{"data": list(range(16)), "dtype": "int64"}, {"data": [1] * 16, "dtype": "int64"},
                           {"data": [0] * 16, "dtype": "int64"}]}
        r = self.server.infer("POST", "/predictions/bert_int8", body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json()), 2)

    def test_errors(self):
        r = run(QUANTIZE, "--model", fixture("models", "color_cnn.pt"), "--output", os.path.join(self.work, "x.pt"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("needs --calibration-data", r.stderr)
        r = run(QUANTIZE, "--model", "/no/such.pt", "--output", "x.pt", "--calibration-data", "random:2")
        self.assertEqual(r.returncode, 1)
        self.assertIn("/no/such.pt", r.stderr)
        r = run(QUANTIZE, "--model", fixture("models", "color_cnn.pt"), "--output", "x.pt", "--calibration-data",
                "/no/such/dir")
        self.assertIn("/no/such/dir", r.stderr)


if __name__ == "__main__":
    unittest.main()
