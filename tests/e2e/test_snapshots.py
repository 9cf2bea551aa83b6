"""Config snapshots end to end: written after every change, TorchServe's
format; after kill -9 the newest one brings the same models back."""
import glob
import os
import signal
import subprocess
import time
import unittest

from harness import HEARTH, HearthServer, request


class SnapshotTest(unittest.TestCase):
    def test_kill_minus_nine_and_restore(self):
        server = HearthServer()
        server.args.remove("--ncs")
        server.start()
        try:
            self.assertEqual(server.register("tiny.mar", initial_workers=2, batch_size=3, max_batch_delay=40).status,
                             200)
            self.assertEqual(server.register("cnn.mar").status, 200)
            self.assertEqual(server.register("cnn_v2.mar").status, 200)
            self.assertEqual(server.manage("PUT", "/models/cnn/2.0/set-default").status, 200)
            self.assertEqual(server.manage("PUT", "/models/cnn/1.0?min_worker=1&synchronous=true").status, 200)
            snaps = sorted(glob.glob(os.path.join(server.dir, "logs", "config", "*.cfg")))
            self.assertGreaterEqual(len(snaps), 5)
            self.assertRegex(os.path.basename(snaps[0]), r"^\d{17}-startup\.cfg$")
            self.assertRegex(os.path.basename(snaps[-1]), r"^\d{17}-snapshot\.cfg$")
            text = open(snaps[-1]).read()
            self.assertTrue(text.startswith("#Saving snapshot\n#"))
            self.assertIn("model_snapshot=", text)
            self.assertIn('"marName"\\: "tiny.mar"', text)
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            # Restart from the same directory without --ts-config: the newest snapshot is the config.
            args = ["--foreground", "--model-store", server.model_store]
            proc = subprocess.Popen([HEARTH] + args, cwd=server.dir, env=server.env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            try:
                deadline = time.time() + 60
                models = []
                while time.time() < deadline:
                    try:
                        r = request(server.management_port, "GET", "/models")
                        models = [m["modelName"] for m in r.json()["models"]]
                        if models == ["cnn", "tiny"] and request(server.inference_port, "GET", "/ping").status == 200:
                            break
                    except OSError:
                        pass
                    time.sleep(0.2)
                self.assertEqual(models, ["cnn", "tiny"])
                tiny = request(server.management_port, "GET", "/models/tiny").json()[0]
                self.assertEqual((tiny["minWorkers"], tiny["batchSize"], tiny["maxBatchDelay"]), (2, 3, 40))
                self.assertEqual(request(server.management_port, "GET", "/models/cnn").json()[0]["modelVersion"],
                                 "2.0")
                versions = request(server.management_port, "GET", "/models/cnn/all").json()
                self.assertEqual(sorted(v["modelVersion"] for v in versions), ["1.0", "2.0"])
                server.wait_until(lambda: request(server.inference_port, "POST", "/predictions/tiny",
                                                  [1.0]).status == 200, what="tiny serving after restore")
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
            shutdown = glob.glob(os.path.join(server.dir, "logs", "config", "*-shutdown.cfg"))
            self.assertEqual(len(shutdown), 1)
        finally:
            server.cleanup()

    def test_no_snapshots_with_ncs(self):
        server = HearthServer().start()
        try:
            self.assertEqual(server.register("tiny.mar").status, 200)
            self.assertEqual(glob.glob(os.path.join(server.dir, "logs", "config", "*.cfg")), [])
        finally:
            server.cleanup()

    def test_missing_archive_in_snapshot_aborts_with_the_name(self):
        server = HearthServer()
        with open(server.config_path, "a") as f:
            f.write('model_snapshot={"name": "x", "modelCount": 1, "models": {"gone": {"1.0": '
                    '{"defaultVersion": true, "marName": "gone.mar", "minWorkers": 1}}}}\n')
        server.start(wait=False)
        try:
            server.proc.wait(timeout=30)
            self.assertNotEqual(server.proc.returncode, 0)
            self.assertIn("Model archive file for model :gone, version :1.0 not found in model store",
                          server.output())
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
