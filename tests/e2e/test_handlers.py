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


if __name__ == "__main__":
    unittest.main()
