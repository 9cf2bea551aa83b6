"""Handlers end to end: text_classifier (WordPiece + BERT-shaped model),
custom C++ handlers, and binary tensors (.npy, raw bytes)."""
import io
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import numpy as np

from harness import BIN_DIR, HearthServer, ServerTestCase, concurrently, fixture

LIB_DIR = os.path.join(BIN_DIR, "..", "lib")


class TextClassifierTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.server.register("bert_text.mar", initial_workers=1)
        assert r.status == 200, r

    def classify(self, body, headers=None):
        return self.server.infer("POST", "/predictions/bert_text", body, headers or {"Content-Type": "text/plain"})

    def test_plain_text_and_json_agree(self):
        a = self.classify(b"I really enjoyed this movie!")
        self.assertEqual(a.status, 200, a)
        probs = a.json()
        self.assertEqual(set(probs), {"negative", "positive"})
        self.assertAlmostEqual(sum(probs.values()), 1.0, places=5)
        self.assertGreaterEqual(list(probs.values())[0], list(probs.values())[1])  # most likely first
        b = self.server.infer("POST", "/predictions/bert_text", {"text": "I really enjoyed this movie!"})
        self.assertEqual(b.json(), probs)
        c = self.server.infer("POST", "/predictions/bert_text", json.dumps("I really enjoyed this movie!"),
                              {"Content-Type": "application/json"})
        self.assertEqual(c.json(), probs)

    def test_batch_pads_to_the_longest_with_the_same_answers(self):
        texts = ["good", "a very very long and boring movie that was not fun at all", "hello world", "sad"]
        singles = [self.classify(t.encode()).json() for t in texts]
        batched = concurrently(4, lambda i: self.classify(texts[i].encode()))
        for single, b in zip(singles, batched):
            self.assertEqual(b.status, 200, b)
            for k in single:
                self.assertAlmostEqual(b.json()[k], single[k], places=4)

    def test_long_text_is_truncated_not_refused(self):
        r = self.classify(("good movie " * 200).encode())
        self.assertEqual(r.status, 200, r)

    def test_bad_text_gets_400(self):
        r = self.classify(b"   \n ")
        self.assertEqual(r.status, 400)
        self.assertIn("empty text", r.json()["message"])
        r = self.classify(b"\xff\xfe not utf-8")
        self.assertEqual(r.status, 400)
        self.assertIn("UTF-8", r.json()["message"])
        r = self.server.infer("POST", "/predictions/bert_text", {"other": 1})
        self.assertEqual(r.status, 400)

    def test_archive_without_vocabulary_names_it(self):
        r = self.server.register("bert_novocab.mar", initial_workers=1)
        self.assertEqual(r.status, 500)
        self.assertIn("vocab.txt", r.json()["message"])


