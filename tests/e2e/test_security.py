"""Security end to end: token authorization as TorchServe 0.11+ does it, the
model API switch, TLS on every listener, and registering from an allowed URL
(downloaded into the store, with a size limit)."""
import http.server
import json
import os
import shutil
import socketserver
import ssl
import subprocess
import tempfile
import threading
import unittest
import http.client

from harness import HearthServer, fixture, read_fixture


class TokenAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = HearthServer({"disable_token_authorization": "false"}).start()
        with open(os.path.join(cls.server.dir, "key_file.json")) as f:
            cls.keys = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def bearer(self, kind):
        return {"Authorization": "Bearer " + self.keys[kind]["key"]}

    def test_key_file(self):
        path = os.path.join(self.server.dir, "key_file.json")
        self.assertEqual(oct(os.stat(path).st_mode & 0o777), "0o600")
        self.assertEqual(set(self.keys), {"management", "inference", "API"})
        self.assertEqual(len(self.keys["inference"]["key"]), 8)
        self.assertRegex(self.keys["inference"]["expiration time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        self.assertNotIn("expiration time", self.keys["API"])

    def test_requests_need_the_right_key(self):
        r = self.server.manage("POST", "/models?url=tiny.mar&initial_workers=1")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["type"], "InvalidKeyException")
        self.assertIn("key_file.json", r.json()["message"])
        r = self.server.manage("POST", "/models?url=tiny.mar&initial_workers=1", headers=self.bearer("inference"))
        self.assertEqual(r.status, 400)
        r = self.server.manage("POST", "/models?url=tiny.mar&model_name=t1&initial_workers=1",
                               headers=self.bearer("management"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.server.infer("POST", "/predictions/t1", [1.0]).status, 400)
        r = self.server.infer("POST", "/predictions/t1", [1.0], headers=self.bearer("management"))
        self.assertEqual(r.status, 400)
        r = self.server.infer("POST", "/predictions/t1", [1.0], headers=self.bearer("inference"))
        self.assertEqual(r.json(), [3.0])
        # KServe: infer and metadata need the inference key, probes do not.
        v2 = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 1], "data": [1.0]}]}
        self.assertEqual(self.server.infer("POST", "/v2/models/t1/infer", v2).status, 400)
        self.assertEqual(self.server.infer("GET", "/v2/models/t1").status, 400)
        r = self.server.infer("POST", "/v2/models/t1/infer", v2, headers=self.bearer("inference"))
        self.assertEqual(r.json()["outputs"][0]["data"], [3.0])
        self.assertEqual(self.server.infer("POST", "/v1/models/t1:predict", {"instances": [[1.0]]}).status, 400)
        self.assertEqual(self.server.infer("GET", "/v2/health/ready").status, 200)
        self.assertEqual(self.server.infer("GET", "/v2/models/t1/ready").status, 200)
        # Health probes, the API description and metrics need no token.
        self.assertEqual(self.server.infer("GET", "/ping").status, 200)
        self.assertEqual(self.server.infer("OPTIONS", "/").status, 200)
        self.assertEqual(self.server.metrics().status, 200)

    def test_token_rotation(self):
        old = self.keys["inference"]["key"]
        r = self.server.manage("GET", "/token?type=inference", headers=self.bearer("management"))
        self.assertEqual(r.status, 400)
        r = self.server.manage("GET", "/token?type=inference", headers=self.bearer("API"))
        self.assertEqual(r.status, 200, r)
        with open(os.path.join(self.server.dir, "key_file.json")) as f:
            new = json.load(f)
        self.assertNotEqual(new["inference"]["key"], old)
        self.assertEqual(self.server.infer("POST", "/predictions/x", [1.0],
                                           headers={"Authorization": "Bearer " + old}).status, 400)
        r = self.server.infer("POST", "/predictions/x", [1.0], headers={"Authorization": "Bearer " + new["inference"]["key"]})
        self.assertEqual(r.status, 404)  # authorized; the model just does not exist
        type(self).keys = new
        r = self.server.manage("GET", "/token?type=bogus", headers=self.bearer("API"))
        self.assertEqual(r.status, 400)


