"""Operating Hearth under stress: graceful shutdown, slow and idle clients,
hostile archives. The server keeps serving everyone else throughout."""
import io
import os
import resource
import shutil
import signal
import socket
import tarfile
import tempfile
import threading
import time
import unittest
import zipfile
import http.client

from harness import HearthServer, fixture, request

MANIFEST = b'{"runtime": "python", "model": {"modelName": "evil", "serializedFile": "tiny.pt", "handler": "tensor"}}'


class GracefulShutdownTest(unittest.TestCase):
    def test_in_flight_finish_new_requests_get_503(self):
        self.check_graceful_shutdown(HearthServer())

    def test_polling_io_thread_serves_and_shuts_down(self):
        # hearth_io_spin_us: the I/O thread polls before sleeping; requests,
        # a worker's reply and the shutdown all still get through.
        server = HearthServer(config={"hearth_io_spin_us": "200", "number_of_netty_threads": "1"})
        self.check_graceful_shutdown(server, started_line="I/O threads: 1 (polling 200 us before sleeping)")

    def check_graceful_shutdown(self, server, started_line="Model server started."):
        server.start()
        try:
            self.assertIn(started_line, server.output())
            self.assertEqual(server.register("slow.mar", initial_workers=1).status, 200)
            result = {}
            t = threading.Thread(target=lambda: result.update(
                r=server.infer("POST", "/predictions/slow", [800.0], timeout=60)))
            t.start()
            time.sleep(0.3)
            keep = http.client.HTTPConnection("127.0.0.1", server.inference_port, timeout=30)
            keep.request("GET", "/ping")
            self.assertEqual(keep.getresponse().read()[:5], b'{\n  "')
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            keep.request("POST", "/predictions/slow", body=b"[1.0]", headers={"Content-Type": "application/json"})
            late = keep.getresponse()
            self.assertEqual(late.status, 503)
            late.read()
            t.join()
            self.assertEqual(result["r"].status, 200, result["r"])  # accepted before SIGTERM: answered
            self.assertEqual(server.proc.wait(timeout=60), 0)
            self.assertIn("shutting down", server.output())
        finally:
            server.cleanup()


class SlowAndIdleClientsTest(unittest.TestCase):
    def test_slowloris_is_dropped_others_served(self):
        server = HearthServer({"hearth_header_timeout_s": "2"}).start()
        try:
            slow = socket.create_connection(("127.0.0.1", server.inference_port))
            slow.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            start = time.time()
            self.assertEqual(request(server.inference_port, "GET", "/ping").status, 200)
            slow.settimeout(10)
            try:
                data = slow.recv(100)
            except ConnectionResetError:
                data = b""
            self.assertEqual(data, b"")  # closed by the server
            self.assertLess(time.time() - start, 6)
        finally:
            server.cleanup()

    def test_ten_thousand_idle_connections(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard < 10300:
            self.skipTest("file descriptor hard limit %d is below 10300" % hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        server = HearthServer().start()
        socks = []
        try:
            self.assertEqual(server.register("tiny.mar", initial_workers=1).status, 200)
            for _ in range(10000):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", server.inference_port))
                socks.append(s)
            time.sleep(1.0)
            start = time.time()
            r = server.infer("POST", "/predictions/tiny", [1.0], timeout=30)
            self.assertEqual(r.status, 200)
            self.assertLess(time.time() - start, 5)
            with open("/proc/%d/status" % server.proc.pid) as f:
                rss_kb = int([l for l in f if l.startswith("VmRSS")][0].split()[1])
            self.assertLess(rss_kb, 1024 * 1024)  # under 1 GiB for 10k connections
        finally:
            for s in socks:
                s.close()
            server.cleanup()
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


class HostileArchivesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.store = tempfile.mkdtemp(prefix="hearth-hostile-")
        tiny = open(fixture("models", "tiny.pt"), "rb").read()
        with zipfile.ZipFile(os.path.join(cls.store, "escape.mar"), "w") as z:
            z.writestr("tiny.pt", tiny)
            z.writestr("../../escaped.txt", b"x")
            z.writestr("MAR-INF/MANIFEST.json", MANIFEST)
        with zipfile.ZipFile(os.path.join(cls.store, "absolute.mar"), "w") as z:
            info = zipfile.ZipInfo("/etc/hearth-owned")
            z.writestr(info, b"x")
            z.writestr("MAR-INF/MANIFEST.json", MANIFEST)
        with tarfile.open(os.path.join(cls.store, "link.tar.gz"), "w:gz") as t:
            info = tarfile.TarInfo("evil/passwd")
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            t.addfile(info)
        with zipfile.ZipFile(os.path.join(cls.store, "bomb.mar"), "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("tiny.pt", b"\0" * (200 * 1024 * 1024))
            z.writestr("MAR-INF/MANIFEST.json", MANIFEST)
        with zipfile.ZipFile(os.path.join(cls.store, "bigmanifest.mar"), "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("MAR-INF/MANIFEST.json", b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}')
        with zipfile.ZipFile(os.path.join(cls.store, "badmanifest.mar"), "w") as z:
            z.writestr("MAR-INF/MANIFEST.json", b'{"runtime": "python", "model": {"modelName": ')
        with open(os.path.join(cls.store, "truncated.mar"), "wb") as f:
            f.write(open(fixture("model_store", "cnn.mar"), "rb").read()[:5000])
        cls.server = HearthServer({"hearth_max_archive_bytes": "50000000"}, model_store=cls.store).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.store, ignore_errors=True)

    def check(self, name, expected_message):
        r = self.server.register(name)
        self.assertEqual(r.status, 400, (name, r))
        self.assertIn(expected_message, r.json()["message"])
        self.assertEqual(self.server.infer("GET", "/ping").status, 200)

    def test_path_escapes(self):
        self.check("escape.mar", "unsafe entry path")
        self.assertFalse(os.path.exists(os.path.join(self.server.dir, "escaped.txt")))
        self.check("absolute.mar", "unsafe entry path")
        self.assertFalse(os.path.exists("/etc/hearth-owned"))

    def test_links_and_bombs(self):
        self.check("link.tar.gz", "link entry")
        self.check("bomb.mar", "exceeds the limit")
        models = os.path.join(self.server.dir, "models")
        leftovers = os.listdir(models) if os.path.isdir(models) else []
        self.assertEqual(leftovers, [])  # partial extractions removed

    def test_broken_manifests_and_archives(self):
        self.check("bigmanifest.mar", "larger than 1 MiB")
        self.check("badmanifest.mar", "not valid JSON")
        self.check("truncated.mar", "truncated.mar")


if __name__ == "__main__":
    unittest.main()