class CustomHandlerTest(unittest.TestCase):
    def test_cpp_handler_from_the_archive(self):
        lib = os.path.join(LIB_DIR, "libscale_handler.so")
        self.assertTrue(os.path.exists(lib), lib)
        store = tempfile.mkdtemp()
        try:
            r = subprocess.run([os.path.join(BIN_DIR, "hearth-archiver"), "--model-name", "scaled", "--version", "1.0",
                                "--serialized-file", fixture("models", "tiny.pt"), "--handler",
                                os.path.join(LIB_DIR, "libscale_handler") + ":ScaleHandler", "-c",
                                os.path.join(os.path.dirname(__file__), "..", "..", "examples", "custom_handler",
                                             "model-config.yaml"), "--export-path", store],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            server = HearthServer(model_store=store).start()
            try:
                self.assertEqual(server.register("scaled.mar", initial_workers=1).status, 200)
                r = server.infer("POST", "/predictions/scaled", b"[1, 2]", {"X-Caller": "tester"})
                self.assertEqual(r.status, 200, r)
                body = r.json()
                self.assertEqual([round(v) for v in body["result"]], [30, 50])  # (2x + 1) * factor 10
                self.assertEqual(body["caller"], "tester")
                r = server.infer("POST", "/predictions/scaled", b"not a list")
                self.assertEqual(r.status, 400)
                self.assertIn("JSON list of numbers", r.json()["message"])
                self.assertEqual(server.infer("GET", "/ping").status, 200)
            finally:
                server.cleanup()
        finally:
            shutil.rmtree(store, ignore_errors=True)

    def test_missing_class_is_named(self):
        store = tempfile.mkdtemp()
        try:
            r = subprocess.run([os.path.join(BIN_DIR, "hearth-archiver"), "--model-name", "wrong", "--version", "1.0",
                                "--serialized-file", fixture("models", "tiny.pt"), "--handler",
                                os.path.join(LIB_DIR, "libscale_handler") + ":NoSuchClass", "--export-path", store],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            server = HearthServer(model_store=store).start()
            try:
                r = server.register("wrong.mar", initial_workers=1)
                self.assertEqual(r.status, 500)
                self.assertIn("NoSuchClass", r.json()["message"])
            finally:
                server.cleanup()
        finally:
            shutil.rmtree(store, ignore_errors=True)


class BinaryTensorTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        assert cls.server.register("tiny.mar", initial_workers=1).status == 200

    def test_npy_in_json_out_and_npy_out(self):
        buf = io.BytesIO()
        np.save(buf, np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
        r = self.server.infer("POST", "/predictions/tiny", buf.getvalue(), {"Content-Type": "application/x-npy"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), [[3.0, 5.0], [7.0, 9.0]])
        r = self.server.infer("POST", "/predictions/tiny", buf.getvalue(),
                              {"Content-Type": "application/x-npy", "Accept": "application/x-npy"})
        self.assertEqual(r.headers["content-type"], "application/x-npy")
        out = np.load(io.BytesIO(r.body))
        self.assertEqual(out.dtype, np.float32)
        np.testing.assert_array_equal(out, [[3.0, 5.0], [7.0, 9.0]])

    def test_raw_bytes_with_dtype_and_shape(self):
        raw = np.arange(6, dtype=np.float64).tobytes()
        r = self.server.infer("POST", "/predictions/tiny", raw, {"Content-Type": "application/octet-stream",
                                                                 "X-Tensor-Dtype": "float64", "X-Tensor-Shape": "2,3",
                                                                 "Accept": "application/octet-stream"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["x-tensor-dtype"], "float64")
        self.assertEqual(r.headers["x-tensor-shape"], "2,3")
        np.testing.assert_array_equal(np.frombuffer(r.body, dtype=np.float64).reshape(2, 3),
                                      np.arange(6).reshape(2, 3) * 2 + 1)
        r = self.server.infer("POST", "/predictions/tiny", raw[:-3], {"Content-Type": "application/octet-stream",
                                                                      "X-Tensor-Dtype": "float64",
                                                                      "X-Tensor-Shape": "2,3"})
        self.assertEqual(r.status, 400)
        self.assertIn("needs 48 bytes, got 45", r.json()["message"])


# Completeness (the attributions sum to f(x) - f(0) for the class, up to the
# quadrature error) and the same method written independently, on the same
# preprocessed image and TorchScript model.
IG_REFERENCE = r"""
import io, json, sys
import numpy as np
import torch
from PIL import Image
from torchvision import transforms
model = torch.jit.load(sys.argv[1]).eval()
t = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
x = t(Image.open(sys.argv[2])).unsqueeze(0)
target = int(sys.argv[3])
nodes, weights = np.polynomial.legendre.leggauss(15)
total = torch.zeros_like(x)
for a, w in zip(0.5 * (nodes + 1), 0.5 * weights):
    xi = (float(a) * x).requires_grad_(True)
    model(xi)[0, target].backward()
    total += float(w) * xi.grad
with torch.no_grad():
    gap = float(model(x)[0, target] - model(torch.zeros_like(x))[0, target])
print(json.dumps({"attributions": (total * x)[0].tolist(), "gap": gap}))
"""

PY_IMAGE_CLASSIFIER = """
from ts.torch_handler.image_classifier import ImageClassifier


class SmallCnnClassifier(ImageClassifier):
    pass
"""


class ExplanationTest(unittest.TestCase):
    """/explanations for image classifiers: Integrated Gradients as TorchServe's
    VisionHandler returns them (Captum's defaults), from the C++
    image_classifier and from a Python ImageClassifier subclass."""

    @classmethod
    def setUpClass(cls):
        cls.store = tempfile.mkdtemp(prefix="hearth-explain-")
        shutil.copy(fixture("model_store", "cnn.mar"), cls.store)
        with open(os.path.join(cls.store, "py_cnn_handler.py"), "w") as f:
            f.write(PY_IMAGE_CLASSIFIER)
        subprocess.check_call([os.path.join(BIN_DIR, "hearth-archiver"), "--model-name", "py_cnn", "--version", "1.0",
                               "--serialized-file", fixture("models", "small_cnn.pt"), "--handler",
                               os.path.join(cls.store, "py_cnn_handler.py"), "--export-path", cls.store],
                              stdout=subprocess.DEVNULL)
        cls.server = HearthServer(model_store=cls.store).start()
        for mar in ("cnn.mar", "py_cnn.mar"):
            r = cls.server.register(mar, initial_workers=1)
            assert r.status == 200, (r, cls.server.output())
        cls.image = fixture("images", "photo.jpg")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.store, ignore_errors=True)

    def explain(self, model, target=None):
        with open(self.image, "rb") as f:
            image = f.read()
        if target is None:
            return self.server.infer("POST", "/explanations/" + model, image)
        body = (b"--B\r\nContent-Disposition: form-data; name=\"data\"; filename=\"p.jpg\"\r\n"
                b"Content-Type: image/jpeg\r\n\r\n" + image + b"\r\n--B\r\n"
                b"Content-Disposition: form-data; name=\"target\"\r\n\r\n" + str(target).encode() + b"\r\n--B--\r\n")
        return self.server.infer("POST", "/explanations/" + model, body,
                                 {"Content-Type": "multipart/form-data; boundary=B"})

    def reference(self, target):
        out = subprocess.check_output(["/usr/bin/python3", "-c", IG_REFERENCE, fixture("models", "small_cnn.pt"),
                                       self.image, str(target)])
        return json.loads(out)

    def test_integrated_gradients_from_both_workers(self):
        for target in (None, 3):
            want = self.reference(target or 0)
            expected = np.array(want["attributions"])
            scale = np.abs(expected).max()
            for model in ("cnn", "py_cnn"):
                r = self.explain(model, target)
                self.assertEqual(r.status, 200, (model, r))
                got = np.array(r.json())
                self.assertEqual(got.shape, (3, 224, 224), model)
                np.testing.assert_allclose(got, expected, atol=1e-4 * scale, err_msg=model)
                # Completeness: within 2% of f(x) - f(0) for this class.
                self.assertAlmostEqual(got.sum(), want["gap"], delta=0.02 * abs(want["gap"]) + 1e-4)

    def test_predictions_stay_predictions_and_bad_targets_are_named(self):
        with open(self.image, "rb") as f:
            r = self.server.infer("POST", "/predictions/cnn", f.read())
        self.assertEqual(len(r.json()), 5)
        for model in ("cnn", "py_cnn"):
            r = self.explain(model, 99)
            self.assertIn(r.status, (400, 503), (model, r))
            self.assertIn("target 99 is not a class of this model (0..9)", r.json()["message"], model)
        r = self.server.infer("POST", "/explanations/cnn", b"not an image")
        self.assertEqual(r.status, 400, r)

    def test_kserve_v1_explain(self):
        import base64
        with open(self.image, "rb") as f:
            b64 = base64.b64encode(f.read()).decode()
        r = self.server.infer("POST", "/v1/models/cnn:explain", {"instances": [{"data": b64}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(np.array(r.json()["explanations"][0]).shape, (3, 224, 224))


if __name__ == "__main__":
    unittest.main()