class TlsTest(unittest.TestCase):
    def test_all_listeners_speak_tls(self):
        certs = tempfile.mkdtemp()
        key, cert = os.path.join(certs, "key.pem"), os.path.join(certs, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", key,
                        "-out", cert, "-subj", "/CN=localhost"], check=True, capture_output=True)
        server = HearthServer({"private_key_file": key, "certificate_file": cert, "metrics_mode": "prometheus"})
        for k, port in (("inference_address", server.inference_port), ("management_address", server.management_port),
                        ("metrics_address", server.metrics_port)):
            with open(server.config_path) as f:
                text = f.read()
            text = text.replace("%s=http://127.0.0.1:%d" % (k, port), "%s=https://127.0.0.1:%d" % (k, port))
            with open(server.config_path, "w") as f:
                f.write(text)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        def call(port, method, path, body=None, headers=None):
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            conn.close()
            return r.status, data

        try:
            server.start(wait=False)
            import time
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    if call(server.inference_port, "GET", "/ping")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            self.assertEqual(call(server.management_port, "OPTIONS", "/")[0], 200)
            self.assertEqual(call(server.management_port, "POST", "/models?url=tiny.mar&initial_workers=1")[0], 200)
            status, body = call(server.inference_port, "POST", "/predictions/tiny", b"[2.0]",
                                {"Content-Type": "application/json"})
            self.assertEqual((status, json.loads(body)), (200, [5.0]))
            status, body = call(server.metrics_port, "GET", "/metrics")
            self.assertIn(b"Requests2XX", body)
            # Plain HTTP on a TLS port gets no answer, and the server carries on.
            with self.assertRaises(Exception):
                server.infer("GET", "/ping", timeout=3)
            self.assertEqual(call(server.inference_port, "GET", "/ping")[0], 200)
        finally:
            server.cleanup()
            shutil.rmtree(certs, ignore_errors=True)

    def test_https_without_certificate_is_refused_with_the_reason(self):
        server = HearthServer({"inference_address": "https://127.0.0.1:0"})
        server.start(wait=False)
        try:
            server.proc.wait(timeout=30)
            self.assertNotEqual(server.proc.returncode, 0)
            self.assertIn("needs private_key_file and certificate_file", server.output())
        finally:
            server.cleanup()


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class UrlRegistrationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = tempfile.mkdtemp()
        shutil.copy(fixture("model_store", "tiny.mar"), os.path.join(cls.files, "remote_tiny.mar"))
        handler = lambda *a, **k: _Handler(*a, directory=cls.files, **k)  # noqa: E731
        cls.httpd = socketserver.TCPServer(("127.0.0.1", 0), handler)
        cls.port = cls.httpd.server_address[1]
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.httpd.shutdown()
        shutil.rmtree(cls.files, ignore_errors=True)

    def test_download_register_unregister(self):
        store = tempfile.mkdtemp()
        server = HearthServer({"allowed_urls": "http://127\\.0\\.0\\.1:%d/.*" % self.port}, model_store=store).start()
        try:
            url = "http://127.0.0.1:%d/remote_tiny.mar" % self.port
            r = server.register(url, initial_workers=1)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(os.path.exists(os.path.join(store, "remote_tiny.mar")))
            self.assertEqual(server.describe("tiny").json()[0]["modelUrl"], url)
            self.assertEqual(server.infer("POST", "/predictions/tiny", [0.0]).json(), [1.0])
            # The file is in the store now: registering the URL again is refused (TorchServe's 500).
            r = server.register(url, model_name="again")
            self.assertEqual(r.status, 500)
            self.assertIn("Model file already exists", r.json()["message"])
            self.assertEqual(server.manage("DELETE", "/models/tiny").status, 200)
            self.assertFalse(os.path.exists(os.path.join(store, "remote_tiny.mar")))
            r = server.register("http://example.invalid/x.mar")
            self.assertEqual(r.status, 404)
            self.assertIn("does not match any allowed URL", r.json()["message"])
            r = server.register("http://127.0.0.1:%d/missing.mar" % self.port)
            self.assertEqual(r.status, 400)
            self.assertIn("Failed to download archive from", r.json()["message"])
            self.assertEqual(os.listdir(store), [])  # no partial file left
        finally:
            server.cleanup()
            shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
