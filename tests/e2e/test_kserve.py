"""The Open Inference Protocol (KServe v1 and v2) over HTTP, against the
real server: metadata, health, JSON and binary tensors of every datatype,
two inputs and outputs, batching, the envelope for data handlers, errors."""
import base64
import http.client
import json
import signal
import struct
import threading
import time
import unittest

import numpy as np

from harness import HearthServer, ServerTestCase, read_fixture, request

NUMPY = {"BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
         "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64, "FP16": np.float16,
         "FP32": np.float32, "FP64": np.float64}


def binary_request(inputs, outputs=None, binary_output=False):
    """inputs: [(name, datatype, shape, raw bytes)] -> (body, header length)."""
    header = {"inputs": [{"name": n, "datatype": d, "shape": s, "parameters": {"binary_data_size": len(b)}}
                         for n, d, s, b in inputs]}
    if outputs:
        header["outputs"] = outputs
    if binary_output:
        header["parameters"] = {"binary_data_output": True}
    text = json.dumps(header).encode()
    return text + b"".join(b for _, _, _, b in inputs), len(text)


def split_binary(response):
    n = int(response.headers["inference-header-content-length"])
    header = json.loads(response.body[:n])
    blobs, pos = {}, n
    for o in header["outputs"]:
        if "data" in o:
            continue
        size = o["parameters"]["binary_data_size"]
        blobs[o["name"]] = response.body[pos:pos + size]
        pos += size
    return header, blobs


