"""Inference API end to end: /ping, predictions with every body form, the
image_classifier against Pillow/torchvision reference values, and every bad
input answered with a clear error while the server stays healthy."""
import json
import threading
import unittest

from harness import ServerTestCase, fixture, read_fixture, request


class InferenceTest(ServerTestCase):
    CONFIG = {"max_request_size": "2000000"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name in ("tiny", "colors", "cnn"):
            r = cls.server.register(name + ".mar", initial_workers=1)
            assert r.status == 200, r

    def test_ping_healthy(self):
        r = self.server.infer("GET", "/ping")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"status": "Healthy"})
        self.assertEqual(r.body, b'{\n  "status": "Healthy"\n}\n')

    def test_tensor_json(self):
        r = self.server.infer("POST", "/predictions/tiny", [1.0, 2.0, 3.0])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), [3.0, 5.0, 7.0])
        self.assertIn("x-request-id", r.headers)

    def test_tensor_object_forms(self):
        r = self.server.infer("POST", "/predictions/tiny", {"data": [[1, 2], [3, 4]], "dtype": "float64"})
        self.assertEqual(r.json(), [[3.0, 5.0], [7.0, 9.0]])
        r = self.server.infer("POST", "/predictions/tiny", {"inputs": [{"data": [0.5]}]})
        self.assertEqual(r.json(), [2.0])

    def test_versioned_route(self):
        r = self.server.infer("POST", "/predictions/tiny/1.0", [1.0])
        self.assertEqual(r.json(), [3.0])
        r = self.server.infer("POST", "/predictions/tiny/9.9", [1.0])
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["type"], "ModelVersionNotFoundException")

    def test_known_answer_raw_body(self):
        # curl -T sends PUT: prediction routes accept any method.
        r = self.server.infer("PUT", "/predictions/colors", read_fixture("images", "red.png"))
        self.assertEqual(r.status, 200, r)
        top = r.json()
        self.assertEqual(list(top)[0], "red")
        self.assertEqual(len(top), 5)
        r = self.server.infer("POST", "/predictions/colors", read_fixture("images", "blue.jpg"))
        self.assertEqual(list(r.json())[0], "blue")

    def test_matches_torchvision_reference(self):
        with open(fixture("reference", "photo.cnn_top5.json")) as f:
            expected = json.load(f)
        r = self.server.infer("POST", "/predictions/cnn", read_fixture("images", "photo.jpg"))
        self.assertEqual(r.status, 200, r)
        got = r.json()
        self.assertEqual(list(got), list(expected))
        for label, p in expected.items():
            self.assertAlmostEqual(got[label], p, places=5)

    def test_multipart_data_field(self):
        boundary = "hearthboundary"
        body = (b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"data\"; filename=\"r.png\""
                b"\r\nContent-Type: image/png\r\n\r\n" + read_fixture("images", "red.png") +
                b"\r\n--" + boundary.encode() + b"--\r\n")
        r = self.server.infer("POST", "/predictions/colors", body,
                              {"Content-Type": "multipart/form-data; boundary=" + boundary})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(list(r.json())[0], "red")

    def test_base64_json_string_and_text(self):
        import base64
        b64 = base64.b64encode(read_fixture("images", "red.png")).decode()
        r = self.server.infer("POST", "/predictions/colors", json.dumps(b64), {"Content-Type": "application/json"})
        self.assertEqual(list(r.json())[0], "red", r)
        r = self.server.infer("POST", "/predictions/colors", b64, {"Content-Type": "text/plain"})
        self.assertEqual(list(r.json())[0], "red", r)

    def test_client_request_id_is_echoed(self):
        r = self.server.infer("POST", "/predictions/tiny", [1.0], {"X-Request-Id": "trace-123"})
        self.assertEqual(r.headers["x-request-id"], "trace-123")

    def test_unknown_model_404(self):
        r = self.server.infer("POST", "/predictions/nope", [1.0])
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json(), {"code": 404, "type": "ModelNotFoundException", "message": "Model not found: nope"})

    def test_unknown_path_404(self):
        r = self.server.infer("GET", "/no/such/thing")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["type"], "ResourceNotFoundException")

    def test_oversized_body_413(self):
        r = self.server.infer("POST", "/predictions/tiny", b"x" * 2_000_001)
        self.assertEqual(r.status, 413)
        self.assertEqual(r.json(), {"code": 413, "type": "RequestEntityTooLargeException",
                                    "message": "Request of a body of 2000001 bytes exceeds max_request_size "
                                               "(2000000 bytes)"})
        self.assertEqual(r.headers["connection"], "close")
        self.assertEqual(self.server.infer("GET", "/ping").status, 200)

    def test_body_at_limit_is_read(self):
        body = b"[" + b" " * (2_000_000 - 5) + b"1.0]"
        self.assertEqual(len(body), 2_000_000)
        r = self.server.infer("POST", "/predictions/tiny", body, {"Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), [3.0])

    def test_corrupt_image_400_names_problem(self):
        r = self.server.infer("POST", "/predictions/cnn", read_fixture("images", "truncated.jpg"))
        self.assertEqual(r.status, 400, r)
        self.assertIn("JPEG", r.json()["message"])
        r = self.server.infer("POST", "/predictions/cnn", b"definitely not an image")
        self.assertEqual(r.status, 400)
        self.assertIn("JPEG or PNG", r.json()["message"])
        r = self.server.infer("POST", "/predictions/cnn", b"")
        self.assertEqual(r.status, 400)
        self.assertIn("empty", r.json()["message"])

    def test_bytes_that_are_not_utf8_in_names_and_headers_never_kill_a_worker(self):
        pid = self.server.worker_pids("cnn")
        image = read_fixture("images", "photo.jpg")
        # An image posted as a form (what urllib and curl -d do by default): the "field names" are binary.
        r = self.server.infer("POST", "/predictions/cnn", image, {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 400, r)
        self.assertIn("no input", r.json()["message"])
        # A header value with bytes that are not UTF-8 reaches the worker as text.
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.server.inference_port, timeout=30)
        conn.putrequest("POST", "/predictions/cnn")
        conn.putheader("X-Odd", b"\xff\xfe caf\xc3\xa9")
        conn.putheader("Content-Length", str(len(image)))
        conn.endheaders(image)
        answer = conn.getresponse()
        self.assertEqual(answer.status, 200, answer.read())
        conn.close()
        self.assertEqual(self.server.worker_pids("cnn"), pid, "the worker was not restarted")

    def test_wrong_tensor_shape_names_problem(self):
        r = self.server.infer("POST", "/predictions/cnn", [[[1.0, 2.0]]])  # a 1x1x2 "image"
        self.assertIn(r.status, (400, 500), r)
        self.assertIn("model", r.json()["message"])
        r = self.server.infer("POST", "/predictions/tiny", b"[1, [2]]", {"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertIn("ragged", r.json()["message"])
        r = self.server.infer("POST", "/predictions/tiny", b"{not json", {"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertIn("JSON", r.json()["message"])
        self.assertEqual(self.server.infer("GET", "/ping").status, 200)

    def test_api_description(self):
        r = self.server.infer("OPTIONS", "/")
        self.assertEqual(r.status, 200)
        doc = r.json()
        self.assertEqual(doc["openapi"], "3.0.1")
        self.assertIn("/predictions/{model_name}", doc["paths"])
        r = self.server.manage("GET", "/api-description")
        self.assertIn("/models", r.json()["paths"])
        self.assertEqual(self.server.infer("POST", "/").status, 405)

    def test_concurrent_requests_all_answered(self):
        results = [None] * 40

        def call(i):
            results[i] = self.server.infer("POST", "/predictions/tiny", [float(i)])

        threads = [threading.Thread(target=call, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i, r in enumerate(results):
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json(), [2.0 * i + 1.0])

    def test_keep_alive_http10(self):
        import socket
        s = socket.create_connection(("127.0.0.1", self.server.inference_port))
        try:
            for _ in range(2):
                s.sendall(b"GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                data = b""
                while b"Healthy" not in data:
                    chunk = s.recv(4096)
                    self.assertTrue(chunk, "connection closed: %r" % data)
                    data += chunk
                self.assertIn(b"keep-alive", data.lower())
        finally:
            s.close()

    def test_expect_100_continue(self):
        import socket
        s = socket.create_connection(("127.0.0.1", self.server.inference_port))
        try:
            body = b"[4.0]"
            s.sendall(b"POST /predictions/tiny HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            first = s.recv(4096)
            self.assertTrue(first.startswith(b"HTTP/1.1 100"), first)
            s.sendall(body)
            data = b""
            while b"9.0" not in data:
                chunk = s.recv(4096)
                self.assertTrue(chunk)
                data += chunk
            self.assertIn(b"200", data.split(b"\r\n")[0])
        finally:
            s.close()

    def test_access_log(self):
        self.server.infer("POST", "/predictions/tiny", [1.0])
        log = self.server.log_with("access_log.log", '"POST /predictions/tiny HTTP/1.1" 200')
        self.assertRegex(log, r'/127\.0\.0\.1:\d+ "POST /predictions/tiny HTTP/1\.1" 200 \d+')


if __name__ == "__main__":
    unittest.main()
