"""Dynamic batching end to end, observed from outside with batch_probe (each
answer carries the size of the batch it ran in)."""
import json
import threading
import time
import unittest

from harness import HearthServer, ServerTestCase, concurrently, read_fixture


class BatchingTest(ServerTestCase):
    def tearDown(self):
        for m in self.server.manage("GET", "/models").json()["models"]:
            self.server.manage("DELETE", "/models/" + m["modelName"])

    def test_full_batch_goes_before_the_delay(self):
        r = self.server.register("batch_probe.mar", initial_workers=1, batch_size=4, max_batch_delay=2000)
        self.assertEqual(r.status, 200)
        start = time.time()
        results = concurrently(4, lambda i: self.server.infer("POST", "/predictions/batch_probe", [float(i)]))
        elapsed = time.time() - start
        for i, r in enumerate(results):
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json(), [4.0, float(i)])  # batch of 4, own answer
        self.assertLess(elapsed, 1.5)

    def test_partial_batch_waits_for_max_batch_delay(self):
        r = self.server.register("batch_probe.mar", initial_workers=1, batch_size=8, max_batch_delay=300)
        self.assertEqual(r.status, 200)
        start = time.time()
        results = concurrently(2, lambda i: self.server.infer("POST", "/predictions/batch_probe", [float(i)]))
        elapsed = time.time() - start
        self.assertEqual(sorted(r.json()[0] for r in results), [2.0, 2.0])
        self.assertGreaterEqual(elapsed, 0.29)

    def test_batch_size_one_has_no_delay(self):
        # With batch_size 1 a request never waits for max_batch_delay (100 ms by default). The fastest of
        # five tells the two apart even on a loaded machine (the first call also warms the model up).
        self.server.register("batch_probe.mar", initial_workers=1)
        fastest = float("inf")
        for _ in range(5):
            start = time.time()
            r = self.server.infer("POST", "/predictions/batch_probe", [5.0])
            fastest = min(fastest, time.time() - start)
            self.assertEqual(r.json(), [1.0, 5.0])
        self.assertLess(fastest, 0.09)

    def test_batched_answers_equal_single_answers(self):
        images = [read_fixture("images", n) for n in ("photo.jpg", "portrait.png", "red.png", "blue.jpg")]
        self.server.register("cnn.mar", initial_workers=1)
        singles = [self.server.infer("POST", "/predictions/cnn", img).json() for img in images]
        self.server.manage("DELETE", "/models/cnn")
        self.server.register("cnn.mar", initial_workers=1, batch_size=4, max_batch_delay=1000)
        batched = concurrently(4, lambda i: self.server.infer("POST", "/predictions/cnn", images[i]))
        for single, b in zip(singles, batched):
            self.assertEqual(b.status, 200, b)
            got = b.json()
            self.assertEqual(list(got), list(single))
            for k in single:
                self.assertAlmostEqual(got[k], single[k], places=5)

    def test_bad_request_in_a_batch_fails_alone(self):
        self.server.register("cnn.mar", initial_workers=1, batch_size=3, max_batch_delay=1000)
        bodies = [read_fixture("images", "photo.jpg"), b"not an image", read_fixture("images", "red.png")]
        results = concurrently(3, lambda i: self.server.infer("POST", "/predictions/cnn", bodies[i]))
        self.assertEqual([r.status for r in results], [200, 400, 200])


class QueueFullTest(unittest.TestCase):
    def test_full_queue_answers_503_at_once(self):
        server = HearthServer({"job_queue_size": "2"}).start()
        try:
            self.assertEqual(server.register("slow.mar", initial_workers=1).status, 200)
            busy = threading.Thread(target=lambda: server.infer("POST", "/predictions/slow", [2000.0]))
            busy.start()
            time.sleep(0.2)  # the worker is busy; the next two wait in the queue
            queued = [threading.Thread(target=lambda: server.infer("POST", "/predictions/slow", [1.0]))
                      for _ in range(2)]
            for t in queued:
                t.start()
            time.sleep(0.2)
            start = time.time()
            r = server.infer("POST", "/predictions/slow", [1.0])
            self.assertEqual(r.status, 503, r)
            self.assertLess(time.time() - start, 1.0)  # not after the 2 s the worker is busy for
            self.assertIn("has no worker", r.json()["message"])
            d = server.describe("slow").json()[0]["jobQueueStatus"]
            self.assertEqual(d["remainingCapacity"], 0)
            for t in [busy] + queued:
                t.join()
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