class KserveV2Test(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for mar in ("two_io.mar", "two_io_named.mar", "echo.mar", "colors.mar", "tiny.mar"):
            r = cls.server.register(mar, initial_workers=1)
            assert r.status == 200, r

    def infer(self, model, body, headers=None):
        return self.server.infer("POST", "/v2/models/%s/infer" % model, body, headers)

    def test_server_endpoints(self):
        r = self.server.infer("GET", "/v2")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["name"], "hearth")
        self.assertIn("binary_tensor_data", r.json()["extensions"])
        self.assertEqual(self.server.infer("GET", "/v2/health/live").json(), {"live": True})
        self.assertEqual(self.server.infer("GET", "/v2/health/ready").status, 200)
        self.assertEqual(self.server.infer("GET", "/v2/models/two_io/ready").json(), {"name": "two_io", "ready": True})
        self.assertEqual(self.server.infer("GET", "/v2/models/two_io/versions/1.0/ready").status, 200)
        r = self.server.infer("GET", "/v2/models/nope/ready")
        self.assertEqual(r.status, 404)
        self.assertIn("nope", r.json()["error"])

    def test_metadata_from_forward_and_from_model_config(self):
        meta = self.server.infer("GET", "/v2/models/two_io").json()
        self.assertEqual(meta["platform"], "pytorch_torchscript")
        self.assertEqual(meta["versions"], ["1.0"])
        self.assertEqual([i["name"] for i in meta["inputs"]], ["image", "counts"])
        self.assertEqual([o["name"] for o in meta["outputs"]], ["OUTPUT__0", "OUTPUT__1", "OUTPUT__2"])
        named = self.server.infer("GET", "/v2/models/two_io_named/versions/1.0").json()
        self.assertEqual(named["inputs"], [{"name": "pixels", "datatype": "FP32", "shape": [-1, 3]},
                                           {"name": "counts", "datatype": "INT64", "shape": [-1, 2]}])
        self.assertEqual([(o["name"], o["datatype"]) for o in named["outputs"]],
                         [("scaled", "FP32"), ("total", "INT64"), ("batch", "INT64")])
        self.assertEqual(self.server.infer("GET", "/v2/models/colors").json()["inputs"][0]["datatype"], "BYTES")

    def test_json_two_inputs_two_outputs(self):
        r = self.infer("two_io", {"id": "req-7", "inputs": [
            {"name": "image", "datatype": "FP32", "shape": [2, 3], "data": [[1, 2, 3], [4, 5, 6.5]]},
            {"name": "INPUT__1", "datatype": "INT64", "shape": [2, 2], "data": [1, 2, 3, 4]}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["content-type"], "application/json")
        j = r.json()
        self.assertEqual((j["id"], j["model_name"], j["model_version"]), ("req-7", "two_io", "1.0"))
        out = {o["name"]: o for o in j["outputs"]}
        self.assertEqual(out["OUTPUT__0"], {"name": "OUTPUT__0", "datatype": "FP32", "shape": [2, 3],
                                            "data": [2, 4, 6, 8, 10, 13]})
        self.assertEqual(out["OUTPUT__1"], {"name": "OUTPUT__1", "datatype": "INT64", "shape": [2], "data": [3, 7]})
        # Named by model-config metadata; only the requested output comes back.
        r = self.infer("two_io_named", {"inputs": [
            {"name": "pixels", "datatype": "FP32", "shape": [1, 3], "data": [1, 1, 1]},
            {"name": "counts", "datatype": "INT64", "shape": [1, 2], "data": [40, 2]}], "outputs": [{"name": "total"}]})
        self.assertEqual(r.json()["outputs"], [{"name": "total", "datatype": "INT64", "shape": [1], "data": [42]}])
        self.assertNotIn("id", r.json())

    def test_binary_inputs_and_outputs(self):
        image = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
        counts = np.array([[5, -6], [7, 1 << 40]], dtype=np.int64)
        body, n = binary_request([("image", "FP32", [2, 3], image.tobytes()),
                                  ("counts", "INT64", [2, 2], counts.tobytes())],
                                 outputs=[{"name": "OUTPUT__1", "parameters": {"binary_data": True}},
                                          {"name": "OUTPUT__0", "parameters": {"binary_data": False}}])
        r = self.infer("two_io", body, {"Inference-Header-Content-Length": str(n),
                                        "Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["content-type"], "application/octet-stream")
        header, blobs = split_binary(r)
        self.assertEqual([o["name"] for o in header["outputs"]], ["OUTPUT__1", "OUTPUT__0"])
        np.testing.assert_array_equal(np.frombuffer(blobs["OUTPUT__1"], np.int64), counts.sum(axis=1))
        self.assertEqual(header["outputs"][1]["data"], (image * 2).flatten().tolist())
        # Binary request, every output binary.
        body, n = binary_request([("image", "FP32", [2, 3], image.tobytes()),
                                  ("counts", "INT64", [2, 2], counts.tobytes())], binary_output=True)
        header, blobs = split_binary(self.infer("two_io", body, {"Inference-Header-Content-Length": str(n)}))
        np.testing.assert_array_equal(np.frombuffer(blobs["OUTPUT__0"], np.float32).reshape(2, 3), image * 2)

    def test_every_datatype_round_trips(self):
        for dt, np_type in NUMPY.items():
            values = np.array([[0, 1, 2], [3, 100, 7]]).astype(np_type)
            if dt == "BOOL":
                values = np.array([[True, False, True], [False, False, True]])
            with self.subTest(datatype=dt, form="json"):
                data = values.flatten().tolist()
                r = self.infer("echo", {"inputs": [{"name": "x", "datatype": dt, "shape": [2, 3], "data": data}]})
                self.assertEqual(r.status, 200, r)
                out = r.json()["outputs"][0]
                # libtorch has no uint16/32/64: they come back widened.
                expected_dt = {"UINT16": "INT32", "UINT32": "INT64", "UINT64": "INT64"}.get(dt, dt)
                self.assertEqual((out["datatype"], out["shape"], out["data"]), (expected_dt, [2, 3], data))
            with self.subTest(datatype=dt, form="binary"):
                body, n = binary_request([("x", dt, [2, 3], values.tobytes())], binary_output=True)
                r = self.infer("echo", body, {"Inference-Header-Content-Length": str(n)})
                self.assertEqual(r.status, 200, r)
                header, blobs = split_binary(r)
                got = np.frombuffer(blobs["OUTPUT__0"], NUMPY[header["outputs"][0]["datatype"]])
                np.testing.assert_array_equal(got, values.flatten())
        # BF16 travels as binary (2 bytes: the top half of a float32).
        floats = np.array([1.0, -2.5, 3.140625, 0.0], dtype=np.float32)
        bf16 = (floats.view(np.uint32) >> 16).astype(np.uint16)
        body, n = binary_request([("x", "BF16", [4], bf16.tobytes())], binary_output=True)
        header, blobs = split_binary(self.infer("echo", body, {"Inference-Header-Content-Length": str(n)}))
        self.assertEqual(header["outputs"][0]["datatype"], "BF16")
        self.assertEqual(np.frombuffer(blobs["OUTPUT__0"], np.uint16).tolist(), bf16.tolist())
        r = self.infer("echo", {"inputs": [{"name": "x", "datatype": "BF16", "shape": [4], "data": floats.tolist()}]})
        self.assertEqual(r.json()["outputs"][0]["data"], floats.tolist())

    def test_v2_requests_batch_along_the_first_dimension(self):
        results = [None] * 6

        def send(i):
            results[i] = self.infer("two_io_named", {"inputs": [
                {"name": "pixels", "datatype": "FP32", "shape": [1, 3], "data": [i, i, i]},
                {"name": "counts", "datatype": "INT64", "shape": [1, 2], "data": [i, 100]}]})

        threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        batches = []
        for i, r in enumerate(results):
            self.assertEqual(r.status, 200, r)
            out = {o["name"]: o["data"] for o in r.json()["outputs"]}
            self.assertEqual(out["scaled"], [2 * i] * 3)  # each request gets its own rows back
            self.assertEqual(out["total"], [i + 100])
            batches.append(out["batch"][0])
        self.assertGreater(max(batches), 1, batches)

    def test_envelope_for_image_handler(self):
        red = read_fixture("images", "red.png")
        # The image's bytes as one binary BYTES element.
        body, n = binary_request([("img", "BYTES", [1], struct.pack("<I", len(red)) + red)])
        r = self.infer("colors", body, {"Inference-Header-Content-Length": str(n)})
        self.assertEqual(r.status, 200, r)
        out = r.json()["outputs"][0]
        self.assertEqual((out["name"], out["datatype"], out["shape"]), ("img", "BYTES", [1]))
        self.assertEqual(max(out["data"][0], key=out["data"][0].get), "red")
        # A base64 string in JSON, as TorchServe's kservev2 envelope takes it.
        r = self.infer("colors", {"id": "b64", "inputs": [
            {"name": "input-0", "datatype": "BYTES", "shape": [1], "data": [base64.b64encode(red).decode()]}]})
        self.assertEqual(r.json()["id"], "b64")
        self.assertEqual(max(r.json()["outputs"][0]["data"][0], key=r.json()["outputs"][0]["data"][0].get), "red")

    def test_v1_predict(self):
        r = self.server.infer("POST", "/v1/models/tiny:predict", {"instances": [[1.0], [2.0]]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"predictions": [[3.0], [5.0]]})
        red = base64.b64encode(read_fixture("images", "red.png")).decode()
        r = self.server.infer("POST", "/v1/models/colors:predict", {"instances": [{"data": red}]})
        self.assertEqual(max(r.json()["predictions"][0], key=r.json()["predictions"][0].get), "red")
        self.assertEqual(self.server.infer("GET", "/v1/models/tiny").json(), {"name": "tiny", "ready": True})
        self.assertIn("tiny", self.server.infer("GET", "/v1/models").json()["models"])
        r = self.server.infer("POST", "/v1/models/tiny:predict", {"nothing": 1})
        self.assertEqual(r.status, 400)
        self.assertIn("instances", r.json()["error"])

    def test_bad_tensors_get_clear_errors_and_the_server_stays_healthy(self):
        cases = [
            ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [2, 3], "data": [1, 2, 3]},
                         {"name": "counts", "datatype": "INT64", "shape": [2, 2], "data": [1, 2, 3, 4]}]},
             "needs 6 elements"),
            ({"inputs": [{"name": "image", "datatype": "FLOAT32", "shape": [1], "data": [1]}]},
             "unknown datatype \"FLOAT32\""),
            ({"inputs": [{"name": "picture", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]},
             "unknown input 'picture'; the model's inputs are image, counts"),
            ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]},
             "missing input 'counts'"),
            ({"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["x"]}]}, "BYTES"),
            ({"inputs": [{"name": "image", "datatype": "INT8", "shape": [1], "data": [1000]}]}, "not a valid INT8"),
            ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [2], "data": [1, 2]},
                         {"name": "counts", "datatype": "INT64", "shape": [1, 2], "data": [1, 2]}],
              "outputs": [{"name": "nope"}]}, "unknown output 'nope'"),
        ]
        for body, message in cases:
            with self.subTest(message=message):
                r = self.infer("two_io", body)
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.headers["content-type"], "application/json")
                self.assertIn(message, r.json()["error"])
        body, n = binary_request([("image", "FP32", [2, 3], b"\0" * 20)])
        r = self.infer("two_io", body, {"Inference-Header-Content-Length": str(n)})
        self.assertEqual(r.status, 400)
        self.assertIn("needs 24 bytes, got 20", r.json()["error"])
        r = self.infer("two_io", b"{not json", {"Content-Type": "application/json"})
        self.assertIn("not valid JSON", r.json()["error"])
        r = self.infer("nope", {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}]})
        self.assertEqual(r.status, 404)
        self.assertIn("nope", r.json()["error"])
        r = self.server.infer("GET", "/v2/models/two_io/infer")
        self.assertEqual(r.status, 405)
        # The model still answers.
        r = self.infer("two_io", {"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 1], "data": [1]},
                                             {"name": "counts", "datatype": "INT64", "shape": [1, 1], "data": [1]}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.server.infer("GET", "/v2/health/ready").status, 200)


class KserveReadinessTest(unittest.TestCase):
    def test_not_ready_until_loaded_and_at_once_during_shutdown(self):
        server = HearthServer().start()
        try:
            self.assertEqual(server.register("slow.mar", initial_workers=1).status, 200)
            self.assertEqual(server.infer("GET", "/v2/health/ready").status, 200)
            # A model whose worker cannot load keeps the server unready.
            self.assertEqual(server.register("badmodel.mar", initial_workers=0).status, 200)
            self.assertEqual(server.infer("GET", "/v2/models/badmodel/ready").status, 400)
            server.manage("PUT", "/models/badmodel?min_worker=1&synchronous=true")
            self.assertEqual(server.infer("GET", "/v2/health/ready").status, 503)
            self.assertEqual(server.manage("DELETE", "/models/badmodel").status, 200)
            self.assertEqual(server.infer("GET", "/v2/health/ready").status, 200)
            # During the graceful drain: not ready at once, still live.
            result = {}
            t = threading.Thread(target=lambda: result.update(
                r=server.infer("POST", "/predictions/slow", [600.0], timeout=60)))
            t.start()
            time.sleep(0.3)
            keep = http.client.HTTPConnection("127.0.0.1", server.inference_port, timeout=30)
            keep.request("GET", "/v2/health/live")
            keep.getresponse().read()
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            keep.request("GET", "/v2/health/ready")
            ready = keep.getresponse()
            self.assertEqual((ready.status, json.loads(ready.read())), (503, {"ready": False}))
            keep.request("GET", "/v2/health/live")
            self.assertEqual(keep.getresponse().status, 200)
            keep.close()
            t.join()
            self.assertEqual(result["r"].status, 200)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
